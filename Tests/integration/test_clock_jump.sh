#!/usr/bin/env bash
# Wall-clock jumps (issue #9): node1's wall clock is set back an hour, then forward an hour past
# the real time, then back, while the cluster runs. This machine's clock is not touched: node1 runs
# with wallclock_shift.c preloaded, which shifts CLOCK_REALTIME/time()/gettimeofday() only, as a
# real `date -s` would; every deadline of ours uses CLOCK_MONOTONIC. (Debian's libfaketime with
# FAKETIME_DONT_FAKE_MONOTONIC also moves absolute timerfd deadlines, which a real jump does not, so
# the daemon's timer stops: an artefact of the tool, not what a clock jump does.)
# Asserts: no node declared dead or restarted, no late heartbeat, both groups stay where they were.
source "$(dirname "$0")/lib.sh"
SHIFT_LIB=$WORK/wallclock_shift.so
"$(command -v cc || command -v clang)" -shared -fPIC -O2 -o "$SHIFT_LIB" "$ROOT/Tests/integration/wallclock_shift.c" -ldl || fail "cannot build the clock shim"
make_namespaces 2
for i in 1 2; do
    write_config $i "bcast eth0" "sha1 secret"
    use_dummy $i 'node1 Dummy::web\nnode2 Dummy::db'
done
OFFSET=$WORK/wallclock-shift
echo 0 > "$OFFSET"
NODE_ENV="LD_PRELOAD=$SHIFT_LIB WALLCLOCK_SHIFT_FILE=$OFFSET" start_ours 1
start_ours 2
wait_log 1 "Initial resource acquisition complete" 10000 >/dev/null || fail "node1 never acquired its group"
wait_log 2 "Initial resource acquisition complete" 10000 >/dev/null || fail "node2 never acquired its group"
past_startup 1 2
status() { HA_RUN_DIR=$WORK/node$1/run "$BIN/cl_status" "${@:2}"; }
[ "$(status 1 rscstatus)" = local ] && [ "$(status 2 rscstatus)" = local ] || fail "groups not settled before the jumps"
# Each shift is held for 3 s, during which neither node may react to it.
REACTIONS="is dead|Heartbeat restart|Late heartbeat|returning after partition"
held() { assert_absent_for 3000 "$REACTIONS" "$WORK/node1/ha-log" "$WORK/node2/ha-log" || fail "a node reacted to node1's wall clock $1"; }
# The shift takes: the daemon's log stamps (wall clock) move back an hour, then forward.
echo -3600 > "$OFFSET"; held "set back an hour"
kill -USR1 "$(cat "$WORK/node1/run/heartbeat.pid")" || fail "no node1 pid file"
wait_log 1 "debug now set to" 2000 >/dev/null || fail "node1 did not log its debug level after SIGUSR1"
stamp=$(grep "debug now set to" "$WORK/node1/ha-log" | tail -1 | awk '{print $3}')
expected=$(date -u -d "-3600 seconds" +%H)
[ "${stamp%%:*}" = "$expected" ] || fail "the shim did not move node1's wall clock (log stamp $stamp, expected hour $expected)"
echo 3600 > "$OFFSET"; held "set forward an hour"
echo 0 > "$OFFSET"; held "set right again"
for i in 1 2; do
    ! grep -E "$REACTIONS" "$WORK/node$i/ha-log" || fail "node$i reacted to node1's wall-clock jumps"
done
[ "$(status 1 nodestatus node2)" = active ] && [ "$(status 2 nodestatus node1)" = active ] || fail "membership changed"
[ "$(status 1 rscstatus)" = local ] && [ "$(status 2 rscstatus)" = local ] || fail "group ownership changed"
log "wall clock -1 h, +1 h, back (3 s each): membership and ownership unchanged (log stamp during -1 h: $stamp)"
