#!/usr/bin/env bash
# Restart with a changed configuration (issue #9), the way an admin rolls a change through a
# running pair: new ha.cf timings (keepalive 200 ms -> 100 ms, deadtime 2 s -> 600 ms) and a new
# group in haresources, one node at a time, the peer still running on the old files meanwhile.
# Membership stays up throughout (no false "is dead"), the mismatch is named while it lasts and
# cleared after, the new timing is what the restarted daemons use, and the Dummy call log shows
# no group ever ran on both nodes at once.
source "$(dirname "$0")/lib.sh"
make_namespaces 2
RESOURCE_LOG=$WORK/dummy.log
ctl() { local i=$1; shift; HA_CONFIG_DIR=$WORK/node$i/etc HA_STATE_DIR=$WORK/node$i/state HA_RUN_DIR=$WORK/node$i/run HA_NODE_NAME=node$i "$BIN/heartbeat" "$@"; }
# configure I old|new
configure() {
    if [ "$2" = old ]; then
        KEEPALIVE=200ms WARNTIME=1 DEADTIME=2 write_config "$1" "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret"
        use_dummy "$1" 'node1 Dummy::web'
    else
        KEEPALIVE=100ms WARNTIME=300ms DEADTIME=600ms write_config "$1" "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret"
        use_dummy "$1" 'node1 Dummy::web\nnode2 Dummy::db'
    fi
}
# restart I: heartbeat -k (groups released, shutdone sent), then start on the current files.
restart() {
    ctl "$1" -k || fail "heartbeat -k on node$1 failed"
    start_ours "$1"
}

for i in 1 2; do configure $i old; done
start_ours 1; start_ours 2
wait_dummy 1 web yes 10000 >/dev/null || fail "node1 did not start web"
wait_log 1 "Configuration of node node2 agrees with ours" 5000 >/dev/null || fail "node1 did not check node2's configuration"
past_startup 1 2

# 1. node2 first: new timing and a new group of its own; node1 still runs the old files.
configure 2 new
restart 2
wait_log 1 "Configuration mismatch: node node2" 8000 >/dev/null || fail "node1 did not name the haresources mismatch"
wait_dummy 2 db yes 10000 >/dev/null || fail "restarted node2 did not start its new group db"
wait_log 2 "Status update for node node1: status active" 5000 >/dev/null || fail "restarted node2 does not see node1"
web_on_node1_only() { dummy_running 1 web && dummy_stopped 2 web; }
holds_for 3000 web_on_node1_only || fail "web left node1 while node2 restarted, or node2 runs it too"
log "node2 restarted on new files: db started there, web stayed on node1, the mismatch named on node1"

# 2. node1 on the new files too: web goes to node2 while node1 is down, and comes back.
mark=$(wc -l < "$WORK/node1/ha-log")
configure 1 new
restart 1
wait_dummy 1 web yes 15000 >/dev/null || fail "web did not come back to node1 after its restart"
tail -n +"$((mark + 1))" "$WORK/node1/ha-log" | grep -q "Configuration of node node2 agrees with ours" \
    || fail "node1 on the new files does not find node2's configuration in agreement"
dummy_running 2 db || fail "db left node2 while node1 restarted"
assert_absent_for 2000 "is dead" "$WORK/node1/ha-log" "$WORK/node2/ha-log" || fail "a node declared its peer dead after the rolling restart"
for i in 1 2; do
    ! grep -q "node node$((3 - i)): is dead" "$WORK/node$i/ha-log" || fail "node$i declared its peer dead during the rolling restart"
done
log "node1 restarted on new files: web back on node1, db on node2, configurations agree, nobody declared dead"

# 3. The new timing is in force: node1 declares node2 dead within the new deadtime (the old one,
#    2 s, could not be under 1.8 s), and takes db.
kill_node 2
# node2's machine "crashed": its resources are gone with it.
echo "$(date +%s%N) node2 db killed -" >> "$RESOURCE_LOG"; rm -f "$WORK/node2/rsc/"Dummy-*
delay=$(wait_log 1 "node node2: is dead" 3000) || fail "node1 did not declare node2 dead"
[ "$delay" -lt 1200 ] || fail "node1 took $delay ms to declare node2 dead: the new deadtime (600 ms) is not in force"
wait_dummy 1 db yes 5000 >/dev/null || fail "node1 did not take db over"
log "kill -9 node2 -> 'is dead' on node1 after $delay ms (new deadtime 600 ms), db taken over"
kill_node 1
python3 "$(dirname "$0")/never_two_owners.py" "$RESOURCE_LOG" || fail "a group ran on two nodes at once (see $RESOURCE_LOG)"
log "Dummy log: no group ever ran on two nodes at once"
