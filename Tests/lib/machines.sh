# shellcheck shell=bash
# Nodes that behave like machines (issue #18): "the machine died" means every process of it is
# gone and its mounts with it. Sourced after Tests/lib/nodes.sh, which it extends.
#
# Machine I = node I's network namespace ${PREFIX}-I (Tests/lib/netns.sh) plus its own mount, PID
# and UTS namespaces, held by a small init (PID 1 of the PID namespace, hostname = node_name I).
# Inside, /run, /tmp, /var/lib/mysql and /var/log/mysql are private tmpfs (so MariaDB on one
# machine never sees another's files, nor the host's), and $WORK is still there (start_ours keeps
# HA_RUN_DIR etc. under it). Mounts are private: one made inside is seen by nobody else.
#
# The pieces (all in Tests/lib):
#   machines.sh        machines, power, the shared disk, the power switch and disk watch helpers
#   pdu.py             the power switch: serves $WORK/pdu.sock, runs power_off/power_on below
#   stonith/nspower    the STONITH external plugin asking it (ha.cf: the line fence_line prints)
#   disk_watch.py      the sampler: where the shared disk is mounted and mysqld runs, every 20 ms
#
# A test uses them so (every exit path cleans up: machines off, disk detached, checked):
#   source "$(dirname "$0")/lib.sh"; source "$ROOT/Tests/lib/machines.sh"
#   make_machines 2 2 3                        # machines 1-2 on eth0+eth1, plain host 3 (a client)
#   make_shared_disk                           # SHARED_DISK=/dev/loopN, ext4
#   start_pdu; start_disk_watch
#   for i in 1 2; do write_config "$i" "$MEDIA" "sha1 s" "$(fence_line)"; use_dummy "$i" "$RES"; done
#   start_ours 1; start_ours 2                 # each daemon inside its machine
#   on_machine 1 findmnt /var/lib/mysql        # any command inside a machine
#   pdu_fail_next 2; power_off 1               # the next 2 PDU requests fail; pull node1's plug
#   cut_cables 2; mend_cables 2                # node2's cables out at the switch (kept across reboots)
#   [ "$(pdu_log_count reset node1 ok)" = 1 ] || fail "node1 was not reset once"
#   disk_watch_report || fail "the disk was mounted on two machines at once"
#   power_on 1                                 # boots with nothing running
#
# A machine's files in $WORK/nodeI: machine.pid (its init's host PID), machine.ns (the inode
# numbers of its PID and mount namespaces), machine.addrs (its network namespace's addresses at
# its first boot: power_off drops every other one), machine.out (the init's output).

MACHINE_MAX=${MACHINE_MAX:-3600}   # seconds after which a forgotten machine powers itself off

# The init: hostname, private mounts, then it reaps orphans (a PID 1 must) until killed. Paths
# under /tmp that must stay visible ($WORK, the binaries) are bound back over the private /tmp.
# shellcheck disable=SC2016 # expanded by the init's own shell
MACHINE_INIT='
name=$1 ready=$2 max=$3; shift 3
set -e
hostname "$name"
# Mounts of loop devices on the host at this moment (a test preparing its disk there) were copied
# into this namespace, and would keep those disks busy as long as the machine runs: not its own.
awk "\$3 ~ /^7:/ { print \$5 }" /proc/self/mountinfo | sort -r | while read -r mnt; do
    umount -l "$(printf "%b" "$mnt")" || true
done
keep=(); fds=()
for path in "$@"; do
    case $path in /tmp/*) exec {fd}<"$path"; keep+=("$path"); fds+=("$fd") ;; esac
done
mount -t tmpfs -o mode=755 machine-run /run
mount -t tmpfs -o mode=1777 machine-tmp /tmp
mkdir -p /var/log/mysql
mount -t tmpfs -o mode=755 machine-mysql /var/lib/mysql
mount -t tmpfs -o mode=755 machine-mysql-log /var/log/mysql
mkdir -p /run/mysqld /run/lock /run/resource-agents
if id mysql >/dev/null 2>&1; then chown mysql: /run/mysqld /var/lib/mysql /var/log/mysql; fi
for n in "${!keep[@]}"; do
    mkdir -p "${keep[$n]}"
    fd=${fds[$n]}
    mount --no-canonicalize --bind "/proc/self/fd/$fd" "${keep[$n]}"
    exec {fd}<&-
done
set +e
: > "$ready"
sleep "$max" & wait $!
'

# make_machines MACHINES [MEDIA] [HOSTS]: HOSTS (MACHINES) namespaces on eth0, eth1 too on the
# machines when MEDIA is 2, and machines booted on 1..MACHINES; hosts above that stay plain
# namespaces (clients, with ip netns exec).
make_machines() {
    local machines=$1 i
    make_namespaces "${3:-$1}"
    [ "${2:-1}" != 2 ] || add_second_medium "$machines"
    for i in $(seq 1 "$machines"); do boot_machine "$i"; done
}

# machine_links I: the links of machine I's network namespace, lo first.
machine_links() { ip -n "${PREFIX}-$1" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'; }

# boot_machine I: a fresh init in ${PREFIX}-I with new mount, PID and UTS namespaces; links up.
boot_machine() {
    local i=$1 dir=$WORK/node$1 ns=${PREFIX}-$1 name link launcher init
    name=$(node_name "$i")
    mkdir -p "$dir"
    [ -f "$dir/machine.addrs" ] || machine_addrs "$i" > "$dir/machine.addrs"
    for link in $(machine_links "$i"); do ip -n "$ns" link set "$link" up; done
    rm -f "$dir/machine.ready"
    ip netns exec "$ns" unshare --mount --uts --pid --fork --mount-proc --propagation private \
        bash -c "$MACHINE_INIT" machine-init "$name" "$dir/machine.ready" "$MACHINE_MAX" \
        "$WORK" "$ROOT" "$BIN" >"$dir/machine.out" 2>&1 &
    launcher=$!
    track "$launcher"; disown "$launcher"
    wait_until 10000 test -e "$dir/machine.ready" >/dev/null \
        || { log "machine $i did not boot: $(tail -3 "$dir/machine.out")"; return 1; }
    init=$(child_pids "$launcher" | head -1)
    # Each file whole or not at all: the disk watch reads them while the switch reboots a machine.
    echo "$(ns_inode "$init" pid) $(ns_inode "$init" mnt)" > "$dir/machine.ns.new"
    echo "$init" > "$dir/machine.pid.new"
    mv "$dir/machine.ns.new" "$dir/machine.ns"; mv "$dir/machine.pid.new" "$dir/machine.pid"
}

# ns_inode PID TYPE: the inode number of PID's TYPE namespace (pid, mnt, ...).
ns_inode() { local link; link=$(readlink "/proc/$1/ns/$2") || return 1; link=${link#*[}; echo "${link%]}"; }

# machine_addrs I: "DEV ADDRESS/PREFIX" of every address of node I's namespace but link-local ones.
machine_addrs() { ip -n "${PREFIX}-$1" -o addr show | awk '!/ scope link/ { print $2, $4 }' | sort; }

# machine_is_on I: machine I's init runs (the same one: its PID namespace is the recorded one).
machine_is_on() {
    local dir=$WORK/node$1 init pidns _
    [ -f "$dir/machine.pid" ] || return 1
    init=$(cat "$dir/machine.pid"); read -r pidns _ < "$dir/machine.ns"
    ! gone "$init" && [ "$(ns_inode "$init" pid 2>/dev/null)" = "$pidns" ]
}

# on_machine I CMD...: CMD inside machine I (its network, mount, PID and UTS namespaces), with
# this shell's environment (or `env NAME=value CMD`); its exit code is CMD's.
on_machine() {
    local i=$1; shift
    machine_is_on "$i" || { log "machine $i is off" >&2; return 1; }
    nsenter --target "$(cat "$WORK/node$i/machine.pid")" --net --mount --pid --uts -- "$@"
}

# spawn_on_machine I OUT CMD...: CMD in the background inside machine I, output to OUT; sets
# SPAWNED to its host PID (the child nsenter forks into the PID namespace; nsenter itself waits on
# the host side, tracked for cleanup).
spawn_on_machine() {
    local i=$1 out=$2 init pidns enter child; shift 2
    machine_is_on "$i" || { log "machine $i is off" >&2; return 1; }
    init=$(cat "$WORK/node$i/machine.pid"); read -r pidns _ < "$WORK/node$i/machine.ns"
    nsenter --target "$init" --net --mount --pid --uts -- "$@" >>"$out" 2>&1 &
    enter=$!
    track "$enter"; disown "$enter"
    # Bounded: nsenter forks at once; a command that ended already leaves nsenter's PID (gone).
    for _ in $(seq 500); do
        child=$(child_pids "$enter" | head -1)
        [ -z "$child" ] || [ "$(ns_inode "$child" pid 2>/dev/null)" = "$pidns" ] || child=
        if [ -n "$child" ] || gone "$enter"; then break; fi
        sleep 0.01
    done
    SPAWNED=${child:-$enter}
    track "$SPAWNED"
}

# machine_processes PIDNS MNTNS: the processes in either namespace (inode numbers; only while the
# machine runs: the kernel gives a freed namespace's number to the next new one).
machine_processes() {
    find /proc/[0-9]*/ns/pid /proc/[0-9]*/ns/mnt -maxdepth 0 \
        \( -lname "pid:\\[$1\\]" -o -lname "mnt:\\[$2\\]" \) 2>/dev/null | cut -d/ -f3 | sort -u
}

# power_off I: what pulling the plug does. kill -9 of the init (the kernel ends every process of
# its PID namespace, and its mounts go with the mount namespace), the links down, and every
# address added since the first boot (a floating address) dropped, so that nothing answers ARP
# for it. Returns once every process of the machine is gone, its exit included (1 after 30 s): a
# process leaves its namespaces early in its exit, and may then still be unmounting the
# machine's filesystems. A filesystem it had mounted is then mounted nowhere, though the kernel
# may hold it a moment longer to end the IO a killed process left in flight (MariaDB's io_uring).
power_off() {
    local i=$1 dir=$WORK/node$1 ns=${PREFIX}-$1 init pidns mntns processes="" link dev addr
    [ -f "$dir/machine.pid" ] || { log "node$i is no machine"; return 1; }
    if machine_is_on "$i"; then
        init=$(cat "$dir/machine.pid"); read -r pidns mntns < "$dir/machine.ns"
        processes="$init $(machine_processes "$pidns" "$mntns")"
        kill -9 "$init"
    fi
    for link in $(machine_links "$i"); do ip -n "$ns" link set "$link" down; done
    while read -r dev addr; do
        ip -n "$ns" addr del "$addr" dev "$dev"
    done < <(comm -13 "$dir/machine.addrs" <(machine_addrs "$i"))
    # shellcheck disable=SC2086 # a list of PIDs
    wait_until 30000 gone $processes >/dev/null || { log "machine $i: processes outlive its power-off"; return 1; }
}

# power_on I: links up and a fresh boot; nothing else starts (heartbeat is not started at boot).
power_on() { machine_is_on "$1" || boot_machine "$1"; }

# cut_cables I / mend_cables I: unplug (plug back) node I's cables at the switch: its ports on
# the bridges of Tests/lib/netns.sh go down (node I sees no carrier). Unlike its own links, which a
# power cycle brings up again, a cut made there outlives a reboot, as a pulled cable does.
cut_cables() { switch_ports "$1" down; }
mend_cables() { switch_ports "$1" up; }
switch_ports() {
    local port
    for port in "p$1" "q$1"; do
        ! ip -n "${PREFIX}-br" link show "$port" >/dev/null 2>&1 || ip -n "${PREFIX}-br" link set "$port" "$2"
    done
}

# The machines booted so far: their numbers.
machine_numbers() {
    local f
    for f in "$WORK"/node*/machine.pid; do [ -f "$f" ] || continue; f=${f%/machine.pid}; echo "${f##*/node}"; done
}

# make_shared_disk [SIZE_MB]: the "SAN": a file in $WORK on a loop device, ext4; exports
# SHARED_DISK=/dev/loopN. Cleanup detaches it and checks it is gone.
make_shared_disk() {
    SHARED_DISK_FILE=$WORK/shared-disk.img
    truncate -s "${1:-256}M" "$SHARED_DISK_FILE"
    SHARED_DISK=$(losetup --find --show "$SHARED_DISK_FILE") || fail "no loop device for $SHARED_DISK_FILE"
    export SHARED_DISK
    mkfs.ext4 -q "$SHARED_DISK" || fail "mkfs.ext4 $SHARED_DISK failed"
}

# disk_id DEVICE: its major:minor, as /proc/PID/mountinfo shows a filesystem on it.
disk_id() { echo "$(( 16#$(stat -c %t "$1") )):$(( 16#$(stat -c %T "$1") ))"; }

# host_mounts_of DEVICE: where DEVICE is mounted in this mount namespace, innermost last.
host_mounts_of() { awk -v id="$(disk_id "$1")" '$3 == id { print $5 }' /proc/self/mountinfo; }

# loop_left FILE: the loop devices still backed by FILE (none once it is detached).
loop_left() { losetup -n -O NAME -j "$1" 2>/dev/null; }

# machines_cleanup: nodes.sh's cleanup hook. Every machine off, the shared disk unmounted on the
# host and detached; returns 1 (naming it) when anything is left.
machines_cleanup() {
    local i mnt status=0
    for i in $(machine_numbers); do power_off "$i" || status=1; done
    if [ -n "${SHARED_DISK_FILE:-}" ] && [ -n "$(loop_left "$SHARED_DISK_FILE")" ]; then
        for mnt in $(host_mounts_of "$SHARED_DISK" | tac); do umount "$mnt"; done
        losetup -d "$SHARED_DISK"
        # A detach waits for the last user of the device to let go (the kernel clears it then;
        # see power_off for a filesystem held after its machine is off).
        wait_until 60000 prints "" loop_left "$SHARED_DISK_FILE" >/dev/null \
            || { log "FAIL: $SHARED_DISK still backed by $SHARED_DISK_FILE after cleanup"; status=1; }
    fi
    return "$status"
}
CLEANUP_HOOKS+=(machines_cleanup)

# The power switch (Tests/lib/pdu.py) and its STONITH plugin (Tests/lib/stonith/nspower).
# start_pdu: the switch serving $WORK/pdu.sock; it logs each request to $WORK/pdu.log.
start_pdu() {
    (export PREFIX WORK HB_BIN=$BIN; exec /usr/bin/python3 "$ROOT/Tests/lib/pdu.py" --work "$WORK" --owner $$) \
        >>"$WORK/pdu.out" 2>&1 &
    track $!; disown $!
    wait_until 10000 test -S "$WORK/pdu.sock" >/dev/null || fail "the power switch did not start: $(tail -3 "$WORK/pdu.out")"
}

# fence_line: the ha.cf line (write_config's EXTRA) that fences through the switch. It also points
# the daemon of every machine booted so far at the plugin (HA_STONITH_PLUGIN_DIR in nodeI/env:
# call it after anything that rewrites that file, such as use_http_service).
fence_line() {
    local i
    for i in $(machine_numbers); do
        grep -qs "^HA_STONITH_PLUGIN_DIR=" "$WORK/node$i/env" \
            || echo "HA_STONITH_PLUGIN_DIR=$ROOT/Tests/lib/stonith" >> "$WORK/node$i/env"
    done
    echo "stonith_host * external/nspower pdu=$WORK/pdu.sock"
}

# pdu_fail_next N: the switch's next N requests fail (a broken switch).
pdu_fail_next() { echo "$1" > "$WORK/pdu.fail_next"; }

# pdu_log_count ACTION TARGET [ok|failed]: how many such requests the switch answered.
pdu_log_count() {
    awk -v a="$1" -v t="$2" -v r="${3:-}" '$3 == a && $4 == t && (r == "" || $5 == r)' "$WORK/pdu.log" 2>/dev/null | wc -l
}

# The checker of the disk (Tests/lib/disk_watch.py), bounded by DISK_WATCH_MAX seconds (900).
# start_disk_watch: sample every 20 ms where SHARED_DISK is mounted and mysqld runs.
start_disk_watch() {
    [ -n "${SHARED_DISK:-}" ] || fail "start_disk_watch: no shared disk (make_shared_disk first)"
    rm -f "$WORK/disk_watch.log"
    /usr/bin/python3 "$ROOT/Tests/lib/disk_watch.py" watch --work "$WORK" --disk "$SHARED_DISK" \
        --max "${DISK_WATCH_MAX:-900}" --owner $$ >>"$WORK/disk_watch.out" 2>&1 &
    DISK_WATCH_PID=$!
    track $!; disown $!
    wait_until 10000 test -s "$WORK/disk_watch.log" >/dev/null || fail "the disk watch did not start: $(tail -3 "$WORK/disk_watch.out")"
}

# disk_watch_report: stops the watch and prints "double mount: N moments, double mysqld: N
# moments" with the times of each; returns 1 when there was one.
disk_watch_report() {
    [ -n "${DISK_WATCH_PID:-}" ] || { log "disk_watch_report: no disk watch runs"; return 1; }
    kill -TERM "$DISK_WATCH_PID"
    wait_until 5000 gone "$DISK_WATCH_PID" >/dev/null || { log "the disk watch did not stop"; return 1; }
    DISK_WATCH_PID=
    /usr/bin/python3 "$ROOT/Tests/lib/disk_watch.py" report "$WORK/disk_watch.log"
}
