# shellcheck shell=bash
# The integration tests' setup: Tests/lib/nodes.sh (nodes, waits, cleanup on exit) plus the
# packet capture and 3.0.6 log checks only these tests use.
PREFIX=hbt$$
WORK=$(mktemp -d /tmp/hb-it.XXXXXX)
# shellcheck source=Tests/lib/nodes.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/nodes.sh"
trap cleanup EXIT

# errors_in_306_log I: ERROR/CRIT lines of a 3.0.6 node, less the ones about its own environment.
errors_in_306_log() {
    grep -E "ERROR|CRIT" "$WORK/node$1/ha-log" | grep -v -E "core|Cannot lock ourselves|Logging daemon" || true
}

# capture I: record heartbeat packets arriving in namespace I (tcpdump, wall-clock timestamps).
capture() {
    ip netns exec "${PREFIX}-$1" tcpdump -i any -n -tt -l "udp port 694" >"$WORK/capture$1" 2>"$WORK/capture$1.err" &
    track $!; disown $!
    # tcpdump says "listening on" once it sees packets.
    wait_until 5000 grep -q "listening on" "$WORK/capture$1.err" >/dev/null || fail "tcpdump did not start in namespace $1"
}

# last_packet_ms I SOURCE_IP: when namespace I last received a packet from SOURCE_IP (ms since epoch).
last_packet_ms() {
    awk -v src="$2" '$0 ~ "IP " src "\\." { t = $1 } END { printf "%d\n", t * 1000 }' "$WORK/capture$1"
}
