#!/usr/bin/python3
"""Hostile traffic at a Heartbeat UDP port, for test_flood.sh (runs inside a test namespace).

  flood.py TARGET_IP PORT SECONDS MAX_PACKETS CAPTURE_DIR

First listens a moment on PORT for the cluster's genuine (current generation) packets, then sends,
round robin and as fast as it can, until SECONDS or MAX_PACKETS: random bytes, truncated and
oversized datagrams, netstring framing signed with a wrong key, the same forged with a member's
name, replays of the genuine packets and of the old-generation captures in CAPTURE_DIR, a packet
with a huge length field, classic and netstring mixes. Prints one line: counts sent per kind.
"""
import glob, hashlib, hmac, os, random, socket, sys, time

target, port, seconds, limit, captures = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rng = random.Random(694)

# Genuine packets of this run, heard on the broadcast medium (replays of the current generation).
listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("", port))
listener.settimeout(0.2)
current, deadline = [], time.time() + 2
while time.time() < deadline and len(current) < 20:
    try:
        current.append(listener.recv(65535))
    except socket.timeout:
        pass
listener.close()
old = [open(path, "rb").read() for path in sorted(glob.glob(captures + "/bcast-sha1-*.bin"))]
if not current or not old:
    sys.exit("flood.py: no genuine packets heard (%d) or no captures (%d)" % (len(current), len(old)))


def netstring_field(text):
    data = text.encode()
    return b"%d:%s," % (len(data), data)


def signed(fields, key):
    body = b"###\n" + b"".join(netstring_field("(0)%s=%s" % pair) for pair in fields) + b"%%%\n"
    digest = hmac.new(key, body, hashlib.sha1).hexdigest()
    return body + netstring_field("1 " + digest)


def status(src, seq):
    return [("t", "status"), ("st", "active"), ("dt", "7d0"), ("protocol", "1"), ("src", src),
            ("seq", "%x" % seq), ("hg", "1"), ("ts", "%x" % int(time.time())), ("ttl", "3")]


kinds = {
    "random": lambda n: os.urandom(rng.randrange(0, 1400)),
    "truncated": lambda n: (lambda p: p[:rng.randrange(0, len(p))])(rng.choice(current)),
    "oversized": lambda n: b"###\n" + b"9" * 65000,
    "wrong-key": lambda n: signed(status("intruder", n), b"not-the-secret"),
    "forged-member": lambda n: signed(status(rng.choice(["node1", "node2"]), n), b"not-the-secret"),
    "replay-current": lambda n: rng.choice(current),
    "replay-old-generation": lambda n: rng.choice(old),
    "huge-length": lambda n: b"###\n99999999999:(0)t=status," + b"x" * 200,
    "classic-netstring-mix": lambda n: rng.choice([
        b">>>\nt=status\nsrc=node2\n" + rng.choice(current) + b"\n<<<\n",
        b"###\n>>>\nt=status\nauth=1 00\n<<<\n",
        b">>>\nt=status\nsrc=node2\nauth=1 " + b"0" * 40 + b"\n<<<\n",
        b">>>\n" + b"x=y\n" * 300,
    ]),
}
sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
sent = dict.fromkeys(kinds, 0)
names = list(kinds)
start, total = time.time(), 0
while total < limit and time.time() - start < seconds:
    for name in names:
        try:
            sender.sendto(kinds[name](total), (target, port))
            sent[name] += 1
            total += 1
        except OSError:
            time.sleep(0.0005)   # our own send buffer is full: the wire is saturated
print("sent %d in %.1f s (%d/s):" % (total, time.time() - start, total / max(time.time() - start, 0.001)),
      " ".join("%s=%d" % item for item in sent.items()))
