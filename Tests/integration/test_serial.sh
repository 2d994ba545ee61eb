#!/usr/bin/env bash
# Serial medium (spec §4.4) over a pseudo-terminal pair bridged by socat (Debian package `socat`),
# never a real tty: two of our daemons whose only medium is serial reach active and detect kill -9
# within deadtime (3 runs); then one real 3.0.6 node and one of ours do the same both ways.
source "$(dirname "$0")/lib.sh"
require "socat is not installed (Debian package socat)" command -v socat
make_namespaces 2
BAUD=115200
SOCAT_PID=

# bridge: a fresh pty pair, $WORK/tty1 <-> $WORK/tty2 (a null-modem cable). socat ends when a side
# hangs up, so each run gets its own.
bridge() {
    [ -n "$SOCAT_PID" ] && kill "$SOCAT_PID" 2>/dev/null
    rm -f "$WORK/tty1" "$WORK/tty2"
    socat pty,rawer,link="$WORK/tty1" pty,rawer,link="$WORK/tty2" 2>"$WORK/socat.err" &
    SOCAT_PID=$!; track "$SOCAT_PID"; disown "$SOCAT_PID"
    wait_until 2000 test -e "$WORK/tty1" -a -e "$WORK/tty2" >/dev/null || fail "socat made no pty pair: $(cat "$WORK/socat.err")"
}

# The serial lines name the pty by its real /dev/pts path: 3.0.6 locks it by that name.
serial_config() {
    local i=$1
    write_config "$i" "baud $BAUD\nserial $(readlink -f "$WORK/tty$i")" "sha1 secret"
}

delays=()
for run in 1 2 3; do
    rm -rf "$WORK/node1" "$WORK/node2"
    bridge
    for i in 1 2; do serial_config $i; start_ours $i; done
    wait_log 1 "Status update for node node2: status active" 8000 >/dev/null || fail "run $run: node1 never saw node2 active"
    wait_log 2 "Status update for node node1: status active" 8000 >/dev/null || fail "run $run: node2 never saw node1 active"
    past_startup 1 2
    [ "$(HA_RUN_DIR=$WORK/node1/run "$BIN/cl_status" hblinkstatus node2 "$(readlink -f "$WORK/tty1")")" = up ] \
        || fail "run $run: our cl_status does not show node2's serial link up"
    ! grep -q -E "ERROR|CRIT" "$WORK/node1/ha-log" || fail "run $run: node1 logged errors: $(grep -E 'ERROR|CRIT' "$WORK/node1/ha-log")"
    kill_node 2
    delay=$(wait_log 1 "node node2: is dead" 3000) || fail "run $run: node1 did not declare node2 dead"
    [ "$delay" -le 1060 ] || fail "run $run: kill -> dead took ${delay} ms, deadtime is 1000 ms"
    delays+=("$delay")
    kill_node 1
done
sorted=$(printf '%s\n' "${delays[@]}" | sort -n)
log "ours<->ours over serial: kill -9 -> 'is dead' median $(echo "$sorted" | sed -n 2p) ms, max $(echo "$sorted" | tail -1) ms (deadtime 1000 ms)"

require "Debian's heartbeat package (3.0.6) is not installed: no interop over serial" test -x "$HB306"
rm -rf "$WORK/node1" "$WORK/node2"
bridge
serial_config 1; serial_config 2
start_ours 1
start_306 2
wait_log 1 "Status update for node node2: status active" 10000 >/dev/null || fail "3.0.6: ours never saw 3.0.6 active"
wait_log 2 "Status update for node node1: status active" 10000 >/dev/null || fail "3.0.6: 3.0.6 never saw ours active"
past_startup 1 2
assert_absent_for 2000 "ERROR|CRIT" "$WORK/node1/ha-log" || fail "ours logged errors in a steady run"
tty2=$(readlink -f "$WORK/tty2")
[ "$(in_306 2 cl_status hblinkstatus node1 "$tty2")" = up ] || fail "3.0.6: cl_status hblinkstatus node1 $tty2 is not up"
errors=$(errors_in_306_log 2)
[ -z "$errors" ] || fail "3.0.6 logged errors: $errors"
! grep -q -E "ERROR|CRIT" "$WORK/node1/ha-log" || fail "ours logged errors: $(grep -E 'ERROR|CRIT' "$WORK/node1/ha-log")"
before=$(wc -l < "$WORK/node2/ha-log")
kill_node 1
declared() { tail -n +"$((before + 1))" "$WORK/node2/ha-log" | grep -q "node node1: is dead"; }
t=$(wait_until 4000 declared) || fail "3.0.6 did not declare ours dead"
log "3.0.6<->ours over serial: both active, 3.0.6 declared ours dead $t ms after kill -9"
