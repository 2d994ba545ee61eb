#!/usr/bin/env bash
# Service health monitoring (issue #17) of a real service: python3's http.server behind an IPaddr2
# address (Tests/integration/httpd), watched by two of our daemons with an http:// and a tcp:
# check; a client in a third namespace asks the address which node serves it.
#  A. The server is killed: the group is restarted in place, twice (restarts=2 within window).
#  B. Killed a third time: the group moves to node2 and the client is answered there; node1 is
#     ineligible for it, in its own status and in node2's (the svcbad field of its heartbeats).
#  C. node2's service fails too (its health page is gone: HTTP 404) while node1 is ineligible:
#     the group stays on node2, a CRIT line says so, and it is restarted again with a backoff.
#     Its page back, it is healthy again.
#  D. `hbctl monitor reset web` on node1: eligible again, for node1 and for node2.
# Detection (kill -> the failure logged) and recovery (kill -> the client answered) are printed.
source "$(dirname "$0")/lib.sh"
make_namespaces 3
VIP=10.77.0.100 PORT=8080
GROUP=IPaddr2::$VIP/24/eth0
# A hold-down of 1 s: in C only node1's ineligibility keeps the group on node2.
OPTIONS="interval=500ms timeout=400ms fall=2 restarts=2 window=10m holddown=1s"
for i in 1 2; do
    AUTO_FAILBACK=off write_config "$i" "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret"
    use_dummy "$i" "node1 $GROUP httpd::$VIP::$PORT"
    use_http_service "$i"
    echo ok > "$WORK/node$i/httpd/www/health"
    write_monitors "$i" "# the group by its key, named web for the lines below and hbctl
$GROUP  http://$VIP:$PORT/health  $OPTIONS expect=200 name=web
web  tcp:$VIP:$PORT  $OPTIONS"
done

# answered_by I: the client's request to the address is answered by nodeI's server.
answered_by() { [ "$(ip netns exec "${PREFIX}-3" curl -s -m 1 "http://$VIP:$PORT/whoami" 2>/dev/null)" = "node$1" ]; }
server_pid() { cat "$WORK/node$1/httpd/$VIP-$PORT.pid" 2>/dev/null; }
starts() { local n; n=$(grep -c " httpd start begin" "$WORK/node$1/httpd/calls" 2>/dev/null); echo "${n:-0}"; }
has_vip() { ip -n "${PREFIX}-$1" -br addr show eth0 | grep -q "$VIP/24"; }
lacks_vip() { ! has_vip "$1"; }
# health I EXPR: EXPR over `g`, the web group's health in nodeI's `hbctl status --json`.
health() { status_value "$1" "(lambda g: ($2))(next(g['health'] for g in r['groups'] if g['key'] == '$GROUP'))"; }
# eligible I J / ineligible I J: nodeI's status shows nodeJ eligible (not) for the group.
eligible() { prints True health "$1" "next(e['eligible'] for e in g['eligibility'] if e['node'] == 'node$2')"; }
ineligible() { prints False health "$1" "next(e['eligible'] for e in g['eligibility'] if e['node'] == 'node$2')"; }
# crash I: kill -9 nodeI's server (a crashed service); its time is $crashed.
crash() {
    local pid
    pid=$(server_pid "$1") || fail "node$1 has no server to kill"
    kill -9 "$pid"; crashed=$(now_ms)
}

start_ours 1; start_ours 2
t=$(wait_until 15000 answered_by 1) || fail "node1 did not bring up the web service"
log "pair boot -> the client is answered by node1 after ${t} ms"
past_startup 1 2
wait_until 5000 prints healthy health 1 "g['state']" >/dev/null || fail "node1 never reported web healthy: $(hbctl_on 1 status)"

# A. Two crashes, each restarted in place.
for k in 1 2; do
    before=$(starts 1) failed_before=$(count_log 1 "(2 of fall 2)")
    crash 1
    wait_log 1 "(2 of fall 2)" 5000 $(( failed_before + 1 )) >/dev/null || fail "A$k: node1 did not log the failure"
    detected=$(( $(now_ms) - crashed ))
    wait_until 10000 answered_by 1 >/dev/null || fail "A$k: node1 did not restart the service"
    recovered=$(( $(now_ms) - crashed ))
    [ "$(starts 1)" = $(( before + 1 )) ] || fail "A$k: node1 started the service $(( $(starts 1) - before )) times, not once"
    [ "$(count_log 1 "restarting it in place")" = "$k" ] || fail "A$k: node1 logged $(count_log 1 "restarting it in place") restarts in place, not $k"
    ! has_vip 2 || fail "A$k: the address is on node2 too"
    log "A$k: server killed -> failure logged after ${detected} ms (fall 2 x interval 500 ms), answered again after ${recovered} ms"
    wait_until 5000 prints $(( 2 - k )) health 1 "g['restartsLeft']" >/dev/null \
        || fail "A$k: hbctl status --json shows restarts left $(health 1 "g['restartsLeft']"), not $(( 2 - k ))"
done
holds_for 1500 answered_by 1 || fail "A: the service did not stay up on node1"
[ "$(starts 1)" = 3 ] || fail "A: node1 started the service $(starts 1) times, not 3 (boot + 2 restarts)"
prints "2 2" health 1 "g['failCount'], g['restarts']" || fail "A: hbctl status --json shows fail count and restarts $(health 1 "g['failCount'], g['restarts']"), not 2 and 2"
log "A: 2 restarts in place, counted in the service's log and in hbctl status --json"

# B. The third crash within the window: the group moves.
crash 1
wait_until 15000 answered_by 2 >/dev/null || fail "B: the group did not move to node2"
moved=$(( $(now_ms) - crashed ))
[ "$(starts 1)" = 3 ] || fail "B: node1 restarted the service a third time instead of moving it"
wait_until 2000 lacks_vip 1 >/dev/null || fail "B: node1 kept the address"
log "B: third crash -> the client answered by node2 after ${moved} ms"
wait_until 3000 ineligible 1 1 >/dev/null || fail "B: node1 does not show itself ineligible: $(hbctl_on 1 status)"
wait_until 3000 ineligible 2 1 >/dev/null || fail "B: node2 does not see node1 ineligible: $(hbctl_on 2 status)"
eligible 1 2 || fail "B: node1 shows node2 ineligible"
prints 1 health 1 "g['moves']" || fail "B: hbctl status --json on node1 counts $(health 1 "g['moves']") moves, not 1"
hbctl_on 1 status | grep -q "node1:no" || fail "B: hbctl status on node1 does not show it ineligible (node1:no): $(hbctl_on 1 status)"

# C. node2 fails as well: nobody is fit, so it stays, restarted with a backoff, and says so.
rm "$WORK/node2/httpd/www/health"; broke=$(now_ms)
wait_log 2 "CRIT: .*no other node" 20000 >/dev/null || fail "C: node2 logged no CRIT line"
log "C: node2's health page gone -> CRIT after $(( $(now_ms) - broke )) ms: $(grep "CRIT: .*no other node" "$WORK/node2/ha-log" | head -1 | sed 's/.*CRIT: //')"
# Restarted after 1 s (twice the interval), then 2 s: the backoff doubles.
wait_log 2 "still unhealthy here .*restarting it again in 2s" 10000 >/dev/null || fail "C: no second, longer backoff"
[ "$(count_log 2 "Restarting group .* in place (monitor backoff")" -ge 1 ] || fail "C: node2 did not restart the group after its backoff"
{ [ "$(starts 1)" = 3 ] && lacks_vip 1; } || fail "C: the group went back to node1 although node1 is ineligible"
log "C: backoff restarts on node2: $(grep -o "restarting it again in [0-9a-z]*" "$WORK/node2/ha-log" | cut -d' ' -f5 | tr '\n' ' ')"

echo ok > "$WORK/node2/httpd/www/health"
t=$(wait_until 30000 prints healthy health 2 "g['state']") || fail "C: node2 did not report web healthy again: $(hbctl_on 2 status)"
log "C: node2's health page back -> healthy after ${t} ms"

# D. The admin clears node1's failures.
hbctl_on 1 monitor reset web >"$WORK/reset.out" 2>&1 || fail "D: hbctl monitor reset web failed: $(cat "$WORK/reset.out")"
wait_until 3000 eligible 1 1 >/dev/null || fail "D: node1 is still ineligible after the reset"
t=$(wait_until 3000 eligible 2 1) || fail "D: node2 still sees node1 ineligible after the reset"
log "D: hbctl monitor reset web -> node1 eligible again, seen by node2 after ${t} ms"

cat "$WORK"/node*/httpd/calls > "$WORK/calls"
python3 "$(dirname "$0")/never_two_owners.py" "$WORK/calls" || fail "the service ran on two nodes at once (see $WORK/calls)"
log "the service's log: it never ran on two nodes at once"
