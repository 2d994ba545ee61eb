#!/usr/bin/env bash
# kill -9 of the owner's daemon leaves nothing behind (issue #23): node1 runs its group
# "IPaddr2::VIP Dummy::svc" under the installed unit's ExecStart; it is killed with SIGKILL, and the
# unit's ExecStopPost command line, read from the installed unit and run as systemd would, stops
# the group on node1 (svc first, then the address) from the record in its state directory. Within
# deadtime + scripts exactly one node holds the address, and a third host's arping then hears one
# MAC only, node2's. The command refuses to run while a node's daemon is alive, and does nothing
# once the record is empty. A second kill -9 without the release shows what it prevents: both
# MACs answer, until ExecStopPost runs. About 30 s.
source "$(dirname "$0")/lib.sh"
require "arping (package iputils-arping) is not installed" command -v arping
DEST=$WORK/dest
PREFIX=/usr DESTDIR=$DEST BIN=$BIN sh "$ROOT/tools/install.sh" install > /dev/null || fail "install failed"
unit=$DEST/usr/lib/systemd/system/heartbeat.service
read -r -a exec_start <<<"$(sed -n 's/^ExecStart=//p' "$unit")"
read -r -a exec_stop_post <<<"$(sed -n 's/^ExecStopPost=//p' "$unit")"
[ "${#exec_stop_post[@]}" -gt 0 ] || fail "the unit has no ExecStopPost="
[ "${exec_stop_post[0]}" = /usr/lib/heartbeat/heartbeat ] || fail "ExecStopPost runs ${exec_stop_post[0]}"
exec_start[0]=$DEST${exec_start[0]}
exec_stop_post[0]=$DEST${exec_stop_post[0]}

make_namespaces 3
VIP=10.77.0.100
for i in 1 2; do
    write_config "$i" "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret"
    use_dummy "$i" "node1 IPaddr2::$VIP/24/eth0 Dummy::svc"
done
# unit I CMD...: CMD in nodeI's namespace with the environment the unit gives both its commands
# (a simple command, so that in the background $! is CMD's own PID, as systemd's main PID is).
unit_env() {
    echo "HA_CONFIG_DIR=$WORK/node$1/etc HA_STATE_DIR=$WORK/node$1/state HA_RUN_DIR=$WORK/node$1/run HA_NODE_NAME=node$1 $(node_env "$1")"
}
# shellcheck disable=SC2046 # unit_env is words
unit() { local i=$1; shift; ip netns exec "${PREFIX}-$i" env $(unit_env "$i") "$@"; }
# shellcheck disable=SC2046
ip netns exec "${PREFIX}-1" env $(unit_env 1) "${exec_start[@]}" >>"$WORK/node1/out" 2>&1 &
started ours 1 $!
start_ours 2
has_vip() { ip -n "${PREFIX}-$1" -br addr show eth0 | grep -q "$VIP/24"; }
wait_until 15000 has_vip 1 >/dev/null || fail "node1 did not take $VIP"
wait_dummy 1 svc yes 10000 >/dev/null || fail "node1 did not start Dummy::svc"
grep -q "^group	IPaddr2::$VIP/24/eth0	node1\$" "$WORK/node1/state/held_groups" || fail "node1 did not record its group: $(cat "$WORK/node1/state/held_groups")"
log "node1 holds $VIP and svc, recorded in its state directory"

# Refused while the daemon lives: that daemon holds the group.
if unit 1 "${exec_stop_post[@]}" > "$WORK/refused" 2>&1; then fail "--release-held ran beside a live daemon"; fi
grep -q "is running" "$WORK/refused" || fail "no reason given for the refusal: $(cat "$WORK/refused")"
has_vip 1 || fail "the refused release touched the address"
past_startup 1 2

kill_node 1
t_killed=$(now_ms)
unit 1 "${exec_stop_post[@]}" >> "$WORK/node1/out" 2>&1 || fail "ExecStopPost failed: $(tail -5 "$WORK/node1/out")"
t_released=$(( $(now_ms) - t_killed ))
! has_vip 1 || fail "$VIP still on node1 after the release"
dummy_stopped 1 svc || fail "Dummy::svc still runs on node1 after the release"
grep -q "Running Dummy svc stop" "$WORK/node1/ha-log" || fail "the release did not log like the daemon"
# svc stops before the address that was started before it.
order=$(grep -o "Running [A-Za-z0-9]* [^ ]* stop" "$WORK/node1/ha-log" | cut -d' ' -f2 | tr '\n' ' ')
[ "$order" = "Dummy IPaddr2 " ] || fail "release order was [$order], not Dummy then IPaddr2"
one_owner() { has_vip 2 && ! has_vip 1; }
wait_until 5000 one_owner >/dev/null || fail "node2 did not take $VIP over within deadtime (1 s) + scripts"
log "kill -9 node1 -> released on node1 by ExecStopPost in ${t_released} ms; only node2 holds $VIP after $(( $(now_ms) - t_killed )) ms"
# The record is empty now, and a second run (systemd runs it after every stop) does nothing.
! grep -q "^group" "$WORK/node1/state/held_groups" || fail "the record still lists a group"
lines=$(wc -l < "$WORK/node1/ha-log")
unit 1 "${exec_stop_post[@]}" || fail "--release-held with nothing recorded failed"
[ "$(wc -l < "$WORK/node1/ha-log")" = "$lines" ] || fail "--release-held with nothing recorded logged something"

# A third host asks who has the address: ask_arp sets $replies and $macs (the distinct MACs).
mac1=$(ip -n "${PREFIX}-1" -br link show eth0 | awk '{ print toupper($3) }')
mac2=$(ip -n "${PREFIX}-2" -br link show eth0 | awk '{ print toupper($3) }')
ask_arp() {
    ip netns exec "${PREFIX}-3" arping -c 10 -w 6 -I eth0 "$VIP" > "$WORK/arping" 2>&1
    replies=$(grep -c "reply from" "$WORK/arping")
    macs=$(grep -o '\[[0-9A-Fa-f:]*\]' "$WORK/arping" | tr -d '[]' | tr a-f A-F | sort -u | tr '\n' ' ')
    [ "$replies" -ge 5 ] || fail "too few ARP replies: $(cat "$WORK/arping")"
}
ask_arp
[ "$macs" = "$mac2 " ] || fail "ARP answers came from [$macs], not node2's $mac2 alone"
log "arping from a third host: $replies replies, all from node2's $mac2, no duplicate"

# node1 comes back: it records again what it takes (auto_failback on moves the group home).
# shellcheck disable=SC2046
ip netns exec "${PREFIX}-1" env $(unit_env 1) "${exec_start[@]}" >>"$WORK/node1/out" 2>&1 &
started ours 1 $!
wait_until 20000 has_vip 1 >/dev/null || fail "node1 did not take $VIP back"
wait_until 5000 grep -q "^group" "$WORK/node1/state/held_groups" >/dev/null || fail "node1 did not record its group again"
log "node1 back: $VIP failed back and is recorded again"

# The same kill -9 without the release, as the issue measured it: node2 takes the address while
# node1 keeps it, and the third host hears both MACs. Then ExecStopPost: node2's alone again.
past_startup 1
kill_node 1
wait_until 8000 has_vip 2 >/dev/null || fail "node2 did not take $VIP over the second time"
has_vip 1 || fail "node1 lost $VIP without a release"
ask_arp
[ "$macs" = "$(printf '%s\n' "$mac1" "$mac2" | sort | tr '\n' ' ')" ] || fail "without the release, ARP answers came from [$macs], not both nodes"
unit 1 "${exec_stop_post[@]}" >> "$WORK/node1/out" 2>&1 || fail "the second ExecStopPost failed"
ask_arp
[ "$macs" = "$mac2 " ] || fail "after the second release, ARP answers came from [$macs]"
log "without the release both MACs answer for $VIP; after it, node2's alone"
