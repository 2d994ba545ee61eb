#!/usr/bin/env bash
# `make demo` twice in a row (issue #7): each run exits 0 and prints its summary, and leaves
# nothing behind: no namespace, no work directory, no process of its own.
source "$(dirname "$0")/lib.sh"
DEMO_SH=$ROOT/demo/demo.sh

# leftovers: the demo's namespaces (hbd<pid>-*) and /tmp/hb-demo.* work directories.
leftovers() {
    ip netns list | awk '{print $1}' | grep '^hbd[0-9]*-' | sort
    find /tmp -maxdepth 1 -name "hb-demo.*" | sort
}
# demo_processes: the demo's client and web servers (by command line) and daemons (by the state
# directory in their environment) still running.
demo_processes() {
    local pid
    for pid in /proc/[0-9]*; do
        { tr '\0' '\n' < "$pid/cmdline"; tr '\0' '\n' < "$pid/environ"; } 2>/dev/null \
            | grep -qE "demo/poller.py|demo-web-root|^HA_STATE_DIR=/tmp/hb-demo" && echo "${pid#/proc/}"
    done
}

before=$(leftovers)
for run in 1 2; do
    out=$WORK/demo$run
    HB_BIN=$BIN timeout 120 bash "$DEMO_SH" > "$out" 2>&1 || { tail -20 "$out"; fail "run $run: make demo failed"; }
    grep -q "^Summary" "$out" || fail "run $run: no summary"
    grep -q "client: service unreachable for [0-9]* ms, answering again: served by .* from node2" "$out" \
        || fail "run $run: the client never saw node2 serve"
    grep -q "back on node1: served by .* from node1" "$out" || fail "run $run: the group did not come home"
    # Only what appeared counts (what vanished meanwhile is not the demo's doing).
    added=$(comm -13 <(echo "$before") <(leftovers))
    [ -z "$added" ] || fail "run $run left behind: $added"
    [ -z "$(demo_processes)" ] || fail "run $run left processes behind: $(demo_processes)"
    log "run $run: $(grep -o "node2: 'node node1: is dead' ([0-9]* ms after the kill)" "$out"), $(grep -o "service unreachable for [0-9]* ms" "$out" | head -1); nothing left behind"
done
