#!/usr/bin/env bash
# Nodes that behave like machines (Tests/lib/machines.sh, issue #18), checked from outside: this
# script runs itself twice (a full run, and one interrupted by SIGTERM while everything is up) and
# after each checks that nothing is left: no namespace, loop device, mount or process.
# Two machines fenced through the power switch (external/nspower), node1 preferred for the
# floating address 10.77.0.100, a plain host 3 as the client; the disk watch runs throughout.
#  1. hostnames; /run, /tmp, /var/lib/mysql private to each machine, $WORK seen by all; a mount
#     of the shared disk inside one machine is seen neither on the host nor on the other; a
#     machine booted while the host has it mounted keeps no copy of that mount.
#  2. our daemons inside the machines (start_ours): the PID recorded is the daemon's, in the
#     machine's PID namespace; node1 holds the address.
#  3. power_off node1 while the switch fails its next request: every process of node1 gone, its
#     links down, the address dropped (no ARP answer from node1's MAC), the disk free to mount
#     on node2; node2's first reset fails, the retry resets node1 (it boots with nothing
#     running), and only then does node2 take the address.
#  4. power_off and power_on by hand: a clean boot (nothing running, empty private
#     directories); the daemon started again takes the address back (auto_failback on).
#  5. the disk mounted and a "mysqld" running on node1, kill -9 of its heartbeat only: node2
#     resets node1 before it takes the address; the disk watch saw no double mount.
#  6. the plugin's other requests by hand, and a switch failing its next 2 requests; cables cut
#     at the switch stay cut across a reboot.
#  7. the disk watch catches a double mount and a double mysqld made on purpose.
source "$(dirname "$0")/lib.sh"
# shellcheck source=Tests/lib/machines.sh
source "$ROOT/Tests/lib/machines.sh"

# leftovers PREFIX WORK: what a run of this script left behind.
leftovers() {
    local pid
    ip netns list | awk '{print $1}' | grep "^$1-"
    losetup -l -n -O NAME,BACK-FILE | grep -F "$2/"
    grep -F "$2/" /proc/self/mountinfo
    for pid in /proc/[0-9]*; do
        { tr '\0' '\n' < "$pid/cmdline"; tr '\0' '\n' < "$pid/environ"; } 2>/dev/null | grep -qF "$2/" \
            && echo "process ${pid#/proc/}: $(tr '\0' ' ' < "$pid/cmdline" 2>/dev/null)"
    done
    [ ! -e "$2" ] || echo "work directory $2"
}

# run_inner MODE: this script as MODE (full, interrupted); prints its output, then checks it left nothing.
run_inner() {
    local out=$WORK/inner-$1.out inner prefix work
    MACHINES_TEST=$1 bash "$0" > "$out" 2>&1 &
    inner=$!
    if [ "$1" = interrupted ]; then
        wait_until 60000 grep -q "^all up" "$out" >/dev/null || { cat "$out"; fail "the run to interrupt did not come up"; }
        kill -TERM "$inner"
    fi
    wait "$inner"; status=$?
    sed -n 's/^/  /; /^  machines-test:/!p' "$out"
    read -r prefix work < <(sed -n 's/^machines-test: //p' "$out")
    [ -n "$work" ] || fail "the $1 run did not say where it worked"
    if [ "$1" = full ]; then [ "$status" = 0 ] || fail "the full run failed"; fi
    left=$(leftovers "$prefix" "$work")
    [ -z "$left" ] || fail "the $1 run (exit $status) left behind: $left"
    log "$1 run (exit $status): nothing left behind"
}

require "socat, for the STONITH plugin (apt-get install socat)" command -v socat
require "arping (apt-get install iputils-arping)" command -v arping

if [ -z "${MACHINES_TEST:-}" ]; then
    run_inner full
    run_inner interrupted
    exit 0
fi

echo "machines-test: $PREFIX $WORK"
export WORK
make_machines 2 2 3
make_shared_disk

if [ "$MACHINES_TEST" = interrupted ]; then
    on_machine 1 mount "$SHARED_DISK" /var/lib/mysql || fail "cannot mount the shared disk on node1"
    write_config 1 "ucast eth0 10.77.0.2" "sha1 secret"
    start_ours 1
    echo "all up"
    sleep 60 & wait $!
    fail "not interrupted"
fi

# 1. Hostnames, private directories, the shared disk's mount seen only where it was made.
start_pdu
start_disk_watch
for i in 1 2; do [ "$(on_machine "$i" hostname)" = "node$i" ] || fail "machine $i is not called node$i"; done
[ "$(hostname)" != node1 ] || fail "the host's name changed"
on_machine 1 sh -c 'touch /run/mysqld/m /var/lib/mysql/m /var/log/mysql/m /tmp/m' || fail "cannot write in machine 1's private directories"
for path in /run/mysqld/m /var/lib/mysql/m /var/log/mysql/m /tmp/m; do
    [ ! -e "$path" ] || fail "$path of machine 1 is seen on the host"
    ! on_machine 2 test -e "$path" || fail "$path of machine 1 is seen on machine 2"
done
on_machine 2 test -e "$WORK/node1/machine.pid" || fail "machine 2 does not see \$WORK"
if id mysql >/dev/null 2>&1; then
    [ "$(on_machine 1 stat -c %U /var/lib/mysql)" = mysql ] || fail "machine 1's /var/lib/mysql is not mysql's"
fi
# processes_on I: how many processes machine I sees (its init, and the commands of the count).
processes_on() { on_machine "$1" sh -c 'ls /proc | grep -c "^[0-9]"'; }
[ "$(processes_on 1)" -lt 6 ] || fail "machine 1 sees processes other than its own"
on_machine 1 mount "$SHARED_DISK" /var/lib/mysql || fail "cannot mount the shared disk on node1"
on_machine 1 sh -c 'echo written-on-node1 > /var/lib/mysql/proof' || fail "cannot write on the shared disk"
disk=$(disk_id "$SHARED_DISK")
[ -z "$(host_mounts_of "$SHARED_DISK")" ] || fail "node1's mount of the disk is seen on the host"
! on_machine 2 grep -q " $disk " /proc/self/mountinfo || fail "node1's mount of the disk is seen on node2"
# A machine booted while the host has the disk mounted (a test preparing it) keeps no copy.
mkdir -p "$WORK/host-mnt"
mount "$SHARED_DISK" "$WORK/host-mnt" || fail "cannot mount the shared disk on the host"
{ power_off 2 && power_on 2; } || fail "cannot power-cycle machine 2"
umount "$WORK/host-mnt"
! on_machine 2 grep -q " $disk " /proc/self/mountinfo || fail "machine 2 booted with a copy of the host's mount of the disk"
log "hostnames node1/node2; /run, /tmp, /var/lib/mysql, /var/log/mysql private; $SHARED_DISK mounted on node1 only, no copy of a host mount in a machine booted meanwhile"

# 2. Our daemons inside the machines.
for i in 1 2; do
    write_config "$i" "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret" "$(fence_line)"
    use_dummy "$i" "node1 IPaddr2::10.77.0.100/24/eth0"
    start_ours "$i"
done
# has_address I ADDRESS: ADDRESS is on node I's interfaces.
has_address() { ip -n "${PREFIX}-$1" -o addr show | grep -q " inet $2/"; }
lacks_address() { ! has_address "$@"; }
pid1=$(cat "$WORK/node1/pid")
read -r pidns1 _ < "$WORK/node1/machine.ns"
[ "$(ns_inode "$pid1" pid)" = "$pidns1" ] || fail "node1's recorded PID $pid1 is not in machine 1"
[ "$(cat "/proc/$pid1/comm")" = heartbeat ] || fail "node1's recorded PID $pid1 is not the daemon"
wait_until 15000 has_address 1 10.77.0.100 >/dev/null || fail "node1 did not take 10.77.0.100"
wait_until 10000 settled 1 2 >/dev/null || fail "the cluster did not settle"
grep -q "STONITH device: external/nspower" "$WORK/node2/ha-log" || fail "node2 did not report its STONITH device"
[ "$(pdu_log_count status -)" = 2 ] || fail "the daemons did not both check the switch at start: $(cat "$WORK/pdu.log")"
mac1=$(ip -n "${PREFIX}-1" -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
ip netns exec "${PREFIX}-3" arping -c 1 -w 2 -I eth0 10.77.0.100 | grep -qi "$mac1" || fail "node1 does not answer ARP for 10.77.0.100"
log "daemons run inside their machines (PID $pid1 in machine 1's PID namespace); node1 holds 10.77.0.100"

# 3. Pull node1's plug while the switch fails its next request: node2 cannot take over until its
#    retry (5 s later) has node1 reset.
past_startup 1 2
pdu_fail_next 1
off_ms=$(now_ms)
power_off 1 || fail "power_off 1 failed"
returned=$(( $(now_ms) - off_ms ))
gone "$pid1" || fail "node1's daemon outlived the power-off"
! machine_is_on 1 || fail "machine 1 is still on"
! on_machine 1 true 2>/dev/null || fail "a command ran on machine 1 while it was off"
lacks_address 1 10.77.0.100 || fail "node1 kept 10.77.0.100 after its power-off"
! ip -n "${PREFIX}-1" -o link show up | grep -q eth || fail "node1's links are up after its power-off"
! ip netns exec "${PREFIX}-3" arping -c 2 -w 2 -I eth0 10.77.0.100 | grep -qi "$mac1" || fail "node1's MAC answers ARP after its power-off"
on_machine 2 mount "$SHARED_DISK" /var/lib/mysql || fail "the disk cannot be mounted on node2 after node1's power-off"
[ "$(on_machine 2 cat /var/lib/mysql/proof)" = written-on-node1 ] || fail "node2 does not read node1's write"
on_machine 2 umount /var/lib/mysql || fail "cannot unmount the disk on node2"
wait_until 10000 at_least 1 pdu_log_count reset node1 failed >/dev/null || fail "node2 did not try to reset node1"
holds_for 3000 lacks_address 2 10.77.0.100 || fail "node2 took 10.77.0.100 although the reset of node1 failed"
wait_until 15000 has_address 2 10.77.0.100 >/dev/null \
    || fail "node2 did not take 10.77.0.100; the switch's log: $(cat "$WORK/pdu.log" "$WORK/pdu.out"); node2's: $(tail -5 "$WORK/node2/ha-log")"
taken_ms=$(now_ms)
[ "$(pdu_log_count reset node1 failed)" = 1 ] && [ "$(pdu_log_count reset node1 ok)" = 1 ] \
    || fail "not one failed then one good reset of node1: $(cat "$WORK/pdu.log")"
read -r failed_ms ok_ms < <(awk '$3 == "reset" { printf "%s ", $1 }' "$WORK/pdu.log")
[ "$(( ok_ms - failed_ms ))" -ge 4500 ] || fail "node2 retried the reset after $(( ok_ms - failed_ms )) ms, not 5 s"
grep -q "node node1 now reset" "$WORK/node2/ha-log" || fail "node2 did not log the reset"
machine_is_on 1 || fail "node1 is not on after its reset"
[ "$(processes_on 1)" -lt 6 ] || fail "something runs on node1 after its reset"
log "power_off 1 returned in $returned ms: its processes gone, links down, 10.77.0.100 dropped and not answered from its MAC; node2 mounts the disk"
log "node2: first reset refused by the switch, retried $(( ok_ms - failed_ms )) ms later: node1 off then booted clean; node2 took 10.77.0.100 $(( taken_ms - ok_ms )) ms or less after"

# 4. Power node1 off and on by hand (no daemon runs on it): a clean boot.
power_off 1 || fail "power_off 1 (by hand) failed"
power_on 1 || fail "power_on 1 failed"
machine_is_on 1 || fail "machine 1 is not on after power_on"
[ "$(on_machine 1 hostname)" = node1 ] || fail "machine 1 rebooted with another name"
[ "$(processes_on 1)" -lt 6 ] || fail "something runs on machine 1 after its boot"
[ -z "$(on_machine 1 find /var/lib/mysql /var/log/mysql /run/mysqld -mindepth 1)" ] || fail "machine 1's MariaDB directories are not empty after its boot"
# /tmp holds only what is bound back from the host's: $WORK, and the sources and binaries when there.
kept=$(for path in "$WORK" "$ROOT" "$BIN"; do case $path in /tmp/*) path=${path#/tmp/}; echo "${path%%/*}" ;; esac; done | sort -u)
[ "$(on_machine 1 ls -A /tmp | sort)" = "$kept" ] || fail "machine 1's /tmp holds more than $kept after its boot: $(on_machine 1 ls -A /tmp)"
ip -n "${PREFIX}-1" -o link show eth0 | grep -q ',UP' || fail "node1's eth0 is not up after power_on"
has_address 1 10.77.0.1 || fail "node1 lost its own address across the power cycle"
start_ours 1
wait_until 20000 has_address 1 10.77.0.100 >/dev/null || fail "node1 did not take 10.77.0.100 back"
wait_until 10000 lacks_address 2 10.77.0.100 >/dev/null || fail "node2 kept 10.77.0.100 after failback"
wait_until 10000 settled 1 2 >/dev/null || fail "the cluster did not settle after failback"
log "power_off, power_on: node1 boots clean; its daemon started again took 10.77.0.100 back"

# 5. kill -9 of node1's heartbeat only: the disk and a "mysqld" (sleep under that name) live on
#    until node2 has node1 reset.
cp /bin/sleep "$WORK/mysqld"
# on_database I: the disk mounted and "mysqld" running on machine I.
on_database() {
    on_machine "$1" mount "$SHARED_DISK" /var/lib/mysql || return 1
    spawn_on_machine "$1" /dev/null "$WORK/mysqld" 600
}
watch_shows() { grep -q " $1" "$WORK/disk_watch.log"; }
on_database 1 || fail "cannot start the database stand-in on node1"
wait_until 2000 watch_shows "node1=1,1 node2=0,0" >/dev/null || fail "the disk watch did not see node1's mount and mysqld: $(tail -2 "$WORK/disk_watch.log")"
past_startup 1
init1=$(cat "$WORK/node1/machine.pid")
resets=$(pdu_log_count reset node1 ok)
kill_node 1
machine_is_on 1 || fail "kill -9 of node1's heartbeat took its machine down"
wait_until 15000 has_address 2 10.77.0.100 >/dev/null || fail "node2 did not take 10.77.0.100 after fencing node1"
[ "$(pdu_log_count reset node1 ok)" = $(( resets + 1 )) ] || fail "node1 was not reset once more: $(cat "$WORK/pdu.log")"
machine_is_on 1 && [ "$(cat "$WORK/node1/machine.pid")" != "$init1" ] || fail "node1 did not boot again after its reset"
[ "$(processes_on 1)" -lt 6 ] || fail "something runs on node1 after its reset"
on_database 2 || fail "cannot start the database stand-in on node2 after node1's reset"
wait_until 2000 watch_shows "node1=0,0 node2=1,1" >/dev/null || fail "the disk watch did not see node2's mount and mysqld"
report=$(disk_watch_report) || fail "double mount or mysqld: $report"
reset_ms=$(awk '$3 == "reset" && $4 == "node1" && $5 == "ok" { ms = $6 } END { print ms }' "$WORK/pdu.log")
log "kill -9 of node1's heartbeat: node2 reset node1 (the switch took $reset_ms) and took 10.77.0.100; disk watch: ${report%%$'\n'*}"

# 6. The plugin's other requests, by hand inside node2; a switch that fails twice.
nspower() { on_machine 2 env pdu="$WORK/pdu.sock" "$ROOT/Tests/lib/stonith/nspower" "$@"; }
[ "$(nspower gethosts | tr '\n' ' ')" = "node1 node2 " ] || fail "gethosts: $(nspower gethosts)"
[ "$(nspower getconfignames)" = pdu ] || fail "getconfignames does not name pdu"
nspower getinfo-xml | grep -q '<parameter name="pdu"' || fail "getinfo-xml does not describe pdu"
nspower status >/dev/null || fail "status of the switch failed"
! nspower reset node9 >/dev/null || fail "a reset of a node with no outlet succeeded"
pdu_fail_next 2
! nspower reset node1 >/dev/null || fail "the switch worked although it was to fail"
! nspower status >/dev/null || fail "the switch worked the second time although it was to fail"
init1=$(cat "$WORK/node1/machine.pid")
nspower reset node1 >/dev/null || fail "the switch still failed after two failures"
[ "$(cat "$WORK/node1/machine.pid")" != "$init1" ] || fail "the reset after two failures did not reboot node1"
nspower off node1 >/dev/null && ! machine_is_on 1 || fail "off did not power node1 off"
nspower on node1 >/dev/null && machine_is_on 1 || fail "on did not power node1 on"
[ "$(grep -c " node2 .* failed " "$WORK/pdu.log")" = 4 ] || fail "not 4 failed requests in the switch's log: $(cat "$WORK/pdu.log")"
log "nspower: gethosts, getconfignames, getinfo-xml, status, off, on; after pdu_fail_next 2, two requests failed and the third worked"
reaches() { on_machine 2 ping -c 1 -W 1 "$1" >/dev/null; }
cut_cables 1
! reaches 10.77.0.1 && ! reaches 10.78.0.1 || fail "node2 reaches node1 with node1's cables cut"
nspower reset node1 >/dev/null || fail "reset of node1 with its cables cut failed"
! reaches 10.77.0.1 || fail "node1's reboot mended its cut cable"
mend_cables 1
wait_until 10000 reaches 10.77.0.1 >/dev/null && wait_until 10000 reaches 10.78.0.1 >/dev/null \
    || fail "node2 does not reach node1 with its cables mended"
log "cables cut at the switch: node1 unreachable on eth0 and eth1, still after a reboot; reachable once mended"

# 7. The disk watch's self-check: a double mount and a double mysqld made on purpose.
start_disk_watch
on_database 1 || fail "cannot start the database stand-in on node1 a second time"
wait_until 2000 watch_shows "node1=1,1 node2=1,1" >/dev/null || fail "the disk watch did not see both machines"
power_off 1 || fail "power_off 1 failed"
wait_until 2000 watch_shows "node1=0,0 node2=1,1" >/dev/null || fail "the disk watch did not see node1 go"
if report=$(disk_watch_report); then fail "the disk watch did not fail on a double mount: $report"; fi
[ "$(echo "$report" | head -1)" = "double mount: 1 moments, double mysqld: 1 moments" ] || fail "disk watch report: $report"
log "disk watch, both on purpose: ${report%%$'\n'*} (exit 1)"
