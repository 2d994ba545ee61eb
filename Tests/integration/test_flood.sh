#!/usr/bin/env bash
# Hostile input against a steady two-node cluster (issue #9): a third namespace floods node1's
# heartbeat port (flood.py: random, truncated, oversized, wrong key, forged member, replays of this
# run and of old-generation captures, huge length, classic/netstring mixes) while local clients
# abuse the control socket and the FIFO. Asserts: nobody is declared dead, memory stays bounded,
# bad-packet logging is rate-limited, the rejected-packet counters account for the flood, the
# control socket keeps serving, and non-root users get status but not state changes unless an
# apiauth line grants them. FLOOD_SECONDS (default 10) and FLOOD_PACKETS bound the flood.
source "$(dirname "$0")/lib.sh"
FLOOD_SECONDS=${FLOOD_SECONDS:-10}
FLOOD_PACKETS=${FLOOD_PACKETS:-3000000}
make_namespaces 3
# deadtime 2 s = 10 heartbeats; the flood must not cost one node its peer for that long.
export DEADTIME=2 WARNTIME=1
for i in 1 2; do write_config $i "bcast eth0" "sha1 secret"; done
# Non-root operators: nobody may take over (hb_takeover); group daemon may do every admin request (hbctl).
echo "apiauth hb_takeover uid=nobody" >> "$WORK/node1/etc/ha.cf"
echo "apiauth hbctl gid=daemon" >> "$WORK/node1/etc/ha.cf"
for i in 1 2; do start_ours $i; done
wait_log 1 "Status update for node node2: status active" 8000 >/dev/null || fail "node1 never saw node2 active"
wait_log 2 "Status update for node node1: status active" 8000 >/dev/null || fail "node2 never saw node1 active"
pid1=$(cat "$WORK/node1/pid")
run1=$WORK/node1/run
chmod 755 "$WORK" "$WORK/node1"   # let non-root users reach the control socket
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# request AS_USER LINE: the daemon's one-line answer to a raw request on node1's control socket.
request() {
    local user=$1 line=$2
    setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile("rb").readline().decode().strip())' "$run1/control" "$line"
}

# Authorization: status for everyone; state changes for root or an apiauth grant.
[ "$(as_nobody env HA_RUN_DIR="$run1" "$BIN/cl_status" nodestatus node2)" = active ] || fail "nobody cannot read status"
as_nobody env HA_RUN_DIR="$run1" "$BIN/hbctl" status >/dev/null || fail "hbctl status refused to nobody"
[ "$(request bin "standby all")" = "error permission denied" ] || fail "user bin was allowed to standby"
[ "$(request bin "reload")" = "error permission denied" ] || fail "user bin was allowed to reload"
[ "$(request nobody "standby all")" = "error permission denied" ] || fail "nobody was allowed to standby"
[ "$(request nobody "reload")" = "error permission denied" ] || fail "nobody was allowed to reload"
[ "$(request nobody "takeover all")" = "ok" ] || fail "apiauth hb_takeover uid=nobody did not let nobody take over"
[ "$(request daemon "reload")" = "ok" ] || fail "apiauth hbctl gid=daemon did not let user daemon reload"
wait_log 1 "Configuration reloaded" 3000 >/dev/null || fail "the reload nobody was granted did not happen"
log "authorization: status open to all; bin refused everything; apiauth let nobody take over (only) and daemon reload"

past_startup 1 2   # steady state before the flood
hwm_before=$(hwm_kb "$pid1")
lines_before=$(wc -l < "$WORK/node1/ha-log")
late_before=$(grep -c "Late heartbeat" "$WORK/node1/ha-log")

# Local abuse during the flood: a client that connects and never reads, one sending 1 MiB of junk
# without a newline, garbage and an oversized message into the FIFO.
/usr/bin/python3 -c '
import socket, sys, time
idle = socket.socket(socket.AF_UNIX); idle.connect(sys.argv[1])
junk = socket.socket(socket.AF_UNIX); junk.connect(sys.argv[1])
try:
    junk.sendall(b"x" * (1 << 20))
except OSError:
    pass
time.sleep(float(sys.argv[2]))' "$run1/control" "$FLOOD_SECONDS" &
abuser=$!; track "$abuser"
{ head -c 200000 /dev/urandom; printf '>>>\nt=bogus\n'; head -c 100000 /dev/zero | tr '\0' 'a'; printf '\n<<<\n'; } \
    > "$WORK/node1/state/fifo" &
fifo_writer=$!; track "$fifo_writer"

ip netns exec "${PREFIX}-3" /usr/bin/python3 "$ROOT/Tests/integration/flood.py" 10.77.0.1 694 "$FLOOD_SECONDS" \
    "$FLOOD_PACKETS" "$ROOT/Tests/HeartbeatCoreTests/Fixtures/captures" > "$WORK/flood.out" 2>&1 &
flooder=$!; track "$flooder"
# Status keeps being served while the flood runs.
served=0
for _ in $(seq 1 "$FLOOD_SECONDS"); do
    sleep 1
    [ "$(as_nobody env HA_RUN_DIR="$run1" "$BIN/cl_status" nodestatus node2)" = active ] && served=$((served + 1))
done
wait "$flooder" || fail "flooder failed: $(cat "$WORK/flood.out")"
wait "$abuser" 2>/dev/null; kill "$fifo_writer" 2>/dev/null
log "flood: $(cat "$WORK/flood.out")"
# a death declaration the flood caused would come within deadtime (2 s)
assert_absent_for 2000 "is dead" "$WORK/node1/ha-log" "$WORK/node2/ha-log" || fail "a false death declaration after the flood"

kill -0 "$pid1" || fail "node1 died under the flood"
dead=$(grep -c "is dead" "$WORK/node1/ha-log" "$WORK/node2/ha-log" | awk -F: '{s += $2} END {print s}')
[ "$dead" = 0 ] || fail "false death declarations under the flood: $(grep "is dead" "$WORK"/node*/ha-log)"
[ "$served" -ge $((FLOOD_SECONDS - 1)) ] || fail "status answered only $served of $FLOOD_SECONDS times during the flood"
hwm_after=$(hwm_kb "$pid1")
[ "$hwm_after" -lt $((hwm_before + 16384)) ] || fail "peak RSS grew from $hwm_before to $hwm_after kB under the flood"
lines=$(( $(wc -l < "$WORK/node1/ha-log") - lines_before ))
late=$(( $(grep -c "Late heartbeat" "$WORK/node1/ha-log") - late_before ))
# Rate limiting: one line per reason per window plus the "repeated N times" summaries, not one per packet.
[ "$lines" -lt 400 ] || fail "$lines log lines written during the flood (rate limiting failed)"
grep -q "repeated\|suppressed" "$WORK/node1/ha-log" || fail "no rate-limit summary line in the log"

# Every kind of bad packet shows in the counters, and they account for the flood.
json=$(HA_RUN_DIR=$run1 "$BIN/hbctl" status --json)
counters=$(printf '%s' "$json" | /usr/bin/python3 -c 'import json, sys; r = json.load(sys.stdin)["rejectedPackets"]; print(" ".join("%s=%d" % kv for kv in sorted(r.items())))')
for reason in unknown-format auth-failed; do
    [[ " $counters" == *" $reason="* ]] || fail "no '$reason' counter after the flood: $counters"
done
rejected=$(printf '%s' "$json" | /usr/bin/python3 -c 'import json, sys; print(sum(json.load(sys.stdin)["rejectedPackets"].values()))')
[ "$rejected" -gt 1000 ] || fail "only $rejected packets counted as rejected: $counters"
[ "$(cl_status_as_root=$(HA_RUN_DIR=$run1 "$BIN/cl_status" nodestatus node2); echo "$cl_status_as_root")" = active ] || fail "node1 lost node2"
log "no false deaths; late-heartbeat warnings: $late; VmHWM $hwm_before -> $hwm_after kB; $lines log lines; status served $served/$FLOOD_SECONDS"
log "rejected: $counters"
