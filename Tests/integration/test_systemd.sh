#!/usr/bin/env bash
# The installed systemd unit: its ExecStart, run as systemd would with NOTIFY_SOCKET and
# WATCHDOG_USEC, says READY=1 once the daemon answers, STATUS= on membership changes, WATCHDOG=1
# every WATCHDOG_USEC/2, STOPPING=1 on SIGTERM, all from the main PID (NotifyAccess=main).
# The installed logrotate file then rotates the running daemon's log without losing a line.
# A few seconds.
set -u
source "$(dirname "$0")/lib.sh"
DEST=$WORK/dest
PREFIX=/usr DESTDIR=$DEST BIN=$BIN sh "$ROOT/tools/install.sh" install > /dev/null || fail "install failed"
unit=$DEST/usr/lib/systemd/system/heartbeat.service
grep -qx 'Type=notify' "$unit" || fail "the unit is not Type=notify"
read -r -a exec_start <<<"$(sed -n 's/^ExecStart=//p' "$unit")"
[ "${exec_start[0]}" = /usr/lib/heartbeat/heartbeat ] || fail "ExecStart runs ${exec_start[0]}"
exec_start[0]=$DEST${exec_start[0]}

make_namespaces 2
for i in 1 2; do write_config $i "bcast eth0" "sha1 secret"; done
python3 "$ROOT/Tests/integration/notify_listener.py" "$WORK/notify.sock" "$WORK/notify.log" &
track $!; disown $!
wait_until 5000 test -S "$WORK/notify.sock" >/dev/null || fail "the notify listener did not start"
: > "$WORK/notify.log"

# WatchdogSec=400ms as systemd would pass it.
dir=$WORK/node1
ip netns exec "${PREFIX}-1" env NOTIFY_SOCKET="$WORK/notify.sock" WATCHDOG_USEC=400000 \
    HA_CONFIG_DIR="$dir/etc" HA_STATE_DIR="$dir/state" HA_RUN_DIR="$dir/run" HA_NODE_NAME=node1 \
    "${exec_start[@]}" > "$dir/out" 2>&1 &
daemon=$!; track "$daemon"; disown "$daemon"
notified() { grep -Eq " $1\$" "$WORK/notify.log"; }
wait_notify() { wait_until "$2" notified "$1" >/dev/null; }  # wait_notify LINE-REGEX MS
wait_notify 'READY=1' 5000 || fail "no READY=1: $(cat "$WORK/notify.log") $(cat "$dir/out")"
# Ready means ready: the control socket answers at once.
[ "$(HA_RUN_DIR=$dir/run "$DEST/usr/bin/cl_status" hbstatus 2>&1)" = "Heartbeat is running on this machine." ] \
    || fail "READY=1 before cl_status could connect"
grep -q 'STATUS=1 of 2 nodes up, groups held: none' "$WORK/notify.log" || fail "no first STATUS: $(cat "$WORK/notify.log")"
log "READY=1 once the daemon answers; STATUS=1 of 2 nodes up"

start_ours 2
# No groups here, yet the node claims its (empty) local half, as 3.0.6 does: rscstatus local.
wait_notify 'STATUS=2 of 2 nodes up, groups held: none, resources local' 8000 || fail "STATUS never showed node2: $(grep STATUS "$WORK/notify.log")"
log "STATUS follows membership: $(grep -c STATUS= "$WORK/notify.log") distinct STATUS lines"

# Watchdog: every 200 ms from the event loop. Bounds allow for a loaded 2-core machine.
pings() { [ "$(grep -c ' WATCHDOG=1$' "$WORK/notify.log")" -ge "$1" ]; }
wait_until 5000 pings 11 >/dev/null || fail "fewer than 11 WATCHDOG=1 in 5 s"
python3 - "$WORK/notify.log" <<'PY' || fail "watchdog pings off rate"
import statistics, sys
times = [int(line.split()[0]) for line in open(sys.argv[1]) if line.split()[2] == "WATCHDOG=1"]
gaps = [b - a for a, b in zip(times, times[1:])]
print(f"    {len(times)} WATCHDOG=1, median gap {statistics.median(gaps)} ms, max {max(gaps)} ms")
assert len(times) >= 10, "too few pings"
assert 170 <= statistics.median(gaps) <= 260, "median gap not ~200 ms"
assert max(gaps) < 400, "a gap reached WATCHDOG_USEC: systemd would have killed the daemon"
PY

# logrotate with the installed file, pointed at this node's logs: the next line lands in a new file.
sed "s#/var/log/ha-log#$dir/ha-log#; s#/var/log/ha-debug#$dir/ha-debug#" "$DEST/etc/logrotate.d/heartbeat" > "$WORK/logrotate.conf"
logrotate -f -s "$WORK/logrotate.state" "$WORK/logrotate.conf" || fail "logrotate failed"
[ -s "$dir/ha-log.1" ] && grep -q "Starting heartbeat" "$dir/ha-log.1" || fail "ha-log was not rotated to ha-log.1"
kill -USR1 "$daemon"
wait_log 1 "debug now set to" 3000 > /dev/null || fail "no log line after rotation: the daemon kept writing the old file?"
! grep -q "debug now set to" "$dir/ha-log.1" || fail "a line went to the rotated file"
log "logrotate: old lines in ha-log.1, new lines in a fresh ha-log"

kill -TERM "$daemon"
wait_notify 'STOPPING=1' 3000 || fail "no STOPPING=1 on SIGTERM"
wait_until 5000 gone "$daemon" >/dev/null || fail "daemon still running 5 s after SIGTERM"
senders=$(awk '{ print $2 }' "$WORK/notify.log" | sort -u)
[ "$senders" = "$daemon" ] || fail "notifications came from PIDs $senders, not the main PID $daemon"
log "STOPPING=1 on SIGTERM; every notification from the main PID"
