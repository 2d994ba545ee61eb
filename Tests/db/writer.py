#!/usr/bin/python3
"""The database suite's client: writes numbered rows and later proves none it was told about is lost.

  writer.py run --host H [--port 3306] --user U --password P --out FILE
                [--seconds S] [--until-file F] [--interval-ms 5] [--timeout-ms 500] [--live]
  writer.py verify --host H [--port 3306] --user U --password P --out FILE [--wait-seconds 30]

run inserts ids 1, 2, ... into `writes` (autocommit), one at a time, and appends to FILE one line
per event, flushed at once, "KIND ID MS" (MS: milliseconds since the epoch, as the tests' now_ms):
  ack ID MS      the server acknowledged the commit of ID
  unknown ID MS  the insert was sent but no answer came (the connection broke, a timeout): it may
                 or may not have committed, so it is neither acknowledged nor forgotten
  found ID MS    after reconnecting, an unknown ID turned out to be committed: the next id follows
  absent ID MS   after reconnecting, an unknown ID turned out not to be there: it is sent again,
                 with the same id, so no id is ever written twice under two numbers
Every error reconnects (connect, read and write timeouts of --timeout-ms), forever, until
--seconds pass (default 1800, a bound even with --until-file), the file --until-file exists, or
SIGTERM/SIGINT: it then ends cleanly, exit 0. --live prints on stdout a running line: rows
acknowledged, the server answering (its hostname) and the current outage.

verify reads the table and FILE and prints one JSON line:
  {"acked":N,"lost":N,"duplicated":N,"unknown":N,"found":N,"unexplained":N,"rows":N,
   "outages":[{"from_ms":..,"to_ms":..,"ms":..},...]}
lost: acknowledged ids missing from the table; duplicated: ids acknowledged twice; unknown: inserts
whose outcome the client never learned at first; found: those of them the table holds that were
never acknowledged (committed, but the client was not told), so rows = acked + found; unexplained:
rows the client never sent; outages: gaps of more than 200 ms between
consecutive acknowledgements. Exit 1 when anything is lost, duplicated or unexplained.
"""

import argparse
import json
import os
import signal
import sys
import time

import pymysql

OUTAGE_MS = 200
DUPLICATE_KEY = 1062


def now_ms():
    return time.time_ns() // 1_000_000


def connect(args, timeout_s):
    return pymysql.connect(host=args.host, port=args.port, user=args.user, password=args.password,
                           database=args.database, autocommit=True, connect_timeout=timeout_s,
                           read_timeout=timeout_s, write_timeout=timeout_s)


class Writer:
    def __init__(self, args):
        self.args = args
        self.timeout_s = args.timeout_ms / 1000
        self.out = open(args.out, "a", buffering=1)
        self.connection = None
        self.server = "-"
        self.acked = 0
        self.last_ack_ms = None
        self.stopping = False
        self.deadline_ms = now_ms() + int(args.seconds * 1000)
        self.last_live_ms = 0

    def record(self, kind, row_id):
        self.out.write(f"{kind} {row_id} {now_ms()}\n")

    def should_stop(self):
        if self.stopping or now_ms() >= self.deadline_ms:
            return True
        return self.args.until_file is not None and os.path.exists(self.args.until_file)

    def drop_connection(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:
                pass
        self.connection = None

    def pause(self, ms):
        time.sleep(ms / 1000)

    def ensure_connected(self):
        """A connection, or None when stopping; retries every failure after a short pause."""
        while self.connection is None:
            if self.should_stop():
                return None
            self.show_live()
            try:
                self.connection = connect(self.args, self.timeout_s)
                with self.connection.cursor() as cursor:
                    cursor.execute("SELECT @@hostname")
                    self.server = cursor.fetchone()[0]
            except Exception:
                self.drop_connection()
                self.pause(max(self.args.interval_ms, 10))
        return self.connection

    def insert(self, row_id):
        """'ack', 'exists' (the id is already there: an earlier unknown attempt committed) or
        'unknown' (sent, but no answer)."""
        try:
            with self.connection.cursor() as cursor:
                cursor.execute("INSERT INTO writes (id, node, at) VALUES (%s, @@hostname, NOW(6))", (row_id,))
            return "ack"
        except pymysql.err.IntegrityError as error:
            if error.args and error.args[0] == DUPLICATE_KEY:
                return "exists"
            self.drop_connection()
            return "unknown"
        except Exception:
            self.drop_connection()
            return "unknown"

    def exists(self, row_id):
        """True or False once a server answered; None when stopping first."""
        while True:
            if self.ensure_connected() is None:
                return None
            try:
                with self.connection.cursor() as cursor:
                    cursor.execute("SELECT COUNT(*) FROM writes WHERE id = %s", (row_id,))
                    return cursor.fetchone()[0] == 1
            except Exception:
                self.drop_connection()

    def run(self):
        row_id = 1
        while not self.should_stop():
            if self.ensure_connected() is None:
                break
            outcome = self.insert(row_id)
            if outcome == "ack":
                self.record("ack", row_id)
                self.acked += 1
                self.last_ack_ms = now_ms()
                row_id += 1
                self.show_live()
                if self.args.interval_ms > 0:
                    self.pause(self.args.interval_ms)
                continue
            if outcome == "exists":
                self.record("found", row_id)
                row_id += 1
                continue
            self.record("unknown", row_id)
            present = self.exists(row_id)
            if present is None:
                break
            if present:
                self.record("found", row_id)
                row_id += 1
            else:
                self.record("absent", row_id)
        self.drop_connection()
        self.out.close()
        if self.args.live:
            self.show_live(force=True)
            print(flush=True)

    def show_live(self, force=False):
        if not self.args.live:
            return
        current = now_ms()
        if not force and current - self.last_live_ms < 100:
            return
        self.last_live_ms = current
        outage = 0 if self.last_ack_ms is None else current - self.last_ack_ms
        state = f"writing, outage {outage / 1000:.1f} s" if outage > OUTAGE_MS else "writing"
        if self.connection is None:
            state = f"reconnecting, outage {outage / 1000:.1f} s"
        line = f"rows acknowledged: {self.acked:7d}   server: {self.server:<8}   {state}"
        print(f"\r{line:<78}", end="", flush=True)


def read_events(path):
    events = []
    with open(path) as lines:
        for number, line in enumerate(lines, 1):
            words = line.split()
            if len(words) != 3 or words[0] not in ("ack", "unknown", "found", "absent"):
                raise SystemExit(f"{path}:{number}: not a writer line: {line.rstrip()!r}")
            events.append((words[0], int(words[1]), int(words[2])))
    return events


def read_rows(args):
    give_up = time.monotonic() + args.wait_seconds
    while True:
        try:
            connection = connect(args, 2)
            with connection.cursor() as cursor:
                cursor.execute("SELECT id FROM writes")
                rows = [row[0] for row in cursor.fetchall()]
            connection.close()
            return rows
        except pymysql.err.MySQLError as error:
            if time.monotonic() >= give_up:
                raise SystemExit(f"verify: the database did not answer within {args.wait_seconds} s: {error}")
            time.sleep(0.2)


def verify(args):
    events = read_events(args.out)
    rows = read_rows(args)
    present = set(rows)
    acked_list = [row_id for kind, row_id, _ in events if kind == "ack"]
    acked = set(acked_list)
    unknown = {row_id for kind, row_id, _ in events if kind == "unknown"}
    ack_times = [at for kind, _, at in events if kind == "ack"]
    outages = [{"from_ms": before, "to_ms": after, "ms": after - before}
               for before, after in zip(ack_times, ack_times[1:]) if after - before > OUTAGE_MS]
    report = {
        "acked": len(acked_list),
        "lost": len(acked - present),
        "duplicated": len(acked_list) - len(acked) + (len(rows) - len(present)),
        "unknown": len(unknown),
        "found": len((unknown & present) - acked),
        "unexplained": len(present - acked - unknown),
        "rows": len(rows),
        "outages": outages,
    }
    print(json.dumps(report), flush=True)
    if report["lost"]:
        print(f"verify: acknowledged but missing: {sorted(acked - present)[:20]}", file=sys.stderr)
    if report["unexplained"]:
        print(f"verify: rows never sent: {sorted(present - acked - unknown)[:20]}", file=sys.stderr)
    return 1 if report["lost"] or report["duplicated"] or report["unexplained"] else 0


def main():
    parser = argparse.ArgumentParser(description="numbered writes through a floating address, and their check")
    parser.add_argument("command", choices=("run", "verify"))
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=3306)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--database", default="hbtest")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=float, default=1800)
    parser.add_argument("--until-file")
    parser.add_argument("--interval-ms", type=int, default=5)
    parser.add_argument("--timeout-ms", type=int, default=500)
    parser.add_argument("--live", action="store_true")
    parser.add_argument("--wait-seconds", type=float, default=30)
    args = parser.parse_args()
    if args.timeout_ms <= 0 or args.interval_ms < 0 or args.seconds <= 0:
        parser.error("--timeout-ms and --seconds must be positive, --interval-ms not negative")
    if args.command == "verify":
        return verify(args)
    writer = Writer(args)

    def stop(_signal, _frame):
        writer.stopping = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    writer.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
