#!/usr/bin/python3
"""Receives sd_notify datagrams on a Unix socket like systemd does, writing one line per
KEY=value: "<monotonic ms> <sender pid> <KEY=value>". Usage: notify_listener.py SOCKET OUTPUT"""
import os, socket, struct, sys, time

path, output = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
credentials_size = struct.calcsize("3i")
with open(output, "a", buffering=1) as out:
    while True:
        data, ancillary, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(credentials_size))
        pid = 0
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", payload[:credentials_size])[0]
        now = time.monotonic_ns() // 1_000_000
        for line in data.decode().split("\n"):
            if line:
                out.write(f"{now} {pid} {line}\n")
