#!/usr/bin/env bash
# Four of our nodes with two media each (bcast on eth0, mcast on eth1): all reach active with every
# link up; cutting node4's eth1 marks only the node4:eth1 link dead on the others, and node4 stays
# active; restoring the cable brings the link back.
source "$(dirname "$0")/lib.sh"
make_namespaces 4
add_second_medium 4
export NODES="node1 node2 node3 node4"
for i in 1 2 3 4; do write_config $i "bcast eth0\nmcast eth1 239.78.0.1 694 1 0" "md5 secret"; start_ours $i; done
for i in 1 2 3 4; do
    for j in 1 2 3 4; do
        [ $i = $j ] && continue
        wait_log $i "Link node$j:eth1 up" 8000 >/dev/null || fail "node$i never saw node$j on eth1"
        wait_log $i "Status update for node node$j: status active" 8000 >/dev/null || fail "node$i never saw node$j active"
    done
done
status() { HA_RUN_DIR=$WORK/node$1/run "$BIN/cl_status" "${@:2}"; }
[ "$(status 1 listnodes | tr '\n' ' ')" = "node1 node2 node3 node4 " ] || fail "listnodes on node1: $(status 1 listnodes)"
past_startup 1 2 3 4
ip -n "${PREFIX}-4" link set eth1 down
for i in 1 2 3; do
    wait_log $i "Link node4:eth1 dead" 3000 >/dev/null || fail "node$i did not mark node4:eth1 dead"
done
for i in 1 2 3; do
    [ "$(status $i hblinkstatus node4 eth1)" = dead ] || fail "node$i: cl_status hblinkstatus node4 eth1 is not dead"
    [ "$(status $i hblinkstatus node4 eth0)" = up ] || fail "node$i: node4's eth0 link went down too"
    [ "$(status $i nodestatus node4)" = active ] || fail "node$i: node4 is no longer active"
    ! grep -q "node node4: is dead" "$WORK/node$i/ha-log" || fail "node$i declared node4 dead over one lost medium"
    ! grep -q "Link node[123]:eth1 dead" "$WORK/node$i/ha-log" || fail "node$i lost an eth1 link it should have kept"
done
ip -n "${PREFIX}-4" link set eth1 up
for i in 1 2 3; do
    wait_log $i "Link node4:eth1 up" 5000 2 >/dev/null || fail "node$i did not log node4:eth1 up again"
    link_back() { [ "$(status "$1" hblinkstatus node4 eth1)" = up ]; }
    wait_until 5000 link_back "$i" >/dev/null || fail "node$i: node4:eth1 did not come back"
done
log "one of two media cut: only that link went dead on all 3 peers, node stayed active, link recovered"
