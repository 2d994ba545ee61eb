#!/usr/bin/env python3
"""The database suite's figures (issue #18), from the files one fault run leaves behind.

db_report.py measure --fault-ms T --acks FILE --watch FILE --pdu FILE --logs FILE,FILE --verify JSON key=value...
    One run: prints a JSON object (one line) with the key=value pairs, the writer's verdict and
    - outage_ms: the longest gap between two consecutive acknowledged writes from 100 ms before
      the fault on (the write outage: from the last acknowledged write before the fault's effect
      to the first after it; a kill -9 of heartbeat alone leaves mysqld answering until the
      fence, so the effect may come seconds after the fault);
    - answering_ms: fault -> the first acknowledged write after that gap;
    - fenced_ms: fault -> the first power switch request that succeeded (null when none);
      fence_failures: the requests that failed before it;
    - reset_ms: how long the successful reset took (the power switch's own log);
      fence_delay_ms: the priority fencing delay the fencing daemon waited first (a node that
      runs no group cannot tell a dead owner from a cut link, so it lets the owner shoot first);
    - overhead_ms: peer_mysqld_ms - deadtime_ms - fence_delay_ms - reset_ms, what a crash
      failover costs beyond detection (deadtime), fencing and MariaDB's own start with its crash
      recovery: detection past deadtime, mounting the disk, the address, the scripts (the
      issue's target: at most 1 s);
    - node1_mysqld_gone_ms, node1_unmounted_ms: fault -> node1 (the owner) ran no mysqld, had
      the disk unmounted (from the disk watch; null when it never did);
    - peer_mounted_ms, peer_mysqld_ms: fault -> the peer (the `peer=` node) mounted the shared
      disk, ran mysqld (from the disk watch; null when it never did);
    - double_mounts, double_mysqld: moments when two machines had the disk mounted, ran mysqld
      (each moment with its start, ms after the fault, and length);
    - holders: who has the disk mounted / runs mysqld at the end, e.g. {"node1": [1, 1]}.
db_report.py check < RUN_JSON
    The run's failures against its fault's promise (Tests/lib/db_fault.sh), one line each; exit 1
    when there is one.
db_report.py line < RUN_JSON
    The run in one line.
db_report.py figures < RUN_JSON
    The run's figures for bench/bench.sh, `NAME<TAB>UNIT<TAB>VALUE` a line, named
    db_FAULT_MODE_...: outage, answering, fenced, overhead (above), fenced_to_mysqld (the reset -> mysqld started
    on the peer: mount, address, script), mysqld_to_answering (mysqld started -> first write:
    InnoDB's start and recovery, the client's reconnect), lost (lost + duplicated), double_mounts;
    for standby the move's steps: stop (fault -> no mysqld on node1), release (-> node1 unmounted),
    handover (-> node2 mounted), start (-> mysqld runs on node2), ready (-> the first write).
db_report.py table FILE...
    Per fault and mode: runs, the sums of lost, duplicated and double mounts, and the
    median/min/max of the outage, fault -> fenced and fault -> answering.
"""
import json
import re
import statistics
import sys


def read_acks(path):
    """Times (ms) of the acknowledged writes, in file order: the writer's lines `ack ID MS`."""
    times = []
    for line in open(path):
        words = line.split()
        if len(words) == 3 and words[0] == "ack":
            times.append(int(words[2]))
    return times


def read_watch(path):
    """The disk watch's changes: [(ms, {node: (mounted, mysqld)})]."""
    changes = []
    for line in open(path):
        words = line.split()
        if not words or not words[0].isdigit():
            continue
        state = {}
        for word in words[1:]:
            node, _, value = word.partition("=")
            mounted, _, mysqld = value.partition(",")
            state[node] = (int(mounted or 0), int(mysqld or 0))
        changes.append((int(words[0]), state))
    return changes


def doubles(changes, index, fault, end):
    """The moments when two or more machines had the field `index` (0 mounted, 1 mysqld) set."""
    moments, since = [], None
    for at, state in changes:
        two = sum(1 for v in state.values() if v[index]) >= 2
        if two and since is None:
            since = at
        elif not two and since is not None:
            moments.append({"from_ms": since - fault, "ms": at - since})
            since = None
    if since is not None:
        moments.append({"from_ms": since - fault, "ms": max(end - since, 0)})
    return moments


def first_change(changes, node, index, fault, value=1):
    """ms after the fault when `node` first had the field `index` (0 mounted, 1 mysqld) equal to
    `value` (None: never)."""
    for at, state in changes:
        if at >= fault and state.get(node, (0, 0))[index] == value:
            return at - fault
    return None


def fencing(path, fault):
    """(fault -> first successful reset/off, its duration, failed requests before it) from the
    power switch's log: lines `MS CALLER ACTION TARGET ok|failed DURATIONms` (MS: answered)."""
    failures = 0
    try:
        lines = open(path).read().split("\n")
    except FileNotFoundError:
        return None, None, 0
    for line in lines:
        words = line.split()
        if len(words) < 6 or not words[0].isdigit() or int(words[0]) < fault:
            continue
        if words[2] not in ("reset", "off"):
            continue
        if words[4] == "ok":
            return int(words[0]) - fault, int(words[5].rstrip("ms")), failures
        failures += 1
    return None, None, failures


def fence_delay(paths):
    """The priority fencing delay (ms) a daemon logged waiting, 0 when none did."""
    for path in paths:
        try:
            text = open(path, errors="replace").read()
        except FileNotFoundError:
            continue
        match = re.search(r"Fencing \S+ in (\d+)s \(priority fencing delay", text)
        if match:
            return int(match.group(1)) * 1000
    return 0


def measure(args):
    opts, extra = {}, {}
    words = list(args)
    while words:
        word = words.pop(0)
        if word.startswith("--"):
            opts[word[2:]] = words.pop(0)
        else:
            key, _, value = word.partition("=")
            extra[key] = int(value) if value.lstrip("-").isdigit() else value
    fault = int(opts["fault-ms"])
    result = dict(extra)
    result.update(json.loads(opts.get("verify") or "{}"))
    acks = read_acks(opts["acks"])
    after = [t for t in acks if t >= fault - 100]
    before = [t for t in acks if t < fault - 100]
    if before:
        after.insert(0, before[-1])
    gap, answering = None, None
    for a, b in zip(after, after[1:]):
        if gap is None or b - a > gap:
            gap, answering = b - a, max(b - fault, 0)   # 0: it answered throughout
    result["outage_ms"] = gap
    result["answering_ms"] = answering
    result["fenced_ms"], result["reset_ms"], result["fence_failures"] = fencing(opts["pdu"], fault)
    result["fence_delay_ms"] = fence_delay(opts.get("logs", "").split(",")) if result["fenced_ms"] is not None else None
    changes = read_watch(opts["watch"])
    end = changes[-1][0] if changes else fault
    end = max(end, acks[-1] if acks else end)
    peer = extra.get("peer")
    result["peer_mounted_ms"] = first_change(changes, peer, 0, fault) if peer else None
    result["peer_mysqld_ms"] = first_change(changes, peer, 1, fault) if peer else None
    result["node1_mysqld_gone_ms"] = first_change(changes, "node1", 1, fault, 0)
    result["node1_unmounted_ms"] = first_change(changes, "node1", 0, fault, 0)
    parts = (result["peer_mysqld_ms"], extra.get("deadtime_ms"), result["fence_delay_ms"], result["reset_ms"])
    result["overhead_ms"] = parts[0] - parts[1] - parts[2] - parts[3] if None not in parts else None
    result["double_mounts"] = doubles(changes, 0, fault, end)
    result["double_mysqld"] = doubles(changes, 1, fault, end)
    last = changes[-1][1] if changes else {}
    result["holders"] = {node: list(v) for node, v in sorted(last.items()) if any(v)}
    print(json.dumps(result, sort_keys=True))


# Where the database runs at the end of each fault, and whether a reset is expected.
OWNER_AFTER = {"standby": "node2", "kill": "node2", "poweroff": "node2", "fencefail": "node2",
               "cut": "node1", "mysqld": "node1"}
FENCED = {"kill", "poweroff", "fencefail", "cut"}


def failures(run):
    fault = run["fault"]
    if fault == "nofence":
        found = []
        if not run["double_mounts"] or run["watch_report"] != 1:
            found.append("without STONITH the disk watch saw no double mount (it must: node1's mysqld "
                         "lives on while node2 mounts)")
        if run["check_warns"] != 1:
            found.append("hbctl check did not warn about a shared Filesystem without STONITH")
        return found
    found = []
    for key in ("lost", "duplicated"):
        if run.get(key) != 0:
            found.append(f"{key}: {run.get(key)} (the writer's check: {run.get('acked', 'no answer')} acknowledged)")
    if not run.get("acked"):
        found.append("the writer's check did not answer")
    if run["double_mounts"] or run["double_mysqld"] or run["watch_report"] != 0:
        found.append(f"two machines at once: mounts {run['double_mounts']}, mysqld {run['double_mysqld']}")
    if run["innodb"] != "clean":
        found.append("InnoDB did not start cleanly (see the error log above)")
    if run["check_warns"] != 0:
        found.append("hbctl check warned about fencing although STONITH is configured")
    if run["answering_ms"] is None:
        found.append("the database never answered again")
    owner = OWNER_AFTER[fault]
    if run["holders"] != {owner: [1, 1]}:
        found.append(f"at the end {owner} alone should hold the disk and mysqld: {run['holders']}")
    if fault in FENCED and run["fenced_ms"] is None:
        found.append("no successful reset by the power switch")
    if fault not in FENCED and run["fenced_ms"] is not None:
        found.append(f"a node was reset {run['fenced_ms']} ms after the {fault}")
    if fault == "fencefail" and run["fence_failures"] != 2:
        found.append(f"{run['fence_failures']} failed resets before the good one, not 2")
    if fault in ("kill", "poweroff", "fencefail") and run["fenced_ms"] is not None and (
            run["peer_mounted_ms"] is None or run["peer_mounted_ms"] < run["fenced_ms"]):
        found.append(f"node2 mounted the disk at {run['peer_mounted_ms']} ms, before the reset at {run['fenced_ms']} ms")
    if fault in ("cut", "mysqld") and run["peer_mounted_ms"] is not None:
        found.append(f"node2 mounted the disk {run['peer_mounted_ms']} ms after the {fault}")
    if fault == "cut" and (run["alive1"], run["alive2"]) != (1, 0):
        found.append(f"after the cut heartbeat should run on node1 only: node1 {run['alive1']}, node2 {run['alive2']}")
    return found


def line():
    run = json.loads(sys.stdin.read())

    def ms(key):
        return "-" if run.get(key) is None else f"{run[key]} ms"
    if run["fault"] == "nofence":
        moments = ", ".join(f"+{m['from_ms']} ms for {m['ms']} ms" for m in run["double_mounts"]) or "none"
        print(f"without STONITH: double mounts {len(run['double_mounts'])} ({moments}), "
              f"double mysqld {len(run['double_mysqld'])}, hbctl check warned: {'yes' if run['check_warns'] else 'no'}")
        return
    print(f"lost {run.get('lost', '-')}, duplicated {run.get('duplicated', '-')} of {run.get('acked', '-')} acknowledged, "
          f"double mounts {len(run['double_mounts'])}, write outage {ms('outage_ms')}, "
          f"fault->fenced {ms('fenced_ms')}, fault->answering {ms('answering_ms')}, InnoDB {run['innodb']}")


def figures():
    run = json.loads(sys.stdin.read())
    name = f"db_{run['fault']}_{run['mode']}"
    values = [("outage", "ms", run["outage_ms"]), ("answering", "ms", run["answering_ms"]),
              ("fenced", "ms", run["fenced_ms"])]
    if run["overhead_ms"] is not None:
        values.append(("overhead", "ms", run["overhead_ms"]))
    if run["fenced_ms"] is not None and run["peer_mysqld_ms"] is not None:
        values.append(("fenced_to_mysqld", "ms", run["peer_mysqld_ms"] - run["fenced_ms"]))
    if run["peer_mysqld_ms"] is not None and run["answering_ms"] is not None:
        values.append(("mysqld_to_answering", "ms", run["answering_ms"] - run["peer_mysqld_ms"]))
    if run["fault"] == "standby":
        # The planned move step by step, from the disk watch's 20 ms samples.
        steps = [("stop", None, "node1_mysqld_gone_ms"), ("release", "node1_mysqld_gone_ms", "node1_unmounted_ms"),
                 ("handover", "node1_unmounted_ms", "peer_mounted_ms"), ("start", "peer_mounted_ms", "peer_mysqld_ms"),
                 ("ready", "peer_mysqld_ms", "answering_ms")]
        for step, since, until in steps:
            begin = 0 if since is None else run[since]
            if begin is not None and run[until] is not None:
                values.append((step, "ms", run[until] - begin))
    values.append(("lost", "count", run.get("lost", 0) + run.get("duplicated", 0)))
    values.append(("double_mounts", "count", len(run["double_mounts"])))
    for figure, unit, value in values:
        if value is not None:
            print(f"{name}_{figure}\t{unit}\t{value}")


def check():
    found = failures(json.loads(sys.stdin.read()))
    for line in found:
        print(f"    {line}")
    sys.exit(1 if found else 0)


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"{statistics.median(values):.0f} ({min(values)}-{max(values)})"


def table(paths):
    runs = [json.loads(line) for path in paths for line in open(path) if line.strip()]
    groups = {}
    for run in runs:
        groups.setdefault((run["fault"], run["mode"]), []).append(run)
    header = ("fault", "mode", "runs", "lost", "dup", "double mounts",
              "outage ms", "fault->fenced ms", "fault->answering ms")
    rows = [header]
    for (fault, mode), group in groups.items():
        rows.append((fault, mode, str(len(group)),
                     str(sum(r.get("lost", 0) for r in group)),
                     str(sum(r.get("duplicated", 0) for r in group)),
                     str(sum(len(r["double_mounts"]) for r in group)),
                     spread([r["outage_ms"] for r in group]),
                     spread([r["fenced_ms"] for r in group]),
                     spread([r["answering_ms"] for r in group])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        measure(sys.argv[2:])
    elif len(sys.argv) == 2 and sys.argv[1] == "check":
        check()
    elif len(sys.argv) == 2 and sys.argv[1] == "figures":
        figures()
    elif len(sys.argv) == 2 and sys.argv[1] == "line":
        line()
    elif len(sys.argv) > 2 and sys.argv[1] == "table":
        table(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
