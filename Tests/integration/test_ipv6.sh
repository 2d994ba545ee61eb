#!/usr/bin/env bash
# IPv6 media (spec §4.1): two of our daemons with only ucast6, then only mcast6, reach active and
# detect kill -9 within deadtime; the same with a real 3.0.6 node on each medium when installed.
# Recovery: a node's interface goes down (sends fail, counted and logged rate-limited) and up
# again, then is deleted and re-created (new ifindex): the medium comes back by itself each time.
source "$(dirname "$0")/lib.sh"
make_namespaces 2
UCAST6="ucast6 eth0 fd00:77::1\nucast6 eth0 fd00:77::2"
MCAST6="mcast6 eth0 ff12::77 695 1 0"

# add_ipv6 I: fd00:77::I on nodeI's eth0, usable at once (nodad), kept while the link is down.
add_ipv6() {
    local ns=${PREFIX}-$1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.keep_addr_on_down=1
    ip -n "$ns" addr add "fd00:77::$1/64" dev eth0 nodad
}
for i in 1 2; do add_ipv6 $i; done

# recreate_eth0 I: delete nodeI's veth and plug a new one into the bridge (a new ifindex).
recreate_eth0() {
    local i=$1 ns=${PREFIX}-$1 bridge=${PREFIX}-br
    ip -n "$ns" link del eth0
    ip link add "${PREFIX}c$i" netns "$ns" type veth peer name "r$i" netns "$bridge"
    ip -n "$ns" link set "${PREFIX}c$i" name eth0
    ip -n "$ns" addr add "10.77.0.$i/24" brd + dev eth0
    ip -n "$ns" link set eth0 up
    add_ipv6 "$i"
    ip -n "$bridge" link set "r$i" master br0
    ip -n "$bridge" link set "r$i" up
}

for medium in ucast6 mcast6; do
    [ $medium = ucast6 ] && lines=$UCAST6 || lines=$MCAST6
    rm -rf "$WORK/node1" "$WORK/node2"
    for i in 1 2; do write_config $i "$lines" "sha1 secret"; start_ours $i; done
    wait_log 1 "Status update for node node2: status active" 8000 >/dev/null || fail "$medium: node1 never saw node2 active"
    wait_log 2 "Status update for node node1: status active" 8000 >/dev/null || fail "$medium: node2 never saw node1 active"
    past_startup 1 2
    [ "$(HA_RUN_DIR=$WORK/node1/run "$BIN/cl_status" hblinkstatus node2 eth0)" = up ] || fail "$medium: node2's eth0 link is not up"
    ! grep -q -E "ERROR|CRIT" "$WORK/node1/ha-log" || fail "$medium: node1 logged errors: $(grep -E 'ERROR|CRIT' "$WORK/node1/ha-log")"
    kill_node 2
    delay=$(wait_log 1 "node node2: is dead" 3000) || fail "$medium: node1 did not declare node2 dead"
    [ "$delay" -le 1060 ] || fail "$medium: kill -> dead took ${delay} ms, deadtime is 1000 ms"
    log "$medium ours<->ours: active both ways; kill -9 -> 'is dead' in $delay ms (deadtime 1000 ms)"

    # Recovery, on node1's side while node2 runs again.
    start_ours 2
    wait_log 1 "Heartbeat restart on node node2" 8000 >/dev/null || fail "$medium: node1 did not see node2 restart"
    wait_log 2 "Link node1:eth0 up." 8000 1 >/dev/null || fail "$medium: node2 never saw node1's link up"
    past_startup 2
    ups=$(count_log 2 "Link node1:eth0 up."); deads=$(count_log 2 "node node1: is dead")
    actives=$(count_log 2 "Status update for node node1: status active")
    ip -n "${PREFIX}-1" link set eth0 down
    wait_log 2 "node node1: is dead" 3000 $((deads + 1)) >/dev/null || fail "$medium: node2 did not see node1 go with its interface"
    wait_log 1 "write failure on eth0" 2000 >/dev/null || fail "$medium: node1 logged no write failure"
    # ten sends fail meanwhile; the log holds them back
    assert_absent_for 2000 "write failure on eth0" "$WORK/node1/ha-log" || fail "$medium: a second write-failure line in one outage: not rate-limited"
    failures=$(count_log 1 "write failure on eth0")
    [ "$failures" -eq 1 ] || fail "$medium: $failures write-failure lines in one outage: not rate-limited"
    ip -n "${PREFIX}-1" link set eth0 up
    back=$(wait_log 2 "Link node1:eth0 up." 8000 $((ups + 1))) || fail "$medium: node1's link did not come back after the interface came up"
    wait_log 1 "write on eth0 works again" 2000 >/dev/null || fail "$medium: node1 did not log the recovery"
    log "$medium: interface down -> node1 dead on node2, 1 write-failure line; up -> link back in $back ms"
    wait_log 2 "Status update for node node1: status active" 8000 $(( actives + 1 )) >/dev/null || fail "$medium: node1 not active again on node2"
    recreate_eth0 1
    # The old sockets are bound to an ifindex that no longer exists: without the reopen node1's
    # heartbeats would never reach node2 again.
    wait_log 1 "Interface eth0 changed; reopening" 2500 >/dev/null || fail "$medium: node1 did not reopen its sockets"
    # recovered: node2 sees node1 active again, and both see the other's eth0 link up.
    recovered() {
        [ "$(HA_RUN_DIR=$WORK/node2/run "$BIN/cl_status" nodestatus node1)" = active ] \
            && [ "$(HA_RUN_DIR=$WORK/node2/run "$BIN/cl_status" hblinkstatus node1 eth0)" = up ] \
            && [ "$(HA_RUN_DIR=$WORK/node1/run "$BIN/cl_status" hblinkstatus node2 eth0)" = up ]
    }
    wait_until 5000 recovered >/dev/null   # on a timeout the checks below say what did not recover
    [ "$(HA_RUN_DIR=$WORK/node2/run "$BIN/cl_status" nodestatus node1)" = active ] || fail "$medium: node1 not active on node2 after eth0 was re-created"
    [ "$(HA_RUN_DIR=$WORK/node2/run "$BIN/cl_status" hblinkstatus node1 eth0)" = up ] || fail "$medium: node1's link not up on node2 after eth0 was re-created"
    [ "$(HA_RUN_DIR=$WORK/node1/run "$BIN/cl_status" hblinkstatus node2 eth0)" = up ] || fail "$medium: node2's link not up on node1 after eth0 was re-created"
    log "$medium: eth0 deleted and re-created -> sockets reopened, both links up again"
    kill_node 1; kill_node 2
done

require "Debian's heartbeat package (3.0.6) is not installed: no interop over IPv6" test -x "$HB306"
for medium in ucast6 mcast6; do
    [ $medium = ucast6 ] && lines=$UCAST6 || lines=$MCAST6
    rm -rf "$WORK/node1" "$WORK/node2"
    for i in 1 2; do write_config $i "$lines" "sha1 secret"; done
    start_ours 1
    start_306 2
    wait_log 1 "Status update for node node2: status active" 10000 >/dev/null || fail "$medium: ours never saw 3.0.6 active"
    wait_log 2 "Status update for node node1: status active" 10000 >/dev/null || fail "$medium: 3.0.6 never saw ours active"
    past_startup 1 2
    assert_absent_for 2000 "ERROR|CRIT" "$WORK/node1/ha-log" || fail "$medium: ours logged errors in a steady run"
    [ "$(in_306 2 cl_status hblinkstatus node1 eth0)" = up ] || fail "$medium: 3.0.6 does not show ours' eth0 link up"
    [ "$(HA_RUN_DIR=$WORK/node1/run "$BIN/cl_status" hblinkstatus node2 eth0)" = up ] || fail "$medium: ours does not show 3.0.6's eth0 link up"
    errors=$(errors_in_306_log 2)
    [ -z "$errors" ] || fail "$medium: 3.0.6 logged errors: $errors"
    ! grep -q -E "ERROR|CRIT" "$WORK/node1/ha-log" || fail "$medium: ours logged errors: $(grep -E 'ERROR|CRIT' "$WORK/node1/ha-log")"
    kill_node 2
    delay=$(wait_log 1 "node node2: is dead" 3000) || fail "$medium: ours did not declare 3.0.6 dead"
    [ "$delay" -le 1060 ] || fail "$medium: ours took ${delay} ms to declare 3.0.6 dead (deadtime 1000 ms)"
    kill_node 1
    log "$medium 3.0.6<->ours: active both ways, links up, no errors; 3.0.6 kill -9 -> dead in $delay ms"
done
