#!/usr/bin/env bash
# kill -9 of our daemon in the middle of taking a group (issue #9): node1's group is
# "Dummy::a Delay::3::0 Dummy::b"; node1 is killed while Delay starts (a already started, b not).
# node2 takes the group over; node1 comes back and (auto_failback on) gets it back. At every
# settled point the group is fully on exactly one node, never partly on both.
source "$(dirname "$0")/lib.sh"
make_namespaces 2
export DEADTIME=2 WARNTIME=1
for i in 1 2; do
    write_config $i "bcast eth0" "sha1 secret"
    use_dummy $i 'node1 Dummy::a Delay::3::0 Dummy::b\nnode2 Dummy::db'
done
boot() { NODE_ENV="HA_RSCTMP=$WORK/node$1/rsc" start_ours "$1"; }
# holds NODE: which of a and b run on NODE ("a b", "a", "", …).
holds() { local r=""; dummy_running "$1" a && r="a"; dummy_running "$1" b && r="${r:+$r }b"; echo "$r"; }
# whole_group_on NODE: NODE runs a and b, the other node neither.
whole_group_on() { [ "$(holds "$1")" = "a b" ] && [ -z "$(holds $(( 3 - $1 )))" ]; }
# settle_on NODE TIMEOUT_S: wait until the whole group is on NODE.
settle_on() {
    wait_until $(( $2 * 1000 )) whole_group_on "$1" >/dev/null \
        || fail "group not settled on node$1: node1 runs [$(holds 1)], node2 runs [$(holds 2)]"
}
boot 2
wait_log 2 "Initial resource acquisition complete" 15000 >/dev/null || fail "node2 never acquired its resources"
boot 1
# node1 takes its group back from node2 (auto_failback on); kill it while Delay is starting.
wait_log 1 "Running Delay 3 0 start" 20000 >/dev/null || fail "node1 never started Delay"
dummy_running 1 a || fail "Dummy::a was not started before Delay"
kill_node 1
log "node1 killed with [$(holds 1)] started of its group"
# node2 declares node1 dead and takes the whole group (node1's stale 'a' is what a reboot clears;
# the daemon of a crashed node is gone, so nobody stops it).
wait_log 2 "node node1: is dead" 6000 >/dev/null || fail "node2 did not notice node1's death"
rm -f "$WORK/node1/rsc/"Dummy-*
settle_on 2 20
log "node2 owns the whole group after the crash"
boot 1
settle_on 1 30
wait_log 1 "remote resource transition completed\|Initial resource acquisition complete" 10000 >/dev/null || fail "node1 did not finish its restart"
[ "$(HA_RUN_DIR=$WORK/node1/run "$BIN/cl_status" rscstatus)" = local ] || fail "node1 rscstatus is not local"
[ "$(HA_RUN_DIR=$WORK/node2/run "$BIN/cl_status" rscstatus)" = local ] || fail "node2 rscstatus is not local"
! grep -q "Both machines own" "$WORK/node1/ha-log" "$WORK/node2/ha-log" || fail "double ownership reported"
log "node1 back: owns the whole group again, node2 none of it; logs: $(grep -h "acquisition\|transition completed" "$WORK/node1/ha-log" | tail -2 | cut -d: -f5- | tr '\n' ';')"
