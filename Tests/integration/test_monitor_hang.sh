#!/usr/bin/env bash
# Service health monitoring (issue #17): a check that hangs. Group web (Dummy) runs on node1,
# checked by an exec: script (interval 1 s, timeout 500 ms, fall 3, on_fail=alert) that, while
# the file hang exists, starts a child and sleeps. Each run is killed at its timeout together with
# its whole process group and counts as a failure (1, 2, 3 of fall 3, then the CRIT alert); the
# group stays where it is; membership is undisturbed: no late heartbeat, nobody dead, on either
# node. The file gone, the group is healthy again.
source "$(dirname "$0")/lib.sh"
make_namespaces 2
mkdir -p "$WORK/checks"
cat > "$WORK/checks/hang" <<EOS
#!/bin/sh
[ -e "$WORK/hang" ] || exit 0
sleep 60 &
echo "\$\$ \$!" >> "$WORK/hang.pids"
sleep 60
EOS
chmod 755 "$WORK/checks/hang"
for i in 1 2; do
    write_config "$i" "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret"
    use_dummy "$i" 'node1 Dummy::web'
    write_monitors "$i" "Dummy::web exec:$WORK/checks/hang interval=1s timeout=500ms fall=3 on_fail=alert"
done
# state I: web's health state in nodeI's `hbctl status --json`.
state() { status_value "$1" "next(g['health']['state'] for g in r['groups'] if g['key'] == 'Dummy::web')"; }
start_ours 1; start_ours 2
wait_dummy 1 web yes 10000 >/dev/null || fail "node1 did not start web"
past_startup 1 2
wait_until 5000 prints healthy state 1 >/dev/null || fail "web never healthy on node1: $(hbctl_on 1 status)"

touch "$WORK/hang"; hung=$(now_ms)
for k in 1 2 3; do
    wait_log 1 "($k of fall 3)" 5000 >/dev/null || fail "run $k of the hanging check was not counted as a failure"
    line=$(grep "($k of fall 3)" "$WORK/node1/ha-log" | tail -1)
    grep -qi "time" <<<"$line" || fail "failure $k is not reported as a timeout: $line"
done
wait_log 1 "CRIT: .*web" 3000 >/dev/null || fail "no CRIT alert after 3 failures"
detected=$(( $(now_ms) - hung ))
# Every run's script and child are gone: killed as a process group.
read -r -a pids <<<"$(cut -d' ' -f1,2 "$WORK/hang.pids" | tr '\n' ' ')"
[ ${#pids[@]} -ge 6 ] || fail "expected at least 3 runs (6 processes) in $WORK/hang.pids: ${pids[*]}"
# The last run may still be within its timeout.
wait_until 1500 gone "${pids[@]}" >/dev/null || fail "processes of timed-out checks survive: $(for p in "${pids[@]}"; do gone "$p" || echo "$p"; done)"
log "hanging check -> 3 timeouts counted and the CRIT alert after ${detected} ms; all $(( ${#pids[@]} / 2 )) runs killed with their children"
dummy_running 1 web || fail "on_fail=alert stopped web on node1"
dummy_stopped 2 web || fail "on_fail=alert moved web to node2"
for i in 1 2; do
    ! grep -E "Late heartbeat|is dead" "$WORK/node$i/ha-log" || fail "node$i: membership was disturbed by the hanging check"
done
[ "$(HA_RUN_DIR=$WORK/node2/run "$BIN/cl_status" nodestatus node1)" = active ] || fail "node2 does not see node1 active"

rm "$WORK/hang"
t=$(wait_until 5000 prints healthy state 1) || fail "web not healthy again after the check stopped hanging: $(hbctl_on 1 status)"
log "check answers again -> web healthy after ${t} ms"
assert_absent_for 2000 "Late heartbeat|is dead" "$WORK/node1/ha-log" "$WORK/node2/ha-log" || fail "membership disturbed after the hang"
