#!/usr/bin/env bash
# STONITH, watchdog and respawn under two of our daemons (spec §6.7, §7.2–7.4).
#
# The STONITH device is a test external plugin (cluster-glue's external/NAME convention): its
# "reset HOST" records the call and "resets" HOST by kill -9 of that node's daemon (by the PID
# the test recorded) and by clearing its Dummy state, as a power cycle would. node2 runs two
# groups and node1 one, so node2 is the preferred survivor of a fence race.
#  1. respawn: runs as the given user, restarted after a crash, exit 100 not restarted, a client
#     exiting at once gives up after 10 restarts, ipfail not spawned (built in).
#  2. watchdog (a FIFO stands in for /dev/watchdog): a byte per keepalive.
#  3. kill -9 node1 while the plugin fails: node2 retries every 5 s and never takes web; once
#     the plugin works, node1 is reset, then web starts on node2.
#  4. a stop that fails with the resource running: node1 goes silent and is reset by node2
#     before node2 takes the group.
#  5. heartbeat-only partition (node1's link down, both daemons alive): only node2 fences, node1
#     is reset before its delayed attempt, web runs only on node2.
#  6. watchdog: no byte while node2 is stopped (SIGSTOP); `V` at shutdown; respawned clients
#     get SIGTERM, last first.
#  7. meatware: node2 asks the operator and takes web only after `hbctl fence-confirm node1`.
# The Dummy call log proves no group ever ran on two nodes at once.
source "$(dirname "$0")/lib.sh"
make_namespaces 2
chmod 755 "$WORK"   # the respawned client runs as nobody
RESOURCE_LOG=$WORK/dummy.log
FENCELOG=$WORK/fence.log
PLUGINS=$WORK/plugins
mkdir -p "$PLUGINS" "$WORK/respawn"
chmod 777 "$WORK/respawn"
RESPAWNLOG=$WORK/respawn/log

cat > "$PLUGINS/testfence" <<EOF
#!/bin/sh
# Test STONITH plugin; parameters arrive in the environment: caller (the fencing node).
case "\$1" in
    gethosts) echo node1; echo node2 ;;
    status|getconfignames) exit 0 ;;
    reset|off)
        host=\$2; i=\${host#node}
        if [ -e "$WORK/fence-fail" ]; then
            echo "\$(date +%s%N) \$caller reset \$host refused" >> "$FENCELOG"
            echo "power switch unreachable (test)"; exit 1
        fi
        kill -9 "\$(cat "$WORK/node\$i/pid")" 2>/dev/null
        for instance in web db db2; do
            if [ -e "$WORK/node\$i/rsc/Dummy-\$instance" ]; then
                rm -f "$WORK/node\$i/rsc/Dummy-\$instance"
                echo "\$(date +%s%N) node\$i \$instance killed -" >> "$RESOURCE_LOG"
            fi
        done
        echo "\$(date +%s%N) \$caller reset \$host ok" >> "$FENCELOG" ;;
    *) exit 1 ;;
esac
EOF
chmod 755 "$PLUGINS/testfence"

cat > "$WORK/respawn/client" <<EOF
#!/bin/sh
# A respawned client: logs its start (and uid), then behaves as its argument says.
echo "\$(date +%s%N) \$1 start \$\$ gid=\$(id -g) groups=\$(id -G | tr ' ' ,) uid=\$(id -u)" >> "$RESPAWNLOG"
case "\$1" in
    steady|steady2)
        trap 'echo "\$(date +%s%N) \$1 term \$\$" >> "$RESPAWNLOG"; exit 0' TERM
        while :; do sleep 0.1; done ;;
    hundred) exit 100 ;;
    quick) exit 1 ;;
esac
EOF
chmod 755 "$WORK/respawn/client"

# The watchdog stand-in: every byte written to the FIFO becomes "<epoch-ms> <hex>" in a file.
mkfifo "$WORK/watchdog"
# Opened read-write so that it is a reader before the daemon starts (a FIFO without one refuses
# a non-blocking writer), and "ready" says so.
python3 -u -c '
import os, sys, time
fifo = os.open(sys.argv[1], os.O_RDWR)
open(sys.argv[2] + ".ready", "w").close()
with open(sys.argv[2], "w", buffering=1) as out:
    while True:
        byte = os.read(fifo, 1)
        out.write("%d %02x\n" % (time.time() * 1000, byte[0]))
' "$WORK/watchdog" "$WORK/watchdog.log" &
track $!; disown $!
wait_until 5000 test -e "$WORK/watchdog.log.ready" >/dev/null || fail "the watchdog reader did not start"

configure() {
    local i=$1 stonith=$2 extra=${3:-}
    write_config "$i" "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret" "$stonith\n$extra"
    use_dummy "$i" 'node1 Dummy::web\nnode2 Dummy::db\nnode2 Dummy::db2'
}
boot() { NODE_ENV="HA_STONITH_PLUGIN_DIR=$PLUGINS" start_ours "$1"; }
# alive I: nodeI's daemon runs (a killed one may linger as a zombie until reaped).
alive() { local pid; pid=$(cat "$WORK/node$1/pid"); [ -e "/proc/$pid" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$pid/stat"; }
# first_ns FILE PATTERN: the first timestamp (first field) of a line matching PATTERN after a mark.
first_ns() { awk -v p="$2" -v m="${3:-0}" '$1 > m && $0 ~ p { print $1; exit }' "$1"; }

configure 1 "stonith_host * external/testfence caller=node1"
configure 2 "stonith_host * external/testfence caller=node2" \
    "watchdog $WORK/watchdog
respawn nobody $WORK/respawn/client steady
respawn nobody $WORK/respawn/client hundred
respawn nobody $WORK/respawn/client quick
respawn hacluster /usr/libexec/heartbeat/ipfail
respawn nobody $WORK/respawn/client steady2"
boot 1; boot 2
wait_dummy 1 web yes 10000 >/dev/null || fail "node1 did not start web"
wait_dummy 2 db2 yes 10000 >/dev/null || fail "node2 did not start db and db2"
wait_log 2 "Watchdog device $WORK/watchdog opened" 100 >/dev/null || fail "node2 did not open the watchdog"
grep -q "STONITH device: external/testfence" "$WORK/node2/ha-log" || fail "node2 did not report its STONITH device"

# 1. respawn.
wait_log 2 "client quick\" respawning too fast" 5000 >/dev/null || fail "the quick client was not given up"
assert_absent_for 500 ' quick start ' "$RESPAWNLOG" || fail "the quick client was started again after it was given up"
[ "$(grep -c ' quick start ' "$RESPAWNLOG")" = 11 ] || fail "quick client started $(grep -c ' quick start ' "$RESPAWNLOG") times, not 1 + 10 restarts"
[ "$(grep -c ' hundred start ' "$RESPAWNLOG")" = 1 ] || fail "the client that exited 100 was restarted"
grep -q "exited with return code 100: not respawning" "$WORK/node2/ha-log" || fail "no log line for exit 100"
grep -q "ipfail: ping-node arbitration (ipfail) is built into" "$WORK/node2/ha-log" || fail "ipfail was not reported as built in"
nobody=$(id -u nobody); group=$(id -g nobody)
[ "$(grep -c " gid=$group groups=$group uid=$nobody\$" "$RESPAWNLOG")" = "$(wc -l < "$RESPAWNLOG")" ] || fail "a client did not run as nobody and its group only"
steady=$(awk '$2 == "steady" && $3 == "start" { print $4 }' "$RESPAWNLOG" | tail -1)
for fd in 0 1 2; do [ "$(readlink "/proc/$steady/fd/$fd")" = /dev/null ] || fail "client fd $fd is not /dev/null"; done
kill -9 "$steady"
steady_restarted() { [ "$(grep -c ' steady start ' "$RESPAWNLOG")" = 2 ]; }
wait_until 2000 steady_restarted >/dev/null || fail "the steady client was not restarted after kill -9"
log "respawn: runs as uid $nobody gid $group with stdio on /dev/null, restarted after kill -9, exit 100 stays down, 11 quick starts then given up, ipfail not spawned"

# 2. watchdog rate: keepalive 200 ms, so about 5 bytes a second.
mark=$(now_ms); sleep 2
bytes=$(awk -v m="$mark" '$1 > m' "$WORK/watchdog.log" | wc -l)
{ [ "$bytes" -ge 7 ] && [ "$bytes" -le 13 ]; } || fail "watchdog got $bytes bytes in 2 s (keepalive 200 ms)"
log "watchdog: $bytes bytes in 2 s at keepalive 200 ms"

# 3. node1 dies while the STONITH plugin fails: no takeover until a reset succeeded.
touch "$WORK/fence-fail"
past_startup 1 2
t_dead=$(date +%s%N)
kill_node 1
echo "$t_dead node1 web killed -" >> "$RESOURCE_LOG"; rm -f "$WORK/node1/rsc/Dummy-web"
touch "$FENCELOG"
refused_twice() { [ "$(grep -c 'node2 reset node1 refused' "$FENCELOG")" -ge 2 ]; }
wait_until 20000 refused_twice >/dev/null || fail "node2 did not retry the reset of node1"
dummy_stopped 2 web || fail "node2 took web over although node1 was not reset"
grep -q "STONITH of node1 failed.  Retrying..." "$WORK/node2/ha-log" || fail "node2 did not log the failed reset"
read -r a1 a2 < <(awk '/node2 reset node1 refused/ { printf "%s ", $1 }' "$FENCELOG")
gap=$(( (a2 - a1) / 1000000 ))
{ [ "$gap" -ge 4800 ] && [ "$gap" -le 6500 ]; } || fail "reset attempts ${gap} ms apart, not 5 s"
rm -f "$WORK/fence-fail"
wait_dummy 2 web yes 8000 >/dev/null || fail "node2 did not take web after the reset worked"
t_fenced=$(first_ns "$FENCELOG" "node2 reset node1 ok")
t_started=$(first_ns "$RESOURCE_LOG" "node2 web start")
{ [ -n "$t_fenced" ] && [ "$t_started" -gt "$t_fenced" ]; } || fail "web started on node2 before node1 was reset"
log "kill -9 node1 -> first reset attempt after $(( (a1 - t_dead) / 1000000 )) ms (deadtime 1000 ms); plugin failing: attempts ${gap} ms apart, no takeover; reset OK -> web started $(( (t_started - t_fenced) / 1000000 )) ms later"

# node1 returns (auto_failback on): web goes back to it.
boot 1
wait_dummy 1 web yes 15000 >/dev/null || fail "web did not fail back to node1"
wait_dummy 2 web no 5000 >/dev/null || fail "node2 kept web after failback"
past_startup 1

# 4. A stop that fails while the resource runs: node1 keeps web and goes silent, so node2
#    declares it dead and resets it before taking web (3.0.6 rebooted the node itself).
touch "$WORK/node1/rsc/Dummy-web.fail-stop"
resets_before=$(grep -c ' ok$' "$FENCELOG")
HA_CONFIG_DIR=$ROOT/ha.d HA_FIFO=$WORK/node1/state/fifo HA_PIDFILE=$WORK/node1/run/heartbeat.pid \
    "$ROOT/tools/hb_standby" all >/dev/null 2>&1 || fail "hb_standby on node1 failed"
wait_log 1 "CRIT: Resource STOP failure: Dummy::web still running" 20000 >/dev/null || fail "node1 did not give up stopping web"
t_silent=$(date +%s%N)
grep -q "this node stops sending heartbeats so that a peer fences it" "$WORK/node1/ha-log" || fail "node1 did not escalate the stop failure"
wait_dummy 2 web yes 10000 >/dev/null || fail "node2 did not take web after fencing node1"
! alive 1 || fail "node1 still runs: it was not fenced after its stop failure"
[ "$(grep -c ' ok$' "$FENCELOG")" = $((resets_before + 1)) ] || fail "not exactly one reset after the stop failure"
t_fenced=$(first_ns "$FENCELOG" "node2 reset node1 ok" "$t_silent")
t_started=$(first_ns "$RESOURCE_LOG" "node2 web start" "$t_silent")
[ "$t_started" -gt "$t_fenced" ] || fail "web started on node2 before node1 was reset"
log "stop failure on node1 -> silent, reset by node2 $(( (t_fenced - t_silent) / 1000000 )) ms later, web started on node2 $(( (t_started - t_fenced) / 1000000 )) ms after the reset"
rm -f "$WORK/node1/rsc/Dummy-web.fail-stop"
boot 1
wait_dummy 1 web yes 15000 >/dev/null || fail "web did not fail back to node1 after its reset"
past_startup 1

# 5. Heartbeat-only partition: node1's only heartbeat link goes down; both daemons live on.
resets_before=$(grep -c ' ok$' "$FENCELOG")
t_cut=$(date +%s%N)
ip -n "${PREFIX}-1" link set eth0 down
wait_dummy 2 web yes 10000 >/dev/null || fail "node2 did not take web after the partition"
dead() { ! alive "$1"; }
wait_until 10000 dead 1 >/dev/null || fail "node1 still runs after the partition: it was not fenced"
# node1's own attempt would come after its priority fencing delay (5 s); a second reset by node2
# would follow a failed first one: neither may happen.
assert_absent_for 2000 ' reset ' "$FENCELOG" || fail "a further reset after node1 was fenced"
alive 2 || fail "node2 was fenced: the preferred survivor lost the fence race"
[ "$(grep -c ' ok$' "$FENCELOG")" = $((resets_before + 1)) ] || fail "not exactly one reset in the partition: $(tail -3 "$FENCELOG")"
tail -1 "$FENCELOG" | grep -q "node2 reset node1 ok" || fail "the partition's reset was not node2 resetting node1"
# node1 may be reset before it even notices node2's silence; if it noticed, it delayed.
! grep -q "Fencing node2 before taking over" "$WORK/node1/ha-log" || fail "node1 fenced node2 without the priority delay"
if grep -q "node node2: is dead" "$WORK/node1/ha-log"; then
    grep -q "Fencing node2 in 5s (priority fencing delay" "$WORK/node1/ha-log" || fail "node1 did not delay its fencing"
    delayed="node1 noticed and delayed its attempt"
else
    delayed="node1 was reset before it noticed"
fi
t_fenced=$(first_ns "$FENCELOG" "node2 reset node1 ok" "$t_cut")
t_started=$(first_ns "$RESOURCE_LOG" "node2 web start" "$t_cut")
[ "$t_started" -gt "$t_fenced" ] || fail "web started on node2 before node1 was reset"
log "heartbeat-only cut -> node2 reset node1 after $(( (t_fenced - t_cut) / 1000000 )) ms, web started on node2 $(( (t_started - t_fenced) / 1000000 )) ms later; $delayed"
ip -n "${PREFIX}-1" link set eth0 up

# 6. watchdog: a stopped daemon stops feeding; V at clean shutdown; clients get SIGTERM.
pid2=$(cat "$WORK/node2/pid")
kill -STOP "$pid2"; t_stop=$(now_ms); sleep 1.5; t_cont=$(now_ms); kill -CONT "$pid2"
fed_again() { [ "$(awk -v b="$t_cont" '$1 >= b' "$WORK/watchdog.log" | wc -l)" -ge 3 ]; }
wait_until 2000 fed_again >/dev/null || fail "watchdog feeding did not resume after SIGCONT"
during=$(awk -v a="$((t_stop + 50))" -v b="$t_cont" '$1 > a && $1 < b' "$WORK/watchdog.log" | wc -l)
after=$(awk -v b="$t_cont" '$1 >= b' "$WORK/watchdog.log" | wc -l)
[ "$during" = 0 ] || fail "watchdog got $during bytes while the daemon was stopped"
[ "$after" -ge 3 ] || fail "watchdog feeding did not resume after SIGCONT ($after bytes)"
HA_CONFIG_DIR=$WORK/node2/etc HA_STATE_DIR=$WORK/node2/state HA_RUN_DIR=$WORK/node2/run "$BIN/heartbeat" -k || fail "heartbeat -k failed"
last_byte_v() { [ "$(tail -1 "$WORK/watchdog.log" | cut -d' ' -f2)" = 56 ]; }
wait_until 2000 last_byte_v >/dev/null || fail "the last watchdog byte is not V: $(tail -1 "$WORK/watchdog.log")"
{ grep -q "steady term" "$RESPAWNLOG" && grep -q "steady2 term" "$RESPAWNLOG"; } || fail "respawned clients were not sent SIGTERM"
order=$(grep -o 'Stopping client "[^"]*"' "$WORK/node2/ha-log" | sed 's/.* //' | tr -d '"' | tr '\n' ' ')
[ "$order" = "steady2 steady " ] || fail "clients stopped in the wrong order: $order"
[ "$(grep -c ' steady start ' "$RESPAWNLOG")" = 2 ] || fail "a client was restarted during shutdown"
log "watchdog: 0 bytes while stopped for 1.5 s, $after after SIGCONT, V at shutdown; SIGTERM to steady2 then steady"

# 7. meatware: the operator confirms the reset with hbctl fence-confirm.
rm -f "$WORK"/node*/rsc/Dummy-*
for i in 1 2; do echo "$(date +%s%N) node$i web killed -"; echo "$(date +%s%N) node$i db killed -"; echo "$(date +%s%N) node$i db2 killed -"; done >> "$RESOURCE_LOG"
configure 1 "stonith_host * meatware"
configure 2 "stonith_host * meatware"
boot 1; boot 2
wait_dummy 1 web yes 10000 >/dev/null || fail "node1 did not start web (meatware)"
wait_dummy 2 db2 yes 10000 >/dev/null || fail "node2 did not start db2 (meatware)"
wait_until 10000 settled 1 2 >/dev/null || fail "resources did not settle (meatware)"
kill_node 1
echo "$(date +%s%N) node1 web killed -" >> "$RESOURCE_LOG"; rm -f "$WORK/node1/rsc/Dummy-web"
wait_log 2 "OPERATOR INTERVENTION REQUIRED to reset node1" 5000 >/dev/null || fail "node2 did not ask the operator"
grep -q 'CRIT: STONITH: run "hbctl fence-confirm node1"' "$WORK/node2/ha-log" || fail "no CRIT line naming hbctl fence-confirm"
holds_for 1000 dummy_stopped 2 web || fail "node2 took web before the operator confirmed"
HA_RUN_DIR=$WORK/node2/run "$BIN/hbctl" fence-confirm node1 >/dev/null || fail "hbctl fence-confirm failed"
t=$(wait_dummy 2 web yes 5000) || fail "web did not start on node2 after the confirmation"
if HA_RUN_DIR=$WORK/node2/run "$BIN/hbctl" fence-confirm node1 2>/dev/null; then fail "a second confirmation was accepted"; fi
log "meatware: CRIT asks the operator, no takeover until hbctl fence-confirm, then web started in ${t} ms"

# Never two owners: per instance, the [start, stop/killed] intervals of different nodes never overlap.
python3 "$(dirname "$0")/never_two_owners.py" "$RESOURCE_LOG" || fail "a group ran on two nodes at once (see $RESOURCE_LOG)"
log "Dummy log: no group ever ran on two nodes at once"
