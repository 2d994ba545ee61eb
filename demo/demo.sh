#!/usr/bin/env bash
# `make demo`: a two-node cluster of real heartbeat daemons in network namespaces on this machine,
# with a floating IP (IPaddr2) and a small HTTP service as the resource group, and a ping node
# for built-in arbitration. A client in a third namespace (which is also the ping node) polls the
# service every 20 ms while the demo kills the primary with kill -9, prints the failover as it
# happens, brings the node back (auto_failback on), then cuts only the primary's path to the ping
# node so arbitration moves the group, restores it, and removes everything on exit or Ctrl-C.
set -u
[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces)"; exit 1; }
PREFIX=hbd$$ WORK=$(mktemp -d /tmp/hb-demo.XXXXXX)
# shellcheck source=Tests/lib/nodes.sh
source "$(dirname "$0")/../Tests/lib/nodes.sh"

DEMO=$(cd "$(dirname "$0")" && pwd)
VIP=10.77.0.100 PORT=8080
T0=$(now_ms)
step() { printf '[%6d ms] %s\n' $(( $(now_ms) - T0 )) "$*"; }
die() { step "FAILED: $*"; exit 1; }
export KEEPALIVE=200ms WARNTIME=500ms DEADTIME=1 INITDEAD=3   # read by write_config
on() { local node=$1 tool=$2; shift 2; HA_RUN_DIR=$WORK/node$node/run "$BIN/$tool" "$@"; }
# The web servers are the resource scripts' children, not ours: stop them through the script.
stop_services() {
    for i in 1 2; do DEMO_STATE_DIR=$WORK/node$i/svc "$DEMO/resource.d/demo-web" "$VIP" "$PORT" stop 2>/dev/null; done
}
trap 'stop_services; cleanup' EXIT
trap 'exit 130' INT TERM

PING=10.78.0.3
step "creating namespaces: node1 10.77.0.1, node2 10.77.0.2, client 10.77.0.3; ping node $PING (the client, on a second bridge)"
make_namespaces 3
add_second_medium 3
for i in 1 2; do
    write_config $i "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 demo-secret" "ping $PING\ndeadping 600ms\narbitration on"
    echo "node1 IPaddr2::$VIP/24/eth0 demo-web::$VIP::$PORT" > "$WORK/node$i/etc/haresources"
    mkdir -p "$WORK/node$i/etc/resource.d" "$WORK/node$i/svc"
    ln -s "$ROOT"/resource.d/* "$DEMO/resource.d/demo-web" "$WORK/node$i/etc/resource.d/"
done
start_node() { NODE_ENV="DEMO_STATE_DIR=$WORK/node$1/svc" start_ours "$1"; }
step "starting heartbeat on node1 and node2 (keepalive 200ms, deadtime 1s, auto_failback on, ping $PING, arbitration on)"
start_node 1; start_node 2
wait_log 1 "Status update for node node2: status active" 10000 >/dev/null || die "the cluster did not form"
step "cluster formed; waiting for node1 to start its group ($VIP + web service)"
answers() { ip netns exec "${PREFIX}-3" curl -s -m 0.2 "http://$VIP:$PORT/" >/dev/null; }
wait_until 20000 answers >/dev/null || die "the service never came up"
step "service up: $(ip netns exec "${PREFIX}-3" curl -s -m 1 "http://$VIP:$PORT/")"
wait_log 1 "Initial resource acquisition complete" 10000 >/dev/null || die "node1 did not settle"
echo
echo "  \$ cl_status listnodes -v ; cl_status rscstatus     (on node1)"
on 1 cl_status listnodes -v | sed 's/^/    /'
echo "    rscstatus: $(on 1 cl_status rscstatus)"
echo "  \$ hbctl status                                      (on node2)"
on 2 hbctl status | sed 's/^/    /'
echo

OUTAGES=$WORK/outages; STOP=$WORK/stop-poller
ip netns exec "${PREFIX}-3" python3 "$DEMO/poller.py" "$VIP" "$PORT" "$OUTAGES" "$STOP" &
POLLER=$!; track "$POLLER"
past_startup 1 2

step "kill -9 heartbeat on node1 (the owner); the client polls http://$VIP:$PORT/ every 20 ms"
kill_node 1
killed=$(now_ms)   # after the kill: a heartbeat sent while kill_node ran is not blamed on detection
# A killed daemon leaves its resources behind, like a crashed machine's: take them down with it.
ip -n "${PREFIX}-1" addr del "$VIP/24" dev eth0 2>/dev/null
DEMO_STATE_DIR=$WORK/node1/svc "$DEMO/resource.d/demo-web" "$VIP" "$PORT" stop
wait_log 2 "node node1: is dead" 5000 >/dev/null || die "node2 never declared node1 dead"
step "node2: 'node node1: is dead' ($(( $(now_ms) - killed )) ms after the kill)"
wait_log 2 "mach_down takeover complete" 5000 >/dev/null || die "node2 did not take over"
step "node2: 'mach_down takeover complete' — $VIP is on node2: $(ip -n "${PREFIX}-2" -br addr show eth0 | grep -c "$VIP") address"
wait_until 10000 test -s "$OUTAGES" >/dev/null || die "the client never saw the service again"
read -r down up < "$OUTAGES"
step "client: service unreachable for $(( up - down )) ms, answering again: $(ip netns exec "${PREFIX}-3" curl -s -m 1 "http://$VIP:$PORT/")"

step "bringing node1 back (auto_failback on: the group returns to it)"
returned=$(now_ms)
start_node 1
wait_log 1 "Initial resource acquisition complete" 15000 >/dev/null || die "node1 did not settle"
has_vip() { ip -n "${PREFIX}-$1" -br addr show eth0 | grep -q "$VIP"; }
wait_until 30000 has_vip 1 >/dev/null || die "no failback"
# served_by NODE: the service answers, from NODE; the answer is kept in $WORK/answer.
served_by() { ip netns exec "${PREFIX}-3" curl -s -m 0.2 "http://$VIP:$PORT/" > "$WORK/answer"; grep -q "$1" "$WORK/answer"; }
wait_until 30000 served_by node1 >/dev/null || die "service did not return to node1"
step "failback done: $(cat "$WORK/answer")"

wait_log 1 "Status update for node $PING: status ping" 10000 >/dev/null || die "node1 never reached the ping node"
sleep 2   # the restarted node1's ping node must count (hold-down: 2 x deadping of answers); no event marks it
step "cutting only node1's path to the ping node $PING (its eth1); heartbeats still flow on eth0"
cut=$(now_ms)
ip -n "${PREFIX}-1" link set eth1 down
wait_log 1 "node $PING: is dead" 5000 >/dev/null || die "node1 never declared the ping node dead"
step "node1: 'node $PING: is dead' ($(( $(now_ms) - cut )) ms after the cut; deadping 600 ms)"
wait_until 15000 served_by node2 >/dev/null || die "arbitration did not move the group to node2"
moved=$(( $(now_ms) - cut ))
step "arbitration: node1 reaches fewer ping nodes than node2 and gave its group away: $(cat "$WORK/answer")"
step "restoring node1's eth1 (the group returns once the ping node has answered for 2 x deadping)"
restored=$(now_ms)
ip -n "${PREFIX}-1" link set eth1 up
wait_until 20000 served_by node1 >/dev/null || die "the group did not return to node1"
back=$(( $(now_ms) - restored ))
step "back on node1: $(cat "$WORK/answer")"
touch "$STOP"; wait "$POLLER" 2>/dev/null

step "stopping both daemons as an admin would (SIGTERM): node1 stops its group, last resource first"
for i in 1 2; do kill -TERM "$(cat "$WORK/node$i/pid")"; done
for i in 1 2; do wait_until 30000 gone "$(cat "$WORK/node$i/pid")" >/dev/null || die "node$i did not stop"; done
grep -q "Heartbeat shutdown complete" "$WORK/node1/ha-log" || die "node1 did not shut down cleanly"
step "both stopped; $VIP is on no node: $(ip -n "${PREFIX}-1" -br addr show eth0 | grep -c "$VIP") + $(ip -n "${PREFIX}-2" -br addr show eth0 | grep -c "$VIP") addresses"

echo
echo "Summary"
# Each outage the client saw, named by the step during which it began.
phase() {
    if [ "$1" -ge "$restored" ]; then echo "ping back, group home"
    elif [ "$1" -ge "$cut" ]; then echo "ping lost, group moved"
    elif [ "$1" -ge "$returned" ]; then echo "failback to node1"
    else echo "kill -9 of the owner"; fi
}
echo "  outages the client saw (polling every 20 ms):"
while read -r down up; do printf '    %-24s %5d ms (from +%d ms)\n' "$(phase "$down"):" $(( up - down )) $(( down - T0 )); done < "$OUTAGES"
echo "  ping loss: node1 cut from $PING -> service answered from node2 after $moved ms; back on node1 $back ms after the repair"
echo "  deadtime : 1000 ms, keepalive 200 ms, deadping 600 ms; logs: $WORK/node1/ha-log, $WORK/node2/ha-log"
echo "             (removed on exit; KEEP_WORK=1 make demo keeps them)"
step "cleaning up namespaces and processes"
