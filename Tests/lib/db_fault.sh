#!/usr/bin/env bash
# db_fault.sh FAULT MODE RESULTS [KEY=VALUE...]: one fault on a fresh two-machine MariaDB cluster
# (issue #18). Appends the run's figures to RESULTS as one JSON line (Tests/lib/db_report.py
# measure, with the KEY=VALUE pairs) and exits 0 when the run kept FAULT's promise (below), 1 with
# the reasons printed when not, 77 when a package is missing and SKIP_MISSING=1. Every namespace,
# machine, mount, loop device and process it made is gone when it exits, also on failure or
# Ctrl-C. Its first line names its namespace prefix and work directory, so that the caller can
# check that (Tests/lib/db_suite.sh).
#
# The cluster: machines node1 (preferred owner) and node2 (Tests/lib/machines.sh) with heartbeats
# on eth0 and eth1, the shared disk, the group floating address 10.77.0.100 + Filesystem + MariaDB
# (MODE ocf: resource-agents' mysql agent through our OCF wrapper; lsb: an init script; see
# Tests/lib/db.sh) with its monitors, STONITH through the test power switch, the writer
# (Tests/db/writer.py) on a third plain host, the disk watch throughout. FAULT:
#   standby    hb_standby on node1: planned switchover to node2
#   kill       kill -9 of node1's heartbeat only (mysqld and the mount live on): node2 powers
#              node1 off before it mounts the disk
#   poweroff   node1's plug pulled
#   cut        every link between the nodes cut, both alive (the client still reaches both):
#              node1 runs the group, so it fences node2 first; node2 holds nothing
#   mysqld     mysqld killed on node1: the monitor restarts it there, nobody is fenced
#   fencefail  kill, with a power switch that refuses its first two requests
#   nofence    kill without STONITH: node2 mounts the disk while node1's mysqld still runs; the
#              disk watch must catch that double mount (the proof that fencing matters) and
#              `hbctl check` must warn about the configuration
# Every fault but nofence: no acknowledged write lost or duplicated, never two mounts or two
# mysqld, InnoDB started cleanly, and `hbctl check` has no fencing warning.
# DB_TIMEOUT_S (90): the longest wait for the cluster to serve, and again for it to recover.
set -u
FAULT=$1 MODE=$2 RESULTS=$3
shift 3
PREFIX=hdb$$
WORK=$(mktemp -d /tmp/hb-db.XXXXXX)
LIB=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=Tests/lib/nodes.sh
source "$LIB/nodes.sh"
# shellcheck source=Tests/lib/machines.sh
source "$LIB/machines.sh"
# shellcheck source=Tests/lib/db.sh
source "$LIB/db.sh"
# shellcheck source=Tests/lib/db_cluster.sh
source "$LIB/db_cluster.sh"
echo "db_fault: prefix $PREFIX work $WORK"
trap cleanup EXIT
trap 'exit 130' INT TERM

TIMEOUT_MS=$(( ${DB_TIMEOUT_S:-90} * 1000 ))
case $FAULT in
    standby|kill|poweroff|cut|mysqld|fencefail|nofence) ;;
    *) fail "unknown fault '$FAULT' (standby kill poweroff cut mysqld fencefail nofence)" ;;
esac

db_cluster "$MODE" "$([ "$FAULT" != nofence ] || echo nofence)"
check_warns=0
db_check_warns && check_warns=1
# shellcheck disable=SC2119 # the writer's defaults
start_writer > "$WORK/writer.out" 2>&1
db_serving "$TIMEOUT_MS"

fault_ms=$(now_ms)
case $FAULT in
    standby) standby_on 1 >/dev/null 2>&1 || fail "hb_standby on node1 failed" ;;
    kill|nofence) kill_node 1 ;;
    fencefail) pdu_fail_next 2; fault_ms=$(now_ms); kill_node 1 ;;
    poweroff) power_off 1 ;;
    cut) cut_links ;;
    mysqld)
        killed=$(mysqld_pid 1) || fail "no mysqld on node1 to kill"
        kill -9 "$killed" ;;
esac

# recovered: the state FAULT leads to has been reached.
recovered() {
    case $FAULT in
        standby|kill|poweroff|fencefail) holds 2 ;;
        # Without fencing node2 mounts beside node1; its mysqld may or may not get InnoDB's locks.
        nofence) tail -1 "$WORK/disk_watch.log" 2>/dev/null | grep -q "node2=1," ;;
        cut) [ "$(pdu_log_count reset node2 ok)" -ge 1 ] && holds 1 ;;
        mysqld) local p; p=$(mysqld_pid 1) && [ "$p" != "$killed" ] && holds 1 ;;
    esac
}
wait_until "$TIMEOUT_MS" recovered >/dev/null || log "not recovered within $TIMEOUT_MS ms of the $FAULT"
recovered_ms=$(now_ms)
if [ "$FAULT" = nofence ]; then sleep 1
else wait_until 20000 at_least 100 acks_after "$recovered_ms" >/dev/null || log "the writer did not write again after the $FAULT"; fi
stop_writer
watch_report=0
disk_watch_report > "$WORK/watch.report" 2>&1 || watch_report=1
sed 's/^/    disk watch: /' "$WORK/watch.report"

owner=1
case $FAULT in standby|kill|poweroff|fencefail|nofence) owner=2 ;; esac
verify={} innodb=clean
if [ "$FAULT" != nofence ]; then
    # Two mysqld on one ext4 may have destroyed it: only the fenced runs' data is checked.
    verify=$(verify_writes) || log "the writer's check failed: $verify"
    [ -n "$verify" ] || verify={}
    innodb_clean "$owner" || innodb=bad
fi
alive1=0 alive2=0
daemon_alive 1 && alive1=1
daemon_alive 2 && alive2=1

python3 "$LIB/db_report.py" measure --fault-ms "$fault_ms" --acks "$DB_ACKS" --watch "$WORK/disk_watch.log" \
    --pdu "$WORK/pdu.log" --logs "$WORK/node1/ha-log,$WORK/node2/ha-log" --verify "$verify" fault="$FAULT" mode="$MODE" peer=node2 \
    innodb="$innodb" watch_report="$watch_report" check_warns="$check_warns" alive1="$alive1" alive2="$alive2" \
    deadtime_ms="$(( ${DEADTIME:-1} * 1000 ))" "$@" > "$WORK/result.json" || fail "no figures: $(cat "$WORK/result.json")"
cat "$WORK/result.json" >> "$RESULTS"
python3 "$LIB/db_report.py" check < "$WORK/result.json" || fail "the $FAULT run ($MODE) broke its promise"
