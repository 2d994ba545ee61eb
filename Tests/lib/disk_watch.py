#!/usr/bin/env python3
"""The checker of the shared disk (Tests/lib/machines.sh's start_disk_watch, disk_watch_report).

watch: every 20 ms, for each machine in WORK (nodeI/machine.pid and machine.ns): is the disk
mounted in its mount namespace (the init's /proc/PID/mountinfo, by major:minor; while a machine is
being powered off, a database still dying there), and does mariadbd or mysqld run in its PID
namespace (host /proc). One line per change to WORK/disk_watch.log:
    MS node1=MOUNTED,MYSQLD node2=...        (MOUNTED, MYSQLD: 0 or 1)
and at the end "# end MS REASON samples=N max_gap=Gms" (REASON: stopped, max, owner gone).
report LOG: the moments when two machines had the disk mounted, or ran mysqld, with their times;
exit 1 when there was one, or when the watch ended before it was asked to stop.
"""
import argparse
import os
import re
import signal
import sys
import time

DATABASES = ("mariadbd", "mysqld")


def now_ms():
    return int(time.time() * 1000)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def link(path):
    try:
        return os.readlink(path)
    except OSError:
        return ""


def machines(work):
    """(name, init PID, "pid:[N]", "mnt:[N]") of every machine booted in work, by number."""
    found = []
    for entry in os.listdir(work):
        match = re.fullmatch(r"node(\d+)", entry)
        if not match:
            continue
        directory = os.path.join(work, entry)
        init, namespaces = read(directory + "/machine.pid").split(), read(directory + "/machine.ns").split()
        if len(init) != 1 or len(namespaces) != 2:
            continue
        name = read(directory + "/name").strip() or entry
        found.append((int(match.group(1)), name, init[0], "pid:[%s]" % namespaces[0], "mnt:[%s]" % namespaces[1]))
    return [machine[1:] for machine in sorted(found)]


class Sampler:
    """The state of the machines now. A machine's namespaces are recognised by their numbers only
    while its init runs (the kernel gives a freed namespace's number to the next new one): once
    the init is gone, only the databases seen in the machine while it ran are followed, until
    they are gone too (a machine being powered off)."""

    def __init__(self, work, disk):
        self.work, self.disk = work, disk
        self.databases = {}   # machine name -> PIDs of its databases at the last sample

    def mounted(self, pid):
        return any(line.split()[2] == self.disk for line in read("/proc/%s/mountinfo" % pid).splitlines())

    def sample(self):
        """"node1=M,D node2=M,D" now."""
        databases = [p for p in os.listdir("/proc") if p.isdigit() and read("/proc/%s/comm" % p).strip() in DATABASES]
        states = []
        for name, init, pidns, mntns in machines(self.work):
            if link("/proc/%s/ns/pid" % init) == pidns:
                running = [p for p in databases if link("/proc/%s/ns/pid" % p) == pidns]
                mounted = self.mounted(init)
            else:
                running = [p for p in self.databases.get(name, []) if link("/proc/%s/ns/pid" % p) == pidns]
                mounted = any(self.mounted(p) for p in running if link("/proc/%s/ns/mnt" % p) == mntns)
            self.databases[name] = running
            states.append("%s=%d,%d" % (name, mounted, bool(running)))
        return " ".join(states)


def watch(args):
    st = os.stat(args.disk)
    disk = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append("stopped"))
    deadline = time.monotonic() + args.max
    interval = args.interval_ms / 1000
    sampler = Sampler(args.work, disk)
    samples, max_gap, last, previous = 0, 0, None, None
    with open(os.path.join(args.work, "disk_watch.log"), "w", buffering=1) as log:
        while not stopping:
            if time.monotonic() >= deadline:
                stopping.append("max")
                break
            try:
                os.kill(args.owner, 0)
            except ProcessLookupError:
                stopping.append("owner gone")
                break
            started = time.monotonic()
            state = sampler.sample()
            samples += 1
            if last is not None:
                max_gap = max(max_gap, started - last)
            last = started
            if state != previous:
                log.write("%d %s\n" % (now_ms(), state))
                previous = state
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
        log.write("# end %d %s samples=%d max_gap=%dms\n" % (now_ms(), stopping[0], samples, max_gap * 1000))


def moments(rows, end, column):
    """The [from, to) intervals during which two machines or more had column (0 mounted, 1 mysqld)."""
    found = []
    for (at, states), following in zip(rows, [r[0] for r in rows[1:]] + [end]):
        if sum(int(value.split(",")[column]) for value in states.values()) < 2:
            continue
        if found and found[-1][1] == at:
            found[-1][1] = following
        else:
            found.append([at, following, " ".join("%s=%s" % item for item in states.items())])
    return found


def report(args):
    rows, end, ending = [], None, None
    for line in read(args.log).splitlines():
        words = line.split()
        if line.startswith("# end "):
            end, ending = int(words[2]), line[2:]
        elif words:
            rows.append((int(words[0]), dict(word.split("=", 1) for word in words[1:])))
    if not rows:
        print("disk watch: no sample in %s" % args.log)
        return 1
    end = end or rows[-1][0]
    mounts, databases = moments(rows, end, 0), moments(rows, end, 1)
    print("double mount: %d moments, double mysqld: %d moments" % (len(mounts), len(databases)))
    for what, found in (("double mount", mounts), ("double mysqld", databases)):
        for start, stop, states in found:
            print("  %s from %d to %d (%d ms): %s" % (what, start, stop, stop - start, states))
    print("  watched %d ms (%s)" % (end - rows[0][0], ending or "no end line"))
    failed = bool(mounts or databases)
    if ending is None or " stopped " not in ending + " ":
        print("  the watch ended before it was asked to stop: what came after was not checked")
        failed = True
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    watching = commands.add_parser("watch")
    watching.add_argument("--work", required=True)
    watching.add_argument("--disk", required=True, help="the shared block device")
    watching.add_argument("--owner", type=int, required=True, help="stop once this process is gone")
    watching.add_argument("--max", type=float, default=900, help="seconds")
    watching.add_argument("--interval-ms", type=float, default=20)
    reporting = commands.add_parser("report")
    reporting.add_argument("log")
    args = parser.parse_args()
    if args.command == "watch":
        watch(args)
        return 0
    return report(args)


if __name__ == "__main__":
    sys.exit(main())
