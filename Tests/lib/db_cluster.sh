# shellcheck shell=bash
# The MariaDB cluster of issue #18, as Tests/lib/db_fault.sh (the suite and the bench) and
# demo/demo-db.sh build it; sourced after Tests/lib/nodes.sh, machines.sh and db.sh.
# Hosts 1-3 on eth0 (10.77.0.i): machines node1 (the group's preferred owner) and node2, and the
# client, a plain host; eth1 (10.78.0.i) joins the two machines only. Heartbeats on both links,
# the shared disk, the group floating address + Filesystem + MariaDB (Tests/lib/db.sh) with its
# monitors, STONITH through the test power switch (Tests/lib/machines.sh), the disk watch.

DB_CLIENT=3
DB_ACKS=$WORK/acks

# db_cluster MODE [nofence]: the machines, the disk with a fresh datadir, both nodes' files, the
# disk watch, and heartbeat started on both (nofence: no STONITH device).
db_cluster() {
    local mode=$1 stonith="" i
    make_machines 2 2 3
    make_shared_disk
    prepare_db_disk
    if [ "${2:-}" != nofence ]; then start_pdu; stonith=$(fence_line); fi
    for i in 1 2; do
        write_config "$i" "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2\nucast eth1 10.78.0.1\nucast eth1 10.78.0.2" \
            "sha1 db-secret" "$stonith"
        use_db "$i" "$mode"
        write_monitors "$i" "$(db_monitors)"
    done
    start_disk_watch
    start_ours 1; start_ours 2
}

# db_check_warns: whether `hbctl check` of node1's files warns that a group mounts the shared
# disk while no STONITH device is configured.
db_check_warns() {
    "$BIN/hbctl" check --config-dir "$WORK/node1/etc" --node-name node1 2>&1 \
        | grep -q "warning: .*mounted by a resource group and no STONITH device is configured"
}

# start_writer [ARGS...]: the writer on the client host, acknowledged ids in $DB_ACKS, until
# $WORK/stop-writer exists (and at most 15 minutes); its PID (of `timeout`, whose child it is)
# in WRITER_PID. Its output goes to stdout: the caller redirects it.
start_writer() {
    # shellcheck disable=SC2046 # a command's words
    timeout 900 ip netns exec "${PREFIX}-$DB_CLIENT" $(db_writer_command run) --out "$DB_ACKS" \
        --until-file "$WORK/stop-writer" "$@" &
    WRITER_PID=$!; track "$WRITER_PID"
}
# stop_writer: ask the writer to stop and wait for it (bounded).
stop_writer() {
    touch "$WORK/stop-writer"
    wait_until 10000 gone "$WRITER_PID" >/dev/null || { kill -9 "$WRITER_PID"; log "the writer did not stop"; }
}
# verify_writes: the writer's check of the table against its acknowledged ids (JSON; exit 1 on
# a lost write).
verify_writes() {
    # shellcheck disable=SC2046 # a command's words
    timeout 60 ip netns exec "${PREFIX}-$DB_CLIENT" $(db_writer_command verify) --out "$DB_ACKS"
}

# acks_after MS: acknowledged writes stamped after MS (ms since the epoch).
acks_after() { awk -v t="$1" '$1 == "ack" && $3 > t { n++ } END { print n + 0 }' "$DB_ACKS" 2>/dev/null; }
# holds I: machine I has the disk mounted and runs mysqld (the disk watch's last line).
holds() { tail -1 "$WORK/disk_watch.log" 2>/dev/null | grep -q "node$1=1,1"; }
# mysqld_pid I: the host PID of mysqld (mariadbd) in machine I's PID namespace, if it runs.
mysqld_pid() {
    local ns p
    ns=$(readlink "/proc/$(cat "$WORK/node$1/machine.pid")/ns/pid") || return 1
    for p in /proc/[0-9]*; do
        case $(cat "$p/comm" 2>/dev/null) in mariadbd|mysqld) ;; *) continue ;; esac
        [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && { echo "${p#/proc/}"; return 0; }
    done
    return 1
}
# daemon_alive I: nodeI's heartbeat runs.
daemon_alive() { ! gone "$(cat "$WORK/node$1/pid")"; }

# db_serving TIMEOUT_MS: node1 runs the group, the writer has written through the address, the
# resources settled and both nodes are past their startup deadtime.
db_serving() {
    wait_until "$1" holds 1 >/dev/null || fail "node1 never ran the database group"
    wait_until "$1" at_least 200 acks_after 0 >/dev/null || fail "the writer never wrote through $DB_ADDRESS"
    wait_until 30000 settled 1 2 >/dev/null || fail "the resources did not settle"
    past_startup 1 2
}

# standby_on I: hb_standby all, run inside machine I as an admin would there.
standby_on() {
    on_machine "$1" env HA_CONFIG_DIR="$ROOT/ha.d" HA_FIFO="$WORK/node$1/state/fifo" \
        HA_PIDFILE="$WORK/node$1/run/heartbeat.pid" "$ROOT/tools/hb_standby" all
}

# cut_links: the two nodes stop hearing each other on both links while the client reaches both.
# Each node's neighbour entry for the peer's addresses points at a MAC address nobody has (a
# route would not do: heartbeat's sockets are bound to their device, which bypasses it).
cut_links() {
    local a b dev net
    for a in 1 2; do
        b=$(( 3 - a ))
        for dev in eth0 eth1; do
            net=77; [ "$dev" = eth0 ] || net=78
            ip -n "${PREFIX}-$a" neigh replace "10.$net.0.$b" lladdr 02:00:00:00:de:ad nud permanent dev "$dev"
        done
    done
}
