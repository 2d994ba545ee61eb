#!/usr/bin/env bash
# A mixed cluster: node1 is ours, node2 is the real Heartbeat 3.0.6 with Debian's scripts, for
# auto_failback on and off: boot, failover both ways on kill -9, failback (on) or not (off),
# hb_standby from either side, orderly stops (-k) both ways (on) — the 3.0.6 log shows no
# "Both machines own" / "No one owns" errors, and the Dummy call log shows no group ever ran on
# both nodes at once.
source "$(dirname "$0")/lib.sh"
require "Debian's heartbeat package (3.0.6) is not installed" test -x "$HB306"
make_namespaces 2
RESOURCE_LOG=$WORK/dummy.log
export INITDEAD=4
mark_killed() { for inst in web db; do echo "$(date +%s%N) node$1 $inst killed -" >> "$RESOURCE_LOG"; done; rm -f "$WORK/node$1/rsc/"Dummy-*; }
boot() { if [ "$1" = 1 ]; then start_ours 1; else start_306 2; fi; }
standby_on() {  # standby_on NODE: the node's own hb_standby all
    if [ "$1" = 1 ]; then
        HA_CONFIG_DIR=$ROOT/ha.d HA_FIFO=$WORK/node1/state/fifo HA_PIDFILE=$WORK/node1/run/heartbeat.pid "$ROOT/tools/hb_standby" all >/dev/null 2>&1
    else
        in_306 2 /usr/share/heartbeat/hb_standby all >/dev/null 2>&1
    fi
}
for mode in ${MODES:-on off}; do
    rm -rf "$WORK/node1" "$WORK/node2"; : > "$RESOURCE_LOG"
    for i in 1 2; do
        AUTO_FAILBACK=$mode write_config $i "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret"
        use_dummy "$i" 'node1 Dummy::web\nnode2 Dummy::db'
    done
    boot 1; boot 2
    t=$(wait_dummy 1 web yes 20000) || fail "$mode: ours did not start web"
    t2=$(wait_dummy 2 db yes 20000) || fail "$mode: 3.0.6 did not start db"
    log "$mode: pair boot -> web on ours ${t} ms, db on 3.0.6 ${t2} ms"
    past_startup 1 2
    # kill -9 the 3.0.6 node: ours takes db.
    kill_node 2; mark_killed 2
    t=$(wait_dummy 1 db yes 8000) || fail "$mode: ours did not take db from the dead 3.0.6 node"
    log "$mode: kill -9 3.0.6 -> db on ours ${t} ms"
    boot 2
    if [ $mode = on ]; then
        t=$(wait_dummy 2 db yes 30000) || fail "on: db did not fail back to 3.0.6"
        wait_dummy 1 db no 5000 >/dev/null || fail "on: ours kept db after failback"
        log "on: 3.0.6 back -> db failed back ${t} ms"
    else
        db_stays_on_ours() { dummy_running 1 db && dummy_stopped 2 db; }
        holds_for 8000 db_stays_on_ours || fail "off: db left ours, or 3.0.6 started it, although auto_failback is off"
    fi
    # hb_standby on ours: 3.0.6 takes what ours holds.
    until_logged 1 "node1 wants to go standby" 15000 standby_on 1 || fail "$mode: hb_standby on ours was never accepted"
    t=$(wait_dummy 2 web yes 30000) || fail "$mode: 3.0.6 did not take web on our hb_standby"
    wait_dummy 1 web no 5000 >/dev/null || fail "$mode: ours kept web after hb_standby"
    log "$mode: hb_standby on ours -> web on 3.0.6 ${t} ms"
    # hb_standby on 3.0.6: ours takes everything. 3.0.6's own FIFO reader now and then reads an
    # empty message from its hb_standby (it logs "msg2string: Message with zero fields" and drops
    # it); then its request never happened, and until_logged asks again.
    until_logged 2 "node2 wants to go standby" 15000 standby_on 2 || fail "$mode: hb_standby on 3.0.6 was never accepted"
    t=$(wait_dummy 1 web yes 30000) || fail "$mode: ours did not take web on 3.0.6's hb_standby"
    wait_dummy 1 db yes 30000 >/dev/null || fail "$mode: ours did not take db on 3.0.6's hb_standby"
    wait_dummy 2 db no 5000 >/dev/null || fail "$mode: 3.0.6 kept db after its hb_standby"
    log "$mode: hb_standby on 3.0.6 -> all on ours ${t} ms"
    wait_until 15000 settled 1 2 >/dev/null || fail "$mode: resources did not settle after 3.0.6's hb_standby"
    if [ $mode = on ]; then
        # Orderly stops both ways: `shutdone` moves the groups at once; the stopped node is declared
        # dead only after its last heartbeat, as one that "gave up resources" (no STONITH warning).
        stopped_cleanly() {  # stopped_cleanly OBSERVER STOPPED_NODE LOG_MARK: waits for "is dead" past the mark
            declared() { tail -n +"$3" "$WORK/node$1/ha-log" | grep -q "node node$2: is dead"; }
            wait_until 6000 declared "$@" >/dev/null || fail "node$1 never declared the stopped node$2 dead"
            tail -n +"$3" "$WORK/node$1/ha-log" > "$WORK/stop.log"
            grep -q "Received shutdown notice from 'node$2'" "$WORK/stop.log" || fail "node$1 did not get node$2's shutdown notice"
            grep -q "Dead node node$2 gave up resources" "$WORK/stop.log" || fail "node$1 did not note that node$2 gave up its resources"
            ! grep -q "No STONITH device configured" "$WORK/stop.log" || fail "node$1 wanted STONITH for node$2, which stopped cleanly"
        }
        mark=$(( $(wc -l < "$WORK/node2/ha-log") + 1 ))
        ctl_ours() { HA_CONFIG_DIR=$WORK/node1/etc HA_STATE_DIR=$WORK/node1/state HA_RUN_DIR=$WORK/node1/run HA_NODE_NAME=node1 "$BIN/heartbeat" "$@"; }
        ctl_ours -k || fail "on: heartbeat -k on ours failed"
        t=$(wait_dummy 2 web yes 5000) || fail "on: 3.0.6 did not take web when ours stopped"
        wait_dummy 2 db yes 5000 >/dev/null || fail "on: 3.0.6 did not take db when ours stopped"
        stopped_cleanly 2 1 "$mark"
        log "on: ours stopped (-k) -> all on 3.0.6 ${t} ms, no STONITH wanted"
        boot 1
        wait_dummy 1 web yes 30000 >/dev/null || fail "on: web did not fail back to ours"
        wait_until 15000 settled 1 2 >/dev/null || fail "on: resources did not settle after the failback to ours"
        mark=$(( $(wc -l < "$WORK/node1/ha-log") + 1 ))
        # (3.0.6 -k exits non-zero here, having waited for the daemon; what follows checks the stop.)
        in_306 2 /usr/libexec/heartbeat/heartbeat -k >/dev/null 2>&1 || true
        t=$(wait_dummy 1 db yes 5000) || fail "on: ours did not take db when 3.0.6 stopped"
        stopped_cleanly 1 2 "$mark"
        log "on: 3.0.6 stopped (-k) -> db on ours ${t} ms, no STONITH wanted"
        boot 2
        wait_dummy 2 db yes 30000 >/dev/null || fail "on: db did not fail back to 3.0.6"
        wait_until 15000 settled 1 2 >/dev/null || fail "on: resources did not settle after the failback to 3.0.6"
    fi
    # kill -9 ours: 3.0.6 takes everything.
    kill_node 1; mark_killed 1
    t=$(wait_dummy 2 web yes 10000) || fail "$mode: 3.0.6 did not take web from dead ours"
    wait_dummy 2 db yes 10000 >/dev/null || fail "$mode: 3.0.6 did not take db from dead ours"
    log "$mode: kill -9 ours -> all on 3.0.6 ${t} ms"
    bad=$(grep -E "Both machines own|No one owns" "$WORK/node2/ha-log" || true)
    [ -z "$bad" ] || fail "$mode: 3.0.6 audit errors: $bad"
    kill_node 2
    python3 "$(dirname "$0")/never_two_owners.py" "$RESOURCE_LOG" || fail "$mode: a group ran on two nodes at once (see $RESOURCE_LOG)"
done
log "mixed cluster: on and off modes behaved as 3.0.6 expects, no audit errors, never two owners"
