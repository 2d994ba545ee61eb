#!/usr/bin/env bash
# Ping nodes and built-in arbitration (issue #5) with two of our daemons and a ping responder:
# hosts 1 and 2 are the nodes, host 3 answers ICMP echo (its kernel does) on a second network
# (eth1, 10.78.0.x), so cutting a node's eth1 cuts only its path to the ping node.
#  A. node1 loses the ping node: its group moves to node2; back again, it returns (auto_failback on).
#  B. node1 loses everything: node2 takes over after deadtime, node1 releases (isolated) before
#     that — deadping (600 ms) is below deadtime (1 s) — and the Dummy log proves the group never
#     ran on both nodes at once.
# node1 asks for arbitration with 3.0.6's `respawn … ipfail` line, node2 with `arbitration on`.
# Three ping nodes on eth1: `ping` (IPv4), `ping6` and a `ping_group` whose other member is absent.
source "$(dirname "$0")/lib.sh"
make_namespaces 3
add_second_medium 3
RESOURCE_LOG=$WORK/dummy.log
PING=10.78.0.3
PING6=fd00:78::3
for i in 1 2 3; do
    # Without keep_addr_on_down the kernel drops the address when the test takes eth1 down.
    ip netns exec "${PREFIX}-$i" sysctl -qw net.ipv6.conf.eth1.keep_addr_on_down=1
    ip -n "${PREFIX}-$i" addr add "fd00:78::$i/64" dev eth1 nodad
done
configure() {
    local i=$1 arbitration=$2
    write_config "$i" "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret" "ping $PING\nping6 $PING6\nping_group grp 10.78.0.99 $PING\ndeadping 600ms\n$arbitration"
    use_dummy "$i" 'node1 Dummy::web\nnode2 Dummy::db'
}
cl() { local i=$1; shift; HA_RUN_DIR=$WORK/node$i/run "$BIN/cl_status" "$@"; }

configure 1 "respawn hacluster /usr/libexec/heartbeat/ipfail"
configure 2 "arbitration on"
start_ours 1; start_ours 2
wait_dummy 1 web yes 10000 >/dev/null || fail "node1 did not start web"
wait_dummy 2 db yes 10000 >/dev/null || fail "node2 did not start db"
for i in 1 2; do
    for p in $PING $PING6 grp; do
        wait_log "$i" "Status update for node $p: status ping" 5000 >/dev/null || fail "node$i never saw ping node $p"
    done
done
# The ping nodes as cl_status and hbctl show them.
[ "$(cl 1 listnodes -p | tr '\n' ' ')" = "$PING $PING6 grp " ] || fail "cl_status listnodes -p does not list the ping nodes"
[ "$(cl 1 nodestatus grp)" = ping ] || fail "the ping group is not up while one member answers"
cl 1 listnodes | grep -qx "$PING" || fail "cl_status listnodes omits the ping node"
[ "$(cl 1 nodetype $PING)" = ping ] || fail "cl_status nodetype is not ping"
[ "$(cl 1 nodestatus $PING)" = ping ] || fail "cl_status nodestatus is not ping"
[ "$(cl 1 hblinkstatus $PING $PING)" = up ] || fail "the ping node's link is not up"
HA_RUN_DIR=$WORK/node1/run "$BIN/hbctl" status --json | grep -q "\"name\": *\"$PING\"" || fail "hbctl status --json omits the ping node"
HA_RUN_DIR=$WORK/node1/run "$BIN/hbctl" status | grep "$PING" | grep -q ping || fail "hbctl status omits the ping node"
log "ping nodes $PING, $PING6 and group grp: status ping on both nodes, in cl_status and hbctl status"
past_startup 1 2   # and so past the first holdings exchange

# A. Only node1's path to the ping node is cut.
cut=$(now_ms)
ip -n "${PREFIX}-1" link set eth1 down
wait_dummy 2 web yes 10000 >/dev/null || fail "web did not move to node2 when node1 lost the ping node"
t=$(( $(now_ms) - cut ))
wait_dummy 1 web no 2000 >/dev/null || fail "node1 still runs web"
dummy_running 2 db || fail "node2 lost db"
wait_log 1 "node $PING: is dead" 100 >/dev/null || fail "node1 did not declare the ping node dead"
grep -q "Telling other node that we have more visible ping nodes" "$WORK/node2/ha-log" || fail "node2 did not answer you_are_dead"
[ "$(cl 1 nodestatus $PING)" = dead ] || fail "cl_status nodestatus of the lost ping node is not dead"
log "A: node1 loses ping -> web started on node2 after ${t} ms (deadping 600 ms + giveup 400 ms + standby)"
restore=$(now_ms)
ip -n "${PREFIX}-1" link set eth1 up
wait_dummy 1 web yes 15000 >/dev/null || fail "web did not return to node1 when its ping node answered again"
t=$(( $(now_ms) - restore ))
wait_dummy 2 web no 2000 >/dev/null || fail "node2 still runs web after failback"
log "A: ping back on node1 -> web back on node1 after ${t} ms (hold-down 1200 ms + giveup 400 ms + standby)"
wait_until 10000 settled 1 2 >/dev/null || fail "resources did not settle after A"

# B. Everything around node1 is cut: heartbeat and ping.
cut=$(now_ms)
ip -n "${PREFIX}-1" link set eth0 down
ip -n "${PREFIX}-1" link set eth1 down
wait_dummy 1 web no 5000 >/dev/null || fail "isolated node1 did not release web"
t1=$(( $(now_ms) - cut ))
wait_dummy 2 web yes 10000 >/dev/null || fail "node2 did not take over web"
t2=$(( $(now_ms) - cut ))
grep -q "probably isolated" "$WORK/node1/ha-log" || fail "node1 did not log its isolation"
[ "$t1" -lt 1000 ] || fail "node1 released web only after ${t1} ms, not within deadtime"
holds_for 2000 dummy_stopped 1 web || fail "node1 runs web again while isolated"
dummy_stopped 1 db || fail "node1 took db while isolated"
log "B: all links of node1 cut -> node1 released web after ${t1} ms, node2 started it after ${t2} ms (deadtime 1000 ms)"
ip -n "${PREFIX}-1" link set eth0 up
ip -n "${PREFIX}-1" link set eth1 up
wait_dummy 1 web yes 20000 >/dev/null || fail "web did not return to node1 after the links came back"
wait_dummy 2 web no 3000 >/dev/null || fail "node2 kept web after node1 came back"
dummy_running 2 db || fail "node2 lost db"
log "B: links back -> web on node1, db on node2"

# Never two owners: per instance, the [start, stop] intervals of different nodes never overlap.
python3 "$(dirname "$0")/never_two_owners.py" "$RESOURCE_LOG" || fail "a group ran on two nodes at once (see $RESOURCE_LOG)"
python3 - "$RESOURCE_LOG" <<'PY'
events = [line.split() for line in open(__import__("sys").argv[1]) if line.strip()]
# The handover of case B: node1's last stop of web, node2's last start of it.
web = sorted((int(e[0]), e[1], e[3], e[4]) for e in events if e[2] == "web")
stop1 = max(ns for ns, node, action, result in web if node == "node1" and action == "stop" and result == "ok")
start2 = max(ns for ns, node, action, result in web if node == "node2" and action == "start")
print(f"    B: node1 stopped web {(start2 - stop1) / 1e6:.1f} ms before node2 started it")
PY
log "Dummy log: no group ever ran on two nodes at once"
