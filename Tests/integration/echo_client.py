#!/usr/bin/python3
"""A client of a floating address, for test_announce.sh (runs in the client's own namespace, whose
kernel keeps a real ARP / neighbour cache).

  echo_client.py ADDRESS INTERVAL_MS SECONDS

Sends an ICMP (or ICMPv6) echo request to ADDRESS every INTERVAL_MS for SECONDS and prints one
line per reply: the wall-clock time it arrived in ms since the epoch, and its sequence number.
Needs root (raw socket).
"""
import os, select, socket, struct, sys, time

address, interval, seconds = sys.argv[1], float(sys.argv[2]) / 1000, float(sys.argv[3])
v6 = ":" in address
if v6:
    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    request_type, reply_type = 128, 129
else:
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    request_type, reply_type = 8, 0
ident = os.getpid() & 0xFFFF


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def request(seq):
    header = struct.pack("!BBHHH", request_type, 0, 0, ident, seq)
    # The kernel fills in an ICMPv6 checksum; ICMP's is ours.
    if not v6:
        header = struct.pack("!BBHHH", request_type, 0, checksum(header), ident, seq)
    return header


end = time.monotonic() + seconds
next_send = time.monotonic()
seq = 0
out = sys.stdout
while time.monotonic() < end:
    now = time.monotonic()
    if now >= next_send:
        seq = (seq + 1) & 0xFFFF
        try:
            sock.sendto(request(seq), (address, 0))
        except OSError:
            pass  # no neighbour entry yet, or it failed: the gap shows in the replies
        next_send += interval
    ready, _, _ = select.select([sock], [], [], max(0.0, min(next_send, end) - time.monotonic()))
    if not ready:
        continue
    packet, source = sock.recvfrom(2048)
    # IPv4 raw sockets deliver the IP header; IPv6 ones do not.
    icmp = packet if v6 else packet[(packet[0] & 0x0F) * 4:]
    if len(icmp) < 8 or source[0] != address:
        continue
    kind, _, _, who, number = struct.unpack("!BBHHH", icmp[:8])
    if kind == reply_type and who == ident:
        out.write("%d %d\n" % (time.time_ns() // 1_000_000, number))
        out.flush()
