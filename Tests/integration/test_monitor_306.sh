#!/usr/bin/env bash
# Service health monitoring (issue #17) in a mixed cluster: node1 is ours and monitors group web
# (Dummy, `status`, restarts=1), node2 is the real Heartbeat 3.0.6, which reads no monitors file.
# web dies on node1: restarted in place. Dies again: node1 hands it over with the standby
# handshake and 3.0.6 takes it as it takes an hb_standby. 3.0.6 logs no error although our
# heartbeats now carry svcbad; `hbctl monitor reset` makes node1 eligible again; the Dummy log
# shows web never ran on both nodes at once.
source "$(dirname "$0")/lib.sh"
require "Debian's heartbeat package (3.0.6) is not installed" test -x "$HB306"
make_namespaces 2
RESOURCE_LOG=$WORK/dummy.log
for i in 1 2; do
    AUTO_FAILBACK=off INITDEAD=4 write_config "$i" "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret"
    use_dummy "$i" 'node1 Dummy::web'
done
write_monitors 1 "Dummy::web status interval=500ms timeout=400ms restarts=1"
# eligibility: True when node1's status shows itself eligible for web, False when not.
eligibility() {
    status_value 1 "next(e['eligible'] for g in r['groups'] if g['key'] == 'Dummy::web' for e in g['health']['eligibility'] if e['node'] == 'node1')"
}
starts_on() { grep -c "node$1 web start" "$RESOURCE_LOG"; }
start_ours 1; start_306 2
wait_dummy 1 web yes 20000 >/dev/null || fail "ours did not start web"
past_startup 1 2

# First death: restarted in place.
rm "$WORK/node1/rsc/Dummy-web"; died=$(now_ms)
wait_until 5000 prints 2 starts_on 1 >/dev/null || fail "ours did not restart web in place"
wait_dummy 1 web yes 5000 >/dev/null || fail "web did not run again on ours"
log "web dies on ours -> restarted in place after $(( $(now_ms) - died )) ms"
dummy_stopped 2 web || fail "3.0.6 runs web too"

# Second death: beyond restarts=1, the group goes to 3.0.6.
rm "$WORK/node1/rsc/Dummy-web"; died=$(now_ms)
wait_dummy 2 web yes 10000 >/dev/null || fail "3.0.6 did not take web"
log "web dies again -> started by 3.0.6 after $(( $(now_ms) - died )) ms"
wait_dummy 1 web no 2000 >/dev/null || fail "ours still runs web"
[ "$(starts_on 1)" = 2 ] || fail "ours restarted web a second time instead of handing it over"
[ "$(eligibility)" = False ] || fail "ours does not show itself ineligible for web: $(hbctl_on 1 status)"

# 3.0.6 keeps ours active and logs nothing wrong while our heartbeats carry svcbad.
assert_absent_for 6000 "ERROR|CRIT|Both machines own|No one owns" "$WORK/node2/ha-log" || fail "3.0.6 logged an error"
errors=$(errors_in_306_log 2)
[ -z "$errors" ] || fail "3.0.6 logged errors: $errors"
[ "$(in_306 2 cl_status nodestatus node1)" = active ] || fail "3.0.6 does not see ours active"
log "3.0.6 runs web, sees ours active, logs no error"

hbctl_on 1 monitor reset >"$WORK/reset.out" 2>&1 || fail "hbctl monitor reset failed: $(cat "$WORK/reset.out")"
wait_until 3000 prints True eligibility >/dev/null || fail "ours still ineligible after hbctl monitor reset"
dummy_running 2 web || fail "3.0.6 lost web on the reset"
log "hbctl monitor reset -> ours eligible again, web stays on 3.0.6"
python3 "$(dirname "$0")/never_two_owners.py" "$RESOURCE_LOG" || fail "web ran on two nodes at once (see $RESOURCE_LOG)"
log "Dummy log: web never ran on two nodes at once"
