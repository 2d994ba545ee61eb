#!/usr/bin/env bash
# `make demo`: a two-node cluster of real heartbeat daemons in network namespaces on this machine.
# It starts both nodes, shows cl_status and hbctl status, kills the primary with kill -9, prints
# the failure detection as it happens, brings the node back, and removes everything on exit.
set -u
source "$(dirname "$0")/../Tests/integration/lib.sh"
[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces)"; exit 1; }

T0=$(now_ms)
step() { printf '[%6d ms] %s\n' $(( $(now_ms) - T0 )) "$*"; }
KEEPALIVE=200ms WARNTIME=500ms DEADTIME=1 INITDEAD=3

step "creating namespaces ${PREFIX}-1 and ${PREFIX}-2 on one bridge (10.77.0.1, 10.77.0.2)"
make_namespaces 2
for i in 1 2; do write_config $i "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 demo-secret"; done
step "starting heartbeat on node1 and node2 (keepalive 200ms, deadtime 1s)"
start_ours 1; start_ours 2
wait_log 1 "Status update for node node2: status active" 10000 >/dev/null && \
    wait_log 2 "Status update for node node1: status active" 10000 >/dev/null || { echo "cluster did not form"; exit 1; }
step "both nodes active"
echo
echo "  \$ cl_status listnodes -v        (on node1)"
HA_RUN_DIR=$WORK/node1/run "$BIN/cl_status" listnodes -v | sed 's/^/    /'
echo "  \$ hbctl status                  (on node2)"
HA_RUN_DIR=$WORK/node2/run "$BIN/hbctl" status | sed 's/^/    /'
echo
sleep 5   # nodes advertise deadtime + 2 s during their first 5 s (as 3.0.6 does)
step "kill -9 heartbeat on node1"
killed=$(now_ms)
kill_node 1
wait_log 2 "node node1: is dead" 5000 >/dev/null || { echo "node2 never declared node1 dead"; exit 1; }
detected=$(( $(now_ms) - killed ))
step "node2: node node1: is dead  (${detected} ms after the kill; deadtime is 1000 ms)"
echo "  \$ cl_status nodestatus node1    (on node2)"
HA_RUN_DIR=$WORK/node2/run "$BIN/cl_status" nodestatus node1 | sed 's/^/    /'
step "restarting node1"
start_ours 1
wait_log 2 "Heartbeat restart on node node1" 10000 >/dev/null || { echo "node2 did not see node1 come back"; exit 1; }
step "node2 saw node1's restart (new generation); waiting for node1 to be active again"
until [ "$(HA_RUN_DIR=$WORK/node2/run "$BIN/cl_status" nodestatus node1 2>/dev/null)" = active ]; do sleep 0.05; done
step "node1 active again"
echo
echo "Summary: the cluster formed, node2 declared the killed node1 dead ${detected} ms after kill -9 (deadtime 1000 ms),"
echo "and saw node1's restart as a restart. Whole run: $(( $(now_ms) - T0 )) ms."
echo "node logs: $WORK/node1/ha-log, $WORK/node2/ha-log (removed on exit; KEEP_WORK=1 keeps them)"
step "cleaning up namespaces and processes"
