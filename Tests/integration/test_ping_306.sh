#!/usr/bin/env bash
# Ping arbitration in a mixed cluster: node1 is ours, node2 the real Heartbeat 3.0.6 running its
# ipfail (both read the same ha.cf line `respawn hacluster /usr/libexec/heartbeat/ipfail`; ours
# arbitrates itself and spawns nothing). Host 3 answers ICMP echo on eth1 (10.78.0.3).
#  C1. 3.0.6 loses the ping node: the ipfail exchange makes it give its group to ours;
#      back again, balanced counts send the group home (auto_failback on).
#  C2. ours loses the ping node: the ipfail exchange makes ours give its group away;
#      back again (after our hold-down), 3.0.6's ipfail sends it home.
source "$(dirname "$0")/lib.sh"
require "Debian's heartbeat package (3.0.6) is not installed" test -x "$HB306"
require "Debian's ipfail is not installed" test -x /usr/libexec/heartbeat/ipfail
make_namespaces 3
add_second_medium 3
RESOURCE_LOG=$WORK/dummy.log
PING=10.78.0.3
export INITDEAD=4
for i in 1 2; do
    write_config $i "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret" \
        "ping $PING\ndeadping 600ms\nrespawn hacluster /usr/libexec/heartbeat/ipfail"
    use_dummy "$i" 'node1 Dummy::web\nnode2 Dummy::db'
done
start_ours 1
start_306 2
wait_dummy 1 web yes 20000 >/dev/null || fail "ours did not start web"
wait_dummy 2 db yes 25000 >/dev/null || fail "3.0.6 did not start db"
wait_log 2 "Status update for node $PING: status ping" 5000 >/dev/null || fail "3.0.6 never saw the ping node"
wait_log 1 "Status update for node $PING: status ping" 5000 >/dev/null || fail "ours never saw the ping node"
# 3.0.6's ipfail signs on after comm-up; both settle.
ipfail_signed_in() { [ "$(in_306 2 cl_status clientstatus node2 ipfail 2>/dev/null)" = online ]; }
wait_until 10000 ipfail_signed_in >/dev/null || fail "3.0.6's ipfail did not sign in"
wait_until 15000 settled 1 2 >/dev/null || fail "resources did not settle after the boot"

# since_cut: ours's log lines written after the last cut (at boot the ipfail exchange may already
# have run once, while 3.0.6 saw no ping node yet).
since_cut() { tail -n +"$((cut_line + 1))" "$WORK/node1/ha-log"; }

# C1. The 3.0.6 node loses the ping node.
cut_line=$(wc -l < "$WORK/node1/ha-log")
cut=$(now_ms)
ip -n "${PREFIX}-2" link set eth1 down
wait_dummy 1 db yes 15000 >/dev/null || fail "C1: db did not move to ours when 3.0.6 lost the ping node"
t=$(( $(now_ms) - cut ))
wait_dummy 2 db no 3000 >/dev/null || fail "C1: 3.0.6 still runs db"
# Which side compares first is a race of the two ipfail exchanges: ours answers 3.0.6's count with
# you_are_dead, or 3.0.6 compares the count ours sent it; either way 3.0.6 goes standby.
since_cut | grep -q "node2 wants to go standby \[all\]" || fail "C1: 3.0.6's ipfail did not give up its groups"
log "C1: 3.0.6 loses ping -> db started on ours after ${t} ms"
# The standby handshake ends before the ping node returns: the return is its own exchange.
wait_until 15000 settled 1 2 >/dev/null || fail "resources did not settle after C1's move"
restore=$(now_ms)
ip -n "${PREFIX}-2" link set eth1 up
wait_dummy 2 db yes 30000 >/dev/null || fail "C1: db did not return to 3.0.6 when its ping node answered"
t=$(( $(now_ms) - restore ))
wait_dummy 1 db no 3000 >/dev/null || fail "C1: ours kept db"
log "C1: ping back on 3.0.6 -> db back on 3.0.6 after ${t} ms"
wait_until 15000 settled 1 2 >/dev/null || fail "resources did not settle after C1"

# C2. Ours loses the ping node.
cut_line=$(wc -l < "$WORK/node1/ha-log")
cut=$(now_ms)
ip -n "${PREFIX}-1" link set eth1 down
wait_dummy 2 web yes 30000 >/dev/null || fail "C2: web did not move to 3.0.6 when ours lost the ping node"
t=$(( $(now_ms) - cut ))
wait_dummy 1 web no 3000 >/dev/null || fail "C2: ours still runs web"
# Told so by 3.0.6's ipfail, or having compared the count it sent: both are ipfail's protocol.
since_cut | grep -q -E "Giving up because we (were told that we have less ping nodes|have less visible ping nodes)" \
    || fail "C2: ours did not give up on ipfail's count"
log "C2: ours loses ping -> web started on 3.0.6 after ${t} ms"
wait_until 15000 settled 1 2 >/dev/null || fail "resources did not settle after C2's move"
restore=$(now_ms)
ip -n "${PREFIX}-1" link set eth1 up
wait_dummy 1 web yes 30000 >/dev/null || fail "C2: web did not return to ours when its ping node answered"
t=$(( $(now_ms) - restore ))
wait_dummy 2 web no 3000 >/dev/null || fail "C2: 3.0.6 kept web"
log "C2: ping back on ours -> web back on ours after ${t} ms"
# Expected while its eth1 is down: write failures on the ping medium, and 3.0.6's CRIT "Late
# heartbeat" for the ping node when it answers again.
unexpected() { errors_in_306_log 2 | grep -v -E "Network is unreachable|Late heartbeat: Node $PING" || true; }
[ -z "$(unexpected)" ] || { unexpected | sed 's/^/      /'; fail "3.0.6 logged errors"; }

python3 "$(dirname "$0")/never_two_owners.py" "$RESOURCE_LOG" || fail "a group ran on two nodes at once (see $RESOURCE_LOG)"
log "Dummy log: no group ever ran on two nodes at once"
