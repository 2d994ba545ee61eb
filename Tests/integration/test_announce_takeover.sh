#!/usr/bin/env bash
# A takeover's address is announced the moment it is up, not when its start script ends: clients'
# ARP caches still point at the dead node, so every moment between the two is outage.
#
# node1 and node2 serve 10.77.0.100 with a slow IPaddr2 (Tests/integration/fixtures/slow-ipaddr2:
# the address goes up at once, the script ends SCRIPT_SECONDS later and sends no ARP of its own) to
# a client in its own namespace. node1 dies (daemon killed, link down); node2 takes the address
# over. Asserted: the client's ARP cache points at node2 within LIMIT_MS of the address coming up
# on node2, long before the start script ends.
source "$(dirname "$0")/lib.sh"
VIP=10.77.0.100
LIMIT_MS=500
SCRIPT_SECONDS=3

on_node() { [ -n "$(ip -n "${PREFIX}-$1" -o -4 addr show to "$VIP" 2>/dev/null)" ]; }
mac_of() { ip -n "${PREFIX}-$1" -o link show dev eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
client_entry() { ip -n "${PREFIX}-3" -4 neigh show to "$VIP" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
client_points_at() { [ "$(client_entry)" = "$(mac_of "$1")" ]; }

make_namespaces 3
for i in 1 2; do
    write_config "$i" "bcast eth0" "sha1 secret"
    printf 'node1 IPaddr2::%s/24/eth0\n' "$VIP" > "$WORK/node$i/etc/haresources"
    mkdir -p "$WORK/node$i/etc/resource.d"
    ln -s "$ROOT/Tests/integration/fixtures/slow-ipaddr2" "$WORK/node$i/etc/resource.d/IPaddr2"
    echo "SLOW_START_SECONDS=$SCRIPT_SECONDS" > "$WORK/node$i/env"
done
start_ours 1; start_ours 2
wait_until 10000 on_node 1 >/dev/null || fail "node1 did not take $VIP"
past_startup 1 2
# node1's start has ended and its announcements with it (at once and twice a second apart).
wait_log 1 "Sent gratuitous ARP for $VIP" 10000 >/dev/null || fail "node1 never announced $VIP"
sleep $(( SCRIPT_SECONDS + 3 ))
ip netns exec "${PREFIX}-3" python3 "$ROOT/Tests/integration/echo_client.py" "$VIP" 10 0.3 > "$WORK/probe"
[ -s "$WORK/probe" ] || fail "the client gets no answer from $VIP on node1"
client_points_at 1 || fail "the client's cache does not point at node1: $(client_entry)"

# node1's machine dies: its daemon is killed and its link goes down, the address with it.
kill_node 1
ip -n "${PREFIX}-1" link set eth0 down
up=$(wait_until 10000 on_node 2) || fail "node2 did not take $VIP over"
moved=$(wait_until $(( SCRIPT_SECONDS * 1000 )) client_points_at 2) \
    || fail "the client's cache did not move to node2 while its start script ran: $(client_entry)"
log "node2 holds $VIP after ${up} ms; the client's cache pointed at it ${moved} ms later (limit ${LIMIT_MS} ms)"
[ "$moved" -le "$LIMIT_MS" ] || fail "the client's cache moved to node2 only ${moved} ms after $VIP came up there"
grep -q "Running IPaddr2 $VIP/24/eth0 start" "$WORK/node2/ha-log" || fail "node2 did not run the start it was timed by"
