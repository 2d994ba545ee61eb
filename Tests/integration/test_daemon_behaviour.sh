#!/usr/bin/env bash
# The daemon as an admin drives it: -s / -k / -r, realtime scheduling, "Late heartbeat" warnings,
# and own-stall awareness (a node that was stopped does not declare its peers dead on waking).
source "$(dirname "$0")/lib.sh"
make_namespaces 2
# Sched, node1's group: records the scheduling policy its start runs with (field 41 of
# /proc/PID/stat: 0 SCHED_OTHER, 2 SCHED_RR).
for i in 1 2; do
    write_config $i "bcast eth0" "sha1 secret"
    mkdir -p "$WORK/node$i/etc/resource.d"
    cat > "$WORK/node$i/etc/resource.d/Sched" <<EOF
#!/bin/sh
case "\$1" in
    start) awk '{ print \$41 }' /proc/\$\$/stat > "$WORK/sched.$i"; touch "$WORK/sched.$i.on" ;;
    stop) rm -f "$WORK/sched.$i.on" ;;
    status) if [ -e "$WORK/sched.$i.on" ]; then echo running; else echo stopped; fi ;;
esac
EOF
    chmod 755 "$WORK/node$i/etc/resource.d/Sched"
    echo "node1 Sched" > "$WORK/node$i/etc/haresources"
    start_ours $i
done
wait_log 1 "Status update for node node2: status active" 5000 >/dev/null || fail "node1 never saw node2 active"
wait_log 2 "Status update for node node1: status active" 5000 >/dev/null || fail "node2 never saw node1 active"
ctl() { local i=$1; shift; HA_CONFIG_DIR=$WORK/node$i/etc HA_STATE_DIR=$WORK/node$i/state HA_RUN_DIR=$WORK/node$i/run HA_NODE_NAME=node$i "$BIN/heartbeat" "$@"; }
pid1=$(cat "$WORK/node1/pid")

# -s: 3.0.6's status line; realtime scheduling as root.
out=$(ctl 1 -s) || fail "heartbeat -s exited $? while running"
[[ $out == "heartbeat OK [pid $pid1 et al] is running on "* ]] || fail "heartbeat -s said: $out"
policy=$(awk '{print $41}' "/proc/$pid1/stat")
[ "$policy" = 2 ] || fail "daemon scheduling policy is $policy, expected SCHED_RR (2) with realtime on"
! grep -q "^ *VmLck: *0 kB" "/proc/$pid1/status" || fail "daemon memory is not locked"
# Realtime is the daemon's alone: its resource scripts (and what they start) run at normal priority.
wait_until 10000 test -s "$WORK/sched.1" >/dev/null || fail "node1 never started its Sched group"
[ "$(cat "$WORK/sched.1")" = 0 ] || fail "a resource script ran with scheduling policy $(cat "$WORK/sched.1"), expected SCHED_OTHER (0)"

# Our own status is not reported as a "Status update" for ourselves (3.0.6 logs only peers').
! grep -q "Status update for node node1" "$WORK/node1/ha-log" || fail "node1 logged a status update for itself"

past_startup 1 2
# A late heartbeat (stopped 750 ms: more than warntime 600 ms, less than deadtime 1000 ms).
kill -STOP "$(cat "$WORK/node2/pid")"; sleep 0.75; kill -CONT "$(cat "$WORK/node2/pid")"
wait_log 1 "Late heartbeat: Node node2: interval" 2000 >/dev/null || fail "no Late heartbeat warning"
! grep -q "node node2: is dead" "$WORK/node1/ha-log" || fail "a late (not dead) node was declared dead"

# Own stall: node1 stopped for 2.5 s. node2 rightly declares node1 dead; node1, on waking, must not
# declare node2 dead (it was node1 that stalled) and says that it stalled.
kill -STOP "$pid1"; sleep 2.5; kill -CONT "$pid1"
wait_log 2 "node node1: is dead" 1000 >/dev/null || fail "node2 did not declare the stopped node1 dead"
wait_log 1 "stall" 2000 >/dev/null || fail "node1 did not log its own stall"
assert_absent_for 1500 "node node2: is dead" "$WORK/node1/ha-log" || fail "node1 declared node2 dead after its own stall"
! grep -q "node node2: is dead" "$WORK/node1/ha-log" || fail "node1 declared node2 dead after its own stall"
[ "$(HA_RUN_DIR=$WORK/node1/run "$BIN/cl_status" nodestatus node2)" = active ] || fail "node1 lost node2 after stalling"

# -r with a broken ha.cf: refused, the daemon keeps running unchanged.
cp "$WORK/node1/etc/ha.cf" "$WORK/node1/ha.cf.good"
echo "keepalive banana" >> "$WORK/node1/etc/ha.cf"
if ctl 1 -r 2>"$WORK/reload.err"; then fail "heartbeat -r accepted a broken ha.cf"; fi
grep -q "ha.cf:[0-9]*: error" "$WORK/reload.err" || fail "heartbeat -r did not name the bad line: $(cat "$WORK/reload.err")"
kill -0 "$pid1" || fail "daemon died on a refused reload"
# -r with a good ha.cf (debug raised): applied.
cp "$WORK/node1/ha.cf.good" "$WORK/node1/etc/ha.cf"; echo "debug 1" >> "$WORK/node1/etc/ha.cf"
ctl 1 -r || fail "heartbeat -r refused a good ha.cf"
wait_log 1 "Configuration reloaded" 2000 >/dev/null || fail "daemon did not reload"

# -k: stops the daemon and waits; -s then reports stopped (exit 3).
ctl 1 -k || fail "heartbeat -k failed"
! kill -0 "$pid1" 2>/dev/null || fail "daemon still running after -k"
out=$(ctl 1 -s); code=$?
[ $code = 3 ] && [ "$out" = "heartbeat is stopped. No process" ] || fail "heartbeat -s after stop: exit $code, '$out'"
log "-s/-k/-r, SCHED_RR + locked memory, late heartbeat, own stall: as expected"
