#!/usr/bin/env bash
# Resource groups under two of our daemons (auto_failback on): each node takes its preferred group
# at boot, kill -9 moves the group to the survivor, the owner's return moves it back, hb_standby
# hands everything over — and the Dummy call log proves no group ever ran on both nodes at once.
source "$(dirname "$0")/lib.sh"
require "Debian's hb_standby and hb_takeover (package heartbeat) are not installed" test -x /usr/share/heartbeat/hb_takeover
make_namespaces 2
RESOURCE_LOG=$WORK/dummy.log
for i in 1 2; do
    write_config "$i" "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret"
    use_dummy "$i" 'node1 Dummy::web\nnode2 Dummy::db'
done
start_ours 1; start_ours 2
t=$(wait_dummy 1 web yes 10000) || fail "node1 did not start its group web"
wait_dummy 2 db yes 10000 >/dev/null || fail "node2 did not start its group db"
log "pair boot -> both groups started: ${t} ms"
wait_log 1 "Initial resource acquisition complete" 5000 >/dev/null || fail "node1 never completed initial acquisition"
[ "$(HA_RUN_DIR=$WORK/node1/run "$BIN/cl_status" rscstatus)" = local ] || fail "node1 rscstatus is not local"
past_startup 1 2

# kill -9 the owner of web: node2 takes it over. Killing heartbeat stands for the machine dying
# (without fencing a real resource would live on: see the split-brain issue), so the log records
# that node1's instances ended there.
kill_node 1
for instance in web db; do echo "$(date +%s%N) node1 $instance killed -" >> "$RESOURCE_LOG"; done
t=$(wait_dummy 2 web yes 5000) || fail "node2 did not take over web"
log "kill -9 node1 -> web started on node2: ${t} ms (deadtime 1000 ms)"
wait_log 2 "mach_down takeover complete" 3000 >/dev/null || fail "node2 did not log the takeover"
[ "$(HA_RUN_DIR=$WORK/node2/run "$BIN/cl_status" rscstatus)" = all ] || fail "node2 rscstatus is not all"
# The dead node's Dummy state is stale (it was killed): what a reboot would clear.
rm -f "$WORK/node1/rsc/"Dummy-*

# node1 returns: auto_failback on moves web back.
start_ours 1
t=$(wait_dummy 1 web yes 15000) || fail "web did not fail back to node1"
wait_dummy 2 web no 5000 >/dev/null || fail "node2 still runs web after failback"
log "node1 back -> web failed back: ${t} ms"

# hb_standby on node2: node1 takes everything.
standby2() {
    HA_CONFIG_DIR=$ROOT/ha.d HA_FIFO=$WORK/node2/state/fifo HA_PIDFILE=$WORK/node2/run/heartbeat.pid "$ROOT/tools/hb_standby" all
}
until_logged 2 "node2 wants to go standby" 10000 standby2 || fail "hb_standby on node2 failed or was never accepted"
t=$(wait_dummy 1 db yes 15000) || fail "db did not move to node1 on hb_standby"
wait_dummy 2 db no 5000 >/dev/null || fail "node2 still runs db after standby"
log "hb_standby on node2 -> db running on node1: ${t} ms"

# 3.0.6's own hb_standby and hb_takeover scripts (Debian's) drive our daemon through the FIFO too.
debian() { HA_FIFO=$WORK/node1/state/fifo "/usr/share/heartbeat/$1" all >/dev/null 2>&1; }
until_logged 1 "node1 wants to go standby" 10000 debian hb_standby || fail "Debian's hb_standby failed or was never accepted"
t=$(wait_dummy 2 web yes 15000) || fail "Debian's hb_standby on node1 did not move web to node2"
wait_dummy 1 web no 5000 >/dev/null || fail "node1 kept web after Debian's hb_standby"
log "Debian's hb_standby on node1 -> web on node2: ${t} ms"
until_logged 2 "node2 wants to go standby" 10000 debian hb_takeover || fail "Debian's hb_takeover failed or was never accepted"
t=$(wait_dummy 1 web yes 15000) || fail "Debian's hb_takeover on node1 did not bring web back"
wait_dummy 1 db yes 15000 >/dev/null || fail "Debian's hb_takeover on node1 did not bring db"
wait_dummy 2 db no 5000 >/dev/null || fail "node2 kept db after Debian's hb_takeover on node1"
log "Debian's hb_takeover on node1 -> all on node1: ${t} ms"

# heartbeat -k on node1 releases both groups; node2 takes them at once (shutdone).
HA_CONFIG_DIR=$WORK/node1/etc HA_STATE_DIR=$WORK/node1/state HA_RUN_DIR=$WORK/node1/run "$BIN/heartbeat" -k || fail "heartbeat -k failed"
wait_dummy 1 web no 100 >/dev/null || fail "node1 left web running after shutdown"
wait_dummy 2 web yes 5000 >/dev/null || fail "node2 did not take web after node1's shutdown"
wait_dummy 2 db yes 5000 >/dev/null || fail "node2 did not take db after node1's shutdown"

# Never two owners: per instance, the [start, stop] intervals of different nodes never overlap.
python3 "$(dirname "$0")/never_two_owners.py" "$RESOURCE_LOG" || fail "a group ran on two nodes at once (see $RESOURCE_LOG)"
log "Dummy log: no group ever ran on two nodes at once"
