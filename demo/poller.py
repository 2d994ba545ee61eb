"""Polls the demo's service every 20 ms and writes each outage as 'down_ms up_ms' (ms since epoch)."""
import socket, sys, time

address, port, out_path, stop_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
deadline = time.time() + 600  # bounded: the demo never runs this long
down_since = None
with open(out_path, "a", buffering=1) as out:
    while time.time() < deadline:
        try:
            with socket.create_connection((address, port), timeout=0.1) as conn:
                conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
                ok = conn.recv(64).startswith(b"HTTP/")
        except OSError:
            ok = False
        now = int(time.time() * 1000)
        if not ok and down_since is None:
            down_since = now
        elif ok and down_since is not None:
            out.write(f"{down_since} {now}\n")
            down_since = None
        try:
            open(stop_path).close()
            break
        except FileNotFoundError:
            pass
        time.sleep(0.02)
