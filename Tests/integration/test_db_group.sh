#!/usr/bin/env bash
# The database group on one machine (Tests/lib/machines.sh) under our heartbeat, both ways an admin
# runs MariaDB (Tests/lib/db.sh): resource-agents' ocf:heartbeat:mysql through OCF, and the LSB
# script mariadb-lsb. node2 is configured but never started, so node1 takes the group alone.
# For each MODE, on a fresh database:
#  1. hbctl check warns that the shared disk has no STONITH, on the Filesystem's haresources line,
#     and the daemon logs it at start;
#  2. the group starts: the floating address answers SQL from the client host, the disk is
#     mounted inside the machine only (not on the host), mariadbd runs in the machine;
#  3. mariadbd killed with SIGKILL: the monitor (db_monitors) restarts it in place, the rows stay;
#  4. SIGTERM to heartbeat: the group stops (mariadbd gone, disk unmounted, address removed);
#  5. InnoDB started cleanly (innodb_clean), the writer's rows are all there.
source "$(dirname "$0")/lib.sh"
source "$ROOT/Tests/lib/machines.sh"
source "$ROOT/Tests/lib/db.sh"
make_machines 1 1 2
make_shared_disk
CLIENT=${PREFIX}-2   # a plain host beside the machine

sql() {
    ip netns exec "$CLIENT" mariadb --no-defaults -h "$DB_ADDRESS" -u "$DB_USER" -p"$DB_PASSWORD" \
        --connect-timeout=2 -N -e "$1" "$DB_NAME" 2>/dev/null
}
# mounted_on_host: the shared disk is mounted in the host's mount namespace.
mounted_on_host() { grep -q "^$SHARED_DISK " /proc/self/mounts; }
mounted_in_machine() { on_machine 1 grep -q "^$SHARED_DISK /var/lib/mysql " /proc/self/mounts; }
mariadbd_in_machine() { on_machine 1 pgrep -x mariadbd >/dev/null; }
no_mariadbd_in_machine() { ! mariadbd_in_machine; }
address_up() { ip -n "${PREFIX}-1" -o addr show dev eth0 | grep -q " $DB_ADDRESS/24 "; }

for mode in ocf lsb; do
    log "== MODE $mode"
    prepare_db_disk
    rm -f "$WORK/node1/ha-log" "$WORK/node1/env"
    write_config 1 "bcast eth0" "sha1 secret"
    use_db 1 "$mode"
    write_monitors 1 "$(db_monitors)"

    log "1. hbctl check warns: shared disk without STONITH"
    out=$(on_machine 1 "$BIN/hbctl" check --config-dir "$WORK/node1/etc" --node-name node1 2>&1) || fail "hbctl check failed: $out"
    grep -q "^$WORK/node1/etc/haresources:1: warning: \[$SHARED_DISK\] is mounted by a resource group and no STONITH device" <<< "$out" \
        || fail "no shared-disk warning from hbctl check: $out"

    log "2. the group starts"
    start_ours 1
    # The start is over when the daemon says so (the agent may poll on after the server answers).
    wait_log 1 "Local Resource acquisition completed" 60000 >/dev/null || fail "the group did not start (mode $mode)"
    grep -q "Giving up resources" "$WORK/node1/ha-log" && fail "the group failed to start (mode $mode)"
    db_answers 1 || fail "the database does not answer in node1 (mode $mode)"
    wait_log 1 "no STONITH device is configured" 1000 >/dev/null || fail "the daemon did not log the shared-disk warning"
    address_up || fail "no floating address"
    mounted_in_machine || fail "the disk is not mounted in the machine"
    mounted_on_host && fail "the disk is mounted on the host: the machine's mounts leak"
    sql "INSERT INTO writes VALUES (1, @@hostname, NOW(6))" || fail "no insert through $DB_ADDRESS"
    [ "$(sql "SELECT node FROM writes WHERE id = 1")" = node1 ] || fail "the row was not written by node1"

    log "3. mariadbd killed: restarted in place"
    pid=$(on_machine 1 pgrep -x mariadbd) || fail "no mariadbd"
    on_machine 1 kill -9 "$pid"
    wait_until 5000 eval '! on_machine 1 kill -0 '"$pid"' 2>/dev/null' >/dev/null || fail "mariadbd survived SIGKILL"
    wait_log 1 "restarting it in place" 20000 >/dev/null || fail "the monitor did not restart the group"
    wait_until 60000 db_answers 1 >/dev/null || fail "the database did not come back"
    wait_until 60000 settled 1 >/dev/null || fail "the restart did not end"
    wait_until 10000 prints 1 sql "SELECT COUNT(*) FROM writes" >/dev/null || fail "the row is gone after the restart"
    sql "INSERT INTO writes VALUES (2, @@hostname, NOW(6))" || fail "no insert after the restart"

    log "4. heartbeat stops: the group is released"
    stop_node 1 150000
    no_mariadbd_in_machine || fail "mariadbd outlived the group"
    mounted_in_machine && fail "the disk is still mounted in the machine"
    address_up && fail "the floating address is still up"

    log "5. InnoDB clean"
    innodb_clean 1 || fail "InnoDB did not start cleanly (mode $mode)"
done
log "PASS"
