#!/usr/bin/env bash
# A mixed cluster: node1 is ours, node2 is the real Heartbeat 3.0.6 with Debian's scripts, for
# auto_failback on and off: boot, failover both ways on kill -9, failback (on) or not (off),
# hb_standby from either side, orderly stops (-k) both ways (on) — the 3.0.6 log shows no
# "Both machines own" / "No one owns" errors, and the Dummy call log shows no group ever ran on
# both nodes at once.
source "$(dirname "$0")/lib.sh"
command -v /usr/libexec/heartbeat/heartbeat >/dev/null || fail "Debian's heartbeat package is not installed"
make_namespaces 2
LOG=$WORK/dummy.log
export INITDEAD=4
running_on() {  # running_on NODE INSTANCE -> exit 0 if running there
    DUMMY_STATE_DIR="$WORK/node$1/rsc" "$ROOT/resource.d/Dummy" "$2" status 2>/dev/null | grep -q ": running"
}
wait_state() {  # wait_state NODE INSTANCE yes|no TIMEOUT_MS LABEL -> prints ms
    local start; start=$(now_ms)
    while true; do
        if running_on "$1" "$2"; then [ "$3" = yes ] && break; else [ "$3" = no ] && break; fi
        if [ $(( $(now_ms) - start )) -ge "$4" ]; then
            log "$5: node$1 $2 running=$3 not reached in $4 ms"
            for n in 1 2; do echo "      --- node$n"; tail -15 "$WORK/node$n/ha-log" | sed 's/^/      /'; done
            return 1
        fi
        sleep 0.02
    done
    echo $(( $(now_ms) - start ))
}
mark_killed() { for inst in web db; do echo "$(date +%s%N) node$1 $inst killed -" >> "$LOG"; done; rm -f "$WORK/node$1/rsc/"Dummy-*; }
boot() {
    if [ "$1" = 1 ]; then NODE_ENV="DUMMY_STATE_DIR=$WORK/node1/rsc DUMMY_LOG=$LOG" start_ours 1
    else NODE_ENV="DUMMY_STATE_DIR=$WORK/node2/rsc DUMMY_LOG=$LOG" start_306 2; fi
}
standby_on() {  # standby_on NODE: the node's own hb_standby all
    if [ "$1" = 1 ]; then
        HA_CONFIG_DIR=$ROOT/ha.d HA_FIFO=$WORK/node1/state/fifo HA_PIDFILE=$WORK/node1/run/heartbeat.pid "$ROOT/tools/hb_standby" all >/dev/null 2>&1
    else
        in_306 2 /usr/share/heartbeat/hb_standby all >/dev/null 2>&1
    fi
}
for mode in ${MODES:-on off}; do
    rm -rf "$WORK/node1" "$WORK/node2"; : > "$LOG"
    for i in 1 2; do
        write_config $i "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret"
        sed -i "s/^auto_failback .*/auto_failback $mode/" "$WORK/node$i/etc/ha.cf"
        printf 'node1 Dummy::web\nnode2 Dummy::db\n' > "$WORK/node$i/etc/haresources"
        ln -sfn "$ROOT/resource.d" "$WORK/node$i/etc/resource.d"
        mkdir -p "$WORK/node$i/rsc"
    done
    boot 1; boot 2
    t=$(wait_state 1 web yes 20000 "$mode boot") || fail "$mode: ours did not start web"
    t2=$(wait_state 2 db yes 20000 "$mode boot") || fail "$mode: 3.0.6 did not start db"
    log "$mode: pair boot -> web on ours ${t} ms, db on 3.0.6 ${t2} ms"
    sleep 6
    # kill -9 the 3.0.6 node: ours takes db.
    kill_node 2; mark_killed 2
    t=$(wait_state 1 db yes 8000 "$mode takeover") || fail "$mode: ours did not take db from the dead 3.0.6 node"
    log "$mode: kill -9 3.0.6 -> db on ours ${t} ms"
    boot 2
    if [ $mode = on ]; then
        t=$(wait_state 2 db yes 30000 "$mode failback") || fail "on: db did not fail back to 3.0.6"
        wait_state 1 db no 5000 "$mode failback" >/dev/null || fail "on: ours kept db after failback"
        log "on: 3.0.6 back -> db failed back ${t} ms"
    else
        sleep 8
        running_on 1 db || fail "off: db left ours although auto_failback is off"
        ! running_on 2 db || fail "off: 3.0.6 started db although ours holds it"
    fi
    sleep 3
    # hb_standby on ours: 3.0.6 takes what ours holds.
    standby_on 1
    t=$(wait_state 2 web yes 30000 "$mode standby ours") || fail "$mode: 3.0.6 did not take web on our hb_standby"
    wait_state 1 web no 5000 "$mode standby ours" >/dev/null || fail "$mode: ours kept web after hb_standby"
    log "$mode: hb_standby on ours -> web on 3.0.6 ${t} ms"
    sleep 3
    # hb_standby on 3.0.6: ours takes everything. 3.0.6's own FIFO reader now and then reads an
    # empty message from its hb_standby (it logs "msg2string: Message with zero fields" and drops
    # it); then its request never happened, so ask once more.
    before=$(grep -c "node2 wants to go standby" "$WORK/node2/ha-log")
    standby_on 2
    sleep 2
    if [ "$(grep -c "node2 wants to go standby" "$WORK/node2/ha-log")" = "$before" ]; then
        log "$mode: 3.0.6 lost its own hb_standby request ($(grep -c "zero fields" "$WORK/node2/ha-log") empty FIFO reads); asking again"
        standby_on 2
    fi
    t=$(wait_state 1 web yes 30000 "$mode standby 3.0.6") || fail "$mode: ours did not take web on 3.0.6's hb_standby"
    wait_state 1 db yes 30000 "$mode standby 3.0.6" >/dev/null || fail "$mode: ours did not take db on 3.0.6's hb_standby"
    wait_state 2 db no 5000 "$mode standby 3.0.6" >/dev/null || fail "$mode: 3.0.6 kept db after its hb_standby"
    log "$mode: hb_standby on 3.0.6 -> all on ours ${t} ms"
    sleep 2
    if [ $mode = on ]; then
        # Orderly stops both ways: `shutdone` moves the groups at once; the stopped node is declared
        # dead only after its last heartbeat, as one that "gave up resources" (no STONITH warning).
        stopped_cleanly() {  # stopped_cleanly OBSERVER STOPPED_NODE LOG_MARK: waits for "is dead" past the mark
            local deadline=$(( $(now_ms) + 6000 ))
            until tail -n +"$3" "$WORK/node$1/ha-log" | grep -q "node node$2: is dead"; do
                [ "$(now_ms)" -lt $deadline ] || fail "node$1 never declared the stopped node$2 dead"
                sleep 0.05
            done
            tail -n +"$3" "$WORK/node$1/ha-log" > "$WORK/stop.log"
            grep -q "Received shutdown notice from 'node$2'" "$WORK/stop.log" || fail "node$1 did not get node$2's shutdown notice"
            grep -q "Dead node node$2 gave up resources" "$WORK/stop.log" || fail "node$1 did not note that node$2 gave up its resources"
            ! grep -q "No STONITH device configured" "$WORK/stop.log" || fail "node$1 wanted STONITH for node$2, which stopped cleanly"
        }
        mark=$(( $(wc -l < "$WORK/node2/ha-log") + 1 ))
        ctl_ours() { HA_CONFIG_DIR=$WORK/node1/etc HA_STATE_DIR=$WORK/node1/state HA_RUN_DIR=$WORK/node1/run HA_NODE_NAME=node1 "$BIN/heartbeat" "$@"; }
        ctl_ours -k || fail "on: heartbeat -k on ours failed"
        t=$(wait_state 2 web yes 5000 "on: ours stopped") || fail "on: 3.0.6 did not take web when ours stopped"
        wait_state 2 db yes 5000 "on: ours stopped" >/dev/null || fail "on: 3.0.6 did not take db when ours stopped"
        stopped_cleanly 2 1 "$mark"
        log "on: ours stopped (-k) -> all on 3.0.6 ${t} ms, no STONITH wanted"
        boot 1
        wait_state 1 web yes 30000 "on: ours back" >/dev/null || fail "on: web did not fail back to ours"
        sleep 2
        mark=$(( $(wc -l < "$WORK/node1/ha-log") + 1 ))
        # (3.0.6 -k exits non-zero here, having waited for the daemon; what follows checks the stop.)
        in_306 2 /usr/libexec/heartbeat/heartbeat -k >/dev/null 2>&1 || true
        t=$(wait_state 1 db yes 5000 "on: 3.0.6 stopped") || fail "on: ours did not take db when 3.0.6 stopped"
        stopped_cleanly 1 2 "$mark"
        log "on: 3.0.6 stopped (-k) -> db on ours ${t} ms, no STONITH wanted"
        boot 2
        wait_state 2 db yes 30000 "on: 3.0.6 back" >/dev/null || fail "on: db did not fail back to 3.0.6"
        sleep 2
    fi
    # kill -9 ours: 3.0.6 takes everything.
    kill_node 1; mark_killed 1
    t=$(wait_state 2 web yes 10000 "$mode takeover by 3.0.6") || fail "$mode: 3.0.6 did not take web from dead ours"
    wait_state 2 db yes 10000 "$mode takeover by 3.0.6" >/dev/null || fail "$mode: 3.0.6 did not take db from dead ours"
    log "$mode: kill -9 ours -> all on 3.0.6 ${t} ms"
    bad=$(grep -E "Both machines own|No one owns" "$WORK/node2/ha-log" || true)
    [ -z "$bad" ] || fail "$mode: 3.0.6 audit errors: $bad"
    kill_node 2
    python3 "$(dirname "$0")/never_two_owners.py" "$LOG" || fail "$mode: a group ran on two nodes at once (see $LOG)"
done
log "mixed cluster: on and off modes behaved as 3.0.6 expects, no audit errors, never two owners"
