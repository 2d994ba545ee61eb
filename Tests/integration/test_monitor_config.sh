#!/usr/bin/env bash
# The monitors file as an admin edits it (issue #17), one of our daemons running group web:
#  A. Malformed at start: heartbeat refuses to start with every bad line as monitors:LINE (and a
#     "did you mean" for a misspelt group), and starts nothing: no pidfile, no resource.
#  B. Under `heartbeat -r`: a monitors file that appears (its check starts), changes (the new
#     interval is used), breaks (heartbeat -r refuses it with monitors:LINE; a SIGHUP makes the
#     daemon log ERROR monitors:LINE; the old check goes on) and goes away (the check stops).
# The check is an exec: probe that stamps each of its runs in probe.log.
source "$(dirname "$0")/lib.sh"
make_namespaces 1
mkdir -p "$WORK/checks"
printf '#!/bin/sh\ndate +%%s%%N >> "%s"\n' "$WORK/probe.log" > "$WORK/checks/probe"
chmod 755 "$WORK/checks/probe"
PROBE="Dummy::web exec:$WORK/checks/probe"
NODES=node1 INITDEAD=2 write_config 1 "bcast eth0" "sha1 secret"
use_dummy 1 'node1 Dummy::web'
MONITORS=$WORK/node1/etc/monitors

# A. refused TEXT PATTERN...: with TEXT as monitors, heartbeat -f exits 1 printing every PATTERN,
# and leaves nothing behind or running.
refused() {
    local text=$1 code=0 pattern; shift
    printf '%b\n' "$text" > "$MONITORS"
    # shellcheck disable=SC2046 # node_env is words
    ip netns exec "${PREFIX}-1" env HA_CONFIG_DIR="$WORK/node1/etc" HA_STATE_DIR="$WORK/node1/state" \
        HA_RUN_DIR="$WORK/node1/run" HA_NODE_NAME=node1 $(node_env 1) timeout 10 "$BIN/heartbeat" -f >"$WORK/out" 2>&1 || code=$?
    [ "$code" = 1 ] || fail "A: exit $code, not 1 (refused), for: $text: $(head -5 "$WORK/out")"
    for pattern in "$@"; do
        grep -qE -- "$pattern" "$WORK/out" || fail "A: no diagnostic matching '$pattern' in: $(head -8 "$WORK/out")"
    done
    for leftover in "$WORK/node1/run/heartbeat.pid" "$WORK/node1/run/control" "$WORK/node1/state/fifo" "$WORK/node1/rsc/Dummy-web"; do
        [ ! -e "$leftover" ] || fail "A: $leftover left behind"
    done
}
refused "Dummy::wbe status" "monitors:1: error: unknown group \[Dummy::wbe\]" "did you mean Dummy::web"
refused "# ok so far\n$PROBE interval=fast\nDummy::web tcp:10.77.0.1:99999\nDummy::web exec:checks/probe" \
    "monitors:2: error: invalid time \[fast\]" "monitors:3: error: .*port" "monitors:4: error: exec: needs an absolute path"
refused "Dummy::web status on_fail=reboot" "monitors:1: error: invalid on_fail \[reboot\]"
log "A: malformed monitors refused at start with monitors:LINE, nothing started"
rm "$MONITORS"

# gaps_ms FROM: the median gap (ms) between the probe's runs from line FROM of probe.log on.
gaps_ms() {
    tail -n +"$1" "$WORK/probe.log" | python3 -c '
import sys
t = [int(l) for l in sys.stdin if l.strip()]
g = sorted((b - a) // 1_000_000 for a, b in zip(t, t[1:]))
print(g[len(g) // 2] if g else 0)'
}
within() { [ "$3" -ge "$1" ] && [ "$3" -le "$2" ]; }
runs() { if [ -f "$WORK/probe.log" ]; then wc -l < "$WORK/probe.log"; else echo 0; fi; }
reload() { heartbeat_on 1 -r 2>"$WORK/reload.err"; }

# B. No file: no check. Then it appears.
start_ours 1
wait_dummy 1 web yes 10000 >/dev/null || fail "B: node1 did not start web"
sleep 1.5   # a negative check: no file, no probe (nothing to poll for)
[ "$(runs)" = 0 ] || fail "B: the probe ran without a monitors file"
echo "$PROBE interval=1s timeout=500ms" > "$MONITORS"
reload || fail "B: heartbeat -r refused a good monitors file: $(cat "$WORK/reload.err")"
t=$(wait_until 3000 at_least 1 runs) || fail "B: the check did not start after heartbeat -r"
wait_until 5000 at_least 4 runs >/dev/null || fail "B: the check did not go on after its first run"
gap=$(gaps_ms 1)
within 800 1300 "$gap" || fail "B: runs ${gap} ms apart, not about 1 s"
log "B: file appears -> first check ${t} ms after heartbeat -r, then ${gap} ms apart"

# It changes: the new interval is used.
echo "$PROBE interval=300ms timeout=200ms" > "$MONITORS"
reload || fail "B: heartbeat -r refused the changed monitors file: $(cat "$WORK/reload.err")"
from=$(( $(runs) + 2 ))
wait_until 5000 at_least $(( from + 6 )) runs >/dev/null || fail "B: the check stopped after the change"
gap=$(gaps_ms "$from")
within 200 450 "$gap" || fail "B: runs ${gap} ms apart after the change, not about 300 ms"
log "B: interval changed -> runs ${gap} ms apart"

# It breaks: refused, and the old check goes on.
echo "Dummy::web frobnicate:x" >> "$MONITORS"
! reload || fail "B: heartbeat -r accepted a broken monitors file"
grep -q "monitors:2: error" "$WORK/reload.err" || fail "B: heartbeat -r did not name monitors:2: $(cat "$WORK/reload.err")"
kill -HUP "$(cat "$WORK/node1/pid")"
wait_log 1 "ERROR: .*monitors:2: error" 3000 >/dev/null || fail "B: the daemon did not log the broken line on SIGHUP"
from=$(( $(runs) + 1 ))
wait_until 5000 at_least $(( from + 6 )) runs >/dev/null || fail "B: the old check stopped after a refused reload"
gap=$(gaps_ms "$from")
within 200 450 "$gap" || fail "B: runs ${gap} ms apart after the refused reload, not about 300 ms"
kill -0 "$(cat "$WORK/node1/pid")" || fail "B: the daemon died on a broken monitors file"
log "B: broken file -> refused (heartbeat -r and SIGHUP name monitors:2), old check goes on ${gap} ms apart"

# It goes away: no more checks.
rm "$MONITORS"
reload || fail "B: heartbeat -r refused a configuration without monitors: $(cat "$WORK/reload.err")"
sleep 0.5   # a run in flight may still finish
before=$(runs)
holds_for 2000 prints "$before" runs || fail "B: the check still runs after its file was removed"
dummy_running 1 web || fail "B: web stopped"
log "B: file removed -> checks stopped"
