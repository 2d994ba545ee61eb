#!/usr/bin/env python3
"""The power switch of the test machines (Tests/lib/machines.sh): one outlet per machine.

It serves $WORK/pdu.sock, one request per connection: a line "CALLER ACTION [TARGET]", answered
with one line, "ok ..." or "error: ...". ACTION is status (the switch answers), hosts (the node
names on its outlets), or on, off, reset (off, then on) of the node TARGET. Requests are served
one at a time, as a switch's console does. The power itself is machines.sh's power_off and
power_on, run by bash with this process's PREFIX, WORK and HB_BIN.

$WORK/pdu.fail_next holds how many of the next requests fail (a broken switch); $WORK/pdu.log gets
one line per request: "MS CALLER ACTION TARGET ok|failed DURATIONms" (MS: when it was answered).
It stops when the process --owner (the test) is gone, or after --max seconds.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POWER = 'source "$1/Tests/lib/nodes.sh" && source "$1/Tests/lib/machines.sh" && "$2" "$3"'


def now_ms():
    return int(time.time() * 1000)


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def outlets(work):
    """Node name -> machine number, for every machine booted in work."""
    found = {}
    for entry in os.listdir(work):
        match = re.fullmatch(r"node(\d+)", entry)
        if match and os.path.exists(os.path.join(work, entry, "machine.pid")):
            found[read(os.path.join(work, entry, "name")) or entry] = match.group(1)
    return found


def take_failure(work):
    """True when this request is one of those pdu_fail_next asked to fail."""
    path = os.path.join(work, "pdu.fail_next")
    left = int(read(path) or 0)
    if left <= 0:
        return False
    with open(path, "w") as f:
        f.write("%d\n" % (left - 1))
    return True


def power(function, number):
    """machines.sh's power_off/power_on of machine number: None, or why it failed."""
    done = subprocess.run(["bash", "-c", POWER, "pdu", ROOT, function, number],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    if done.returncode == 0:
        return None
    return "%s %s failed: %s" % (function, number, " ".join(done.stdout.split())[-200:])


def answer(work, caller, action, target):
    """The reply line to one request."""
    if take_failure(work):
        return "error: the switch does not answer (pdu_fail_next)"
    if action == "status":
        return "ok"
    names = outlets(work)
    if action == "hosts":
        return "ok " + " ".join(sorted(names))
    if action not in ("on", "off", "reset"):
        return "error: unknown request %s" % action
    if target not in names:
        return "error: no outlet for %s" % target
    steps = {"on": ["power_on"], "off": ["power_off"], "reset": ["power_off", "power_on"]}[action]
    for function in steps:
        why = power(function, names[target])
        if why:
            return "error: " + why
    return "ok %s %s" % (action, target)


def serve(work, owner, deadline):
    path = os.path.join(work, "pdu.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    server.settimeout(1.0)
    with open(os.path.join(work, "pdu.log"), "a", buffering=1) as log:
        while time.time() < deadline:
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                break
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            with conn:
                started = now_ms()
                conn.settimeout(5.0)
                request = b""
                try:
                    while b"\n" not in request and len(request) < 1024:
                        chunk = conn.recv(1024)
                        if not chunk:
                            break
                        request += chunk
                except OSError:
                    continue
                words = request.decode(errors="replace").split()
                caller, action, target = (words + ["-", "-", "-"])[:3]
                reply = answer(work, caller, action, target)
                result = "ok" if reply.startswith("ok") else "failed"
                log.write("%d %s %s %s %s %dms\n" % (now_ms(), caller, action, target, result, now_ms() - started))
                try:
                    conn.sendall((reply + "\n").encode())
                except OSError:
                    pass
    os.unlink(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", required=True)
    parser.add_argument("--owner", type=int, required=True, help="stop once this process is gone")
    parser.add_argument("--max", type=float, default=3600, help="seconds")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(args.work, args.owner, time.time() + args.max)


if __name__ == "__main__":
    main()
