#!/usr/bin/env bash
# `make demo-db`: MariaDB on a shared disk, failed over with fencing (issue #18). Two machines of
# ours (each node in its own network, mount, PID and UTS namespaces), a loop device with ext4 as
# the shared disk, the group floating address + Filesystem + MariaDB (resource-agents' mysql agent
# through our OCF wrapper), STONITH through a test power switch, and a client on a third host that
# commits a numbered row every few ms through the floating address and prints its row count and
# the current write outage live. The demo kills heartbeat on the owner with kill -9 (mysqld and
# the mount live on: node2 must power node1 off before it mounts the disk), brings node1 back
# (the group returns to it), then stops the client and checks that every acknowledged row is in
# the table exactly once and that the disk was never mounted on two machines. Everything it
# made is removed on exit or Ctrl-C. DEMO_MODE=lsb runs MariaDB by an LSB init script instead.
set -u
[ "$(id -u)" = 0 ] || { echo "make demo-db needs root (namespaces, a loop device)"; exit 1; }
PREFIX=hbm$$ WORK=$(mktemp -d /tmp/hb-demo-db.XXXXXX)
LIB=$(cd "$(dirname "$0")/../Tests/lib" && pwd)
# shellcheck source=Tests/lib/nodes.sh
source "$LIB/nodes.sh"
# shellcheck source=Tests/lib/machines.sh
source "$LIB/machines.sh"
# shellcheck source=Tests/lib/db.sh
source "$LIB/db.sh"
# shellcheck source=Tests/lib/db_cluster.sh
source "$LIB/db_cluster.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM
MODE=${DEMO_MODE:-ocf}
T0=$(now_ms)
step() { printf '[%6d ms] %s\n' $(( $(now_ms) - T0 )) "$*"; }
die() { step "FAILED: $*"; exit 1; }
# The client's live line is redrawn in place; a step starts on a line of its own.
say() { printf '\r\033[K'; step "$@"; }

step "machines node1 and node2 (own network, mount, PID, UTS namespaces), client host 10.77.0.3; shared disk, fresh MariaDB datadir"
db_cluster "$MODE"
step "shared disk $SHARED_DISK; heartbeat started on both (keepalive 200ms, deadtime 1s, STONITH: $(fence_line | head -1))"
echo "  haresources: $(cat "$WORK/node1/etc/haresources")"
wait_until 90000 holds 1 >/dev/null || die "node1 never ran the database group"
step "node1 runs the group: $DB_ADDRESS, the disk mounted on /var/lib/mysql, mysqld"
echo
echo "  \$ hbctl status     (on node2)"
hbctl_on 2 status | sed 's/^/    /'
echo

step "client: a row every few ms through $DB_ADDRESS (autocommit; only acknowledged ids count)"
start_writer --live
wait_until 30000 at_least 200 acks_after 0 >/dev/null || die "the client never wrote through $DB_ADDRESS"
wait_until 30000 settled 1 2 >/dev/null || die "the resources did not settle"
past_startup 1 2
sleep 2

say "kill -9 heartbeat on node1 (the owner): mysqld and the mount stay; node2 must fence node1 before it mounts the disk"
killed=$(now_ms)
kill_node 1
wait_until 60000 holds 2 >/dev/null || die "node2 never took the group"
[ "$(pdu_log_count reset node1)" -ge 1 ] || die "node2 took the group without fencing node1"
say "node2: reset node1 through the power switch, mounted the disk, started mysqld ($(( $(now_ms) - killed )) ms after the kill)"
sleep 3

say "node1 powered on again (nothing runs on it); starting its heartbeat: auto_failback brings the group home"
returned=$(now_ms)
# Its run directory stands for /run, which a boot empties: the old pid file could name a process
# of the new machine (the new daemon itself, even) and stop heartbeat from starting.
rm -f "$WORK/node1/run/heartbeat.pid"
start_ours 1
wait_until 60000 holds 1 >/dev/null || die "the group did not return to node1"
say "node1 runs the group again"
sleep 3

stop_writer
printf '\n'
step "client stopped; checking every acknowledged row against the table"
verify=$(verify_writes) || die "the data check failed: $verify"
echo "  $verify"
innodb_clean 1 || die "InnoDB did not start cleanly on node1"
disk_watch_report | sed 's/^/  disk watch: /'
[ "${PIPESTATUS[0]}" = 0 ] || die "the disk was mounted on two machines at once"
echo
echo "Summary"
python3 - "$verify" "$killed" "$returned" <<'EOF'
import json, sys
v = json.loads(sys.argv[1])
killed, returned = int(sys.argv[2]), int(sys.argv[3])
print(f"  rows acknowledged: {v['acked']}, lost: {v['lost']}, duplicated: {v['duplicated']}, outcome unknown: {v['unknown']}")
for o in v["outages"]:
    when = "failback to node1" if o["from_ms"] >= returned else "kill -9 of the owner" if o["from_ms"] >= killed - 100 else "before the kill"
    print(f"  write outage, {when}: {o['ms']} ms")
EOF
echo "  logs: $WORK/node1/ha-log, $WORK/node2/ha-log, $WORK/pdu.log (removed on exit; KEEP_WORK=1 keeps them)"
step "cleaning up machines, disk, namespaces and processes"
