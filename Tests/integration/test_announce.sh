#!/usr/bin/env bash
# Clients are answered again at once after a healed partition (issue #23 item 1), IPv4 and IPv6.
#
# node1 and node2 serve a floating address (IPaddr2, preferred node1) to a client in its own
# namespace, whose kernel caches ARP / neighbour entries like any host. Every link between the
# two nodes is cut, the client still reaching both (its bridge port talks to both, theirs are
# isolated from each other, and the second heartbeat medium goes down): node2 takes the address
# over and announces it, so the client's cache points at node2. On the heal node2 releases its
# copy; node1 keeps the address and must announce it again, or the client talks to node2's MAC
# until its cache entry expires (27-53 s). Asserted: the client's first reply after the address
# left node2 comes within 50 ms of that moment, and its cache then holds node1's MAC.
source "$(dirname "$0")/lib.sh"
require "bridge port isolation (iproute2's bridge, Linux 4.18+)" bridge -V
BASE=$PREFIX
# shellcheck disable=SC2034 # read by node_env (Tests/lib/nodes.sh)
NODE_ENV="HA_RSCTMP=$WORK/rsctmp"
LIMIT_MS=50

# on_node I FAMILY VIP: the address is configured on nodeI.
on_node() { [ -n "$(ip -n "${PREFIX}-$1" -o "-$2" addr show to "$3" 2>/dev/null)" ]; }
off_node() { ! on_node "$@"; }
# mac_of I: nodeI's eth0 hardware address.
mac_of() { ip -n "${PREFIX}-$1" -o link show dev eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
# client_entry FAMILY VIP: the MAC in the client's cache for the address (empty when none).
client_entry() { ip -n "${PREFIX}-3" "-$1" neigh show to "$2" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
client_points_at() { [ "$(client_entry "$1" "$2")" = "$(mac_of "$3")" ]; }

# cut_nodes on|off: isolate node1's and node2's ports on the first bridge from each other (not
# from the client's), and take the second medium's ports down (off: undo).
cut_nodes() {
    local isolated=$1 state=down
    [ "$1" = on ] || state=up
    for i in 1 2; do
        bridge -n "${PREFIX}-br" link set dev "p$i" isolated "$isolated" || fail "bridge port isolation"
        ip -n "${PREFIX}-br" link set "q$i" "$state"
    done
}

# run_case FAMILY VIP BITS: one cluster, one heal, one measurement.
run_case() {
    local family=$1 vip=$2 bits=$3 t released first gap
    PREFIX=$BASE$family
    rm -rf "$WORK/node1" "$WORK/node2"
    log "--- IPv$family: $vip"
    make_namespaces 3
    add_second_medium 2
    if [ "$family" = 6 ]; then
        for i in 1 2 3; do ip -n "${PREFIX}-$i" addr add "fd00:77::$i/64" dev eth0 nodad; done
    fi
    for i in 1 2; do
        write_config "$i" "bcast eth0\nbcast eth1" "sha1 secret"
        use_dummy "$i" "node1 IPaddr2::$vip/$bits/eth0"
    done
    start_ours 1; start_ours 2
    wait_until 10000 on_node 1 "$family" "$vip" >/dev/null || fail "node1 did not take $vip"
    past_startup 1 2

    # The client talks to node1; then the cut: node2 takes the address and the client follows it.
    ip netns exec "${PREFIX}-3" python3 "$ROOT/Tests/integration/echo_client.py" "$vip" 10 0.5 > "$WORK/probe$family"
    [ -s "$WORK/probe$family" ] || fail "the client gets no answer from $vip on node1"
    client_points_at "$family" "$vip" 1 || fail "the client's cache does not point at node1: $(client_entry "$family" "$vip")"
    cut_nodes on
    t=$(wait_until 5000 on_node 2 "$family" "$vip") || fail "node2 did not take $vip during the partition"
    log "cut: node2 holds $vip too after ${t} ms"
    wait_until 3000 client_points_at "$family" "$vip" 2 >/dev/null \
        || fail "the client's cache did not move to node2: $(client_entry "$family" "$vip")"
    # Let the start's own gratuitous ARP bursts (5 over 4 s) and ours (3 over 2 s) end first, so
    # that only the announcement after the heal can move the client.
    sleep 5

    # The client polls every 10 ms while the cluster heals; node2's deletion of the address is timed
    # by `ip monitor` in its namespace.
    ip netns exec "${PREFIX}-3" python3 "$ROOT/Tests/integration/echo_client.py" "$vip" 10 6 > "$WORK/replies$family" &
    local client=$!
    ip -n "${PREFIX}-2" -ts -o monitor address > "$WORK/monitor$family" 2>&1 &
    local monitor=$!
    track $client; track $monitor
    disown $client $monitor   # no "Killed" job reports
    sleep 0.5
    cut_nodes off
    wait_until 5000 off_node 2 "$family" "$vip" >/dev/null || fail "node2 did not release $vip after the heal"
    on_node 1 "$family" "$vip" || fail "node1 lost $vip in the heal"
    wait_log 1 "announcing its addresses again" 2000 >/dev/null || fail "node1 did not announce $vip again"
    sleep 1
    released=$(grep -m1 "Deleted.* $vip/" "$WORK/monitor$family" | sed -E 's/^\[([^]]*)\].*/\1/')
    [ -n "$released" ] || fail "ip monitor did not see $vip leave node2: $(cat "$WORK/monitor$family")"
    released=$(( $(date -d "$released" +%s%N) / 1000000 ))
    first=$(awk -v t="$released" '$1 > t { print $1; exit }' "$WORK/replies$family")
    [ -n "$first" ] || fail "no reply reached the client after $vip left node2 (replies: $(wc -l < "$WORK/replies$family"))"
    gap=$(( first - released ))
    log "heal: $vip left node2; the client's next reply came ${gap} ms later (limit ${LIMIT_MS} ms)"
    [ "$gap" -le "$LIMIT_MS" ] || fail "the client was dark for ${gap} ms after node2 released $vip"
    client_points_at "$family" "$vip" 1 || fail "the client's cache does not point at node1 after the heal: $(client_entry "$family" "$vip")"
    grep -q "announcing its addresses again" "$WORK/node2/ha-log" \
        && fail "node2, which released the address, announced it again"
    kill $client $monitor 2>/dev/null
    kill_node 1; kill_node 2
}

run_case 4 10.77.0.100 24
run_case 6 fd00:77::100 64
