#!/usr/bin/env python3
"""bench/http_poll.py URL SECONDS: GET URL every 20 ms for at most SECONDS; one line per answer.

Each answer with status 200 prints "<epoch seconds, µs> <body's first word>" (the serving node's
name, for the monitor figure's page), flushed at once, so the bench sees who answered and when.
A request that fails (refused, no route, no answer within 200 ms) prints nothing: the outage is
the longest time between two printed lines. Every request is a new connection, as a new client's.
"""
import sys
import time
import urllib.request

url, seconds = sys.argv[1], float(sys.argv[2])
end = time.monotonic() + seconds
while time.monotonic() < end:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=0.2) as answer:
            body = answer.read().split()
            if answer.status == 200:
                print(f"{time.time():.6f} {body[0].decode() if body else '-'}", flush=True)
    except OSError:
        pass
    time.sleep(max(0.0, 0.02 - (time.monotonic() - started)))
