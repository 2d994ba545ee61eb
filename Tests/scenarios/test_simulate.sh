#!/usr/bin/env bash
# `hbctl simulate` (issue #6) on config directories written here: the example of
# docs/scenarios.md must print exactly the timeline shown there, and ha.cf's ping nodes and
# STONITH device must turn into the simulator's, so "lose ping" and "fence fails" events work.
# HB_BIN: the build's bin directory.
set -u
cd "$(dirname "$0")/../.." || exit 1
BIN=${HB_BIN:-$PWD/.build/release}
T=$(mktemp -d /tmp/hb-simulate.XXXXXX)
trap 'rm -rf "$T"' EXIT
WORK=$T
# shellcheck source=Tests/lib/nodes.sh
source Tests/lib/nodes.sh   # ha_cf
fail() { echo "   FAIL: $*"; exit 1; }

# config DIR [EXTRA ha.cf LINES]: the two-node cluster of the docs' example.
config() {
    mkdir -p "$1"
    UDPPORT='' KEEPALIVE=1 WARNTIME=5 DEADTIME=10 INITDEAD=30 NODES="alpha beta" ha_cf "ucast eth0 10.0.0.1" "${2:-}" > "$1/ha.cf"
    printf 'alpha 10.0.0.5 apache\nbeta IPaddr::10.0.0.6 Filesystem::/dev/sdb1::/srv::ext4\n' > "$1/haresources"
    printf 'auth 1\n1 sha1 secret\n' > "$1/authkeys"
    chmod 600 "$1/authkeys"
}
# simulate DIR EVENT...: the tool's output, which must exit 0.
simulate() {
    local dir=$1; shift
    "$BIN/hbctl" simulate --config-dir "$dir" "$@" > "$T/out" 2>&1 || fail "hbctl simulate $*: exit $?: $(cat "$T/out")"
    cat "$T/out"
}
expect_line() { grep -qxF -- "$2" <<< "$1" || fail "no line '$2' in:"$'\n'"$1"; }

# The docs' example: its command and the output block after it, verbatim.
config "$T/docs"
expected=$(awk '/^hbctl simulate --config-dir/ { found = 1 } found && /^cluster:/ { printing = 1 }
                printing && /^```/ { exit } printing { print }' docs/scenarios.md)
[ -n "$expected" ] || fail "no example output found in docs/scenarios.md"
actual=$(simulate "$T/docs" "kill alpha" "at 15s restart alpha")
[ "$actual" = "$expected" ] || fail "the docs' example prints otherwise:"$'\n'"$(diff <(echo "$expected") <(echo "$actual"))"
echo "   ok   docs/scenarios.md example: the same $(wc -l <<< "$actual") lines"

# Ping nodes: alpha loses them, arbitration gives its group to beta; they come back, it returns.
config "$T/ping" 'ping 10.0.0.254\nping_group routers 10.0.0.252 10.0.0.253\ndeadping 5\narbitration on\n'
out=$(simulate "$T/ping" "lose ping alpha")
expect_line "$out" "ping: 10.0.0.254 routers, deadping 5000 ms, arbitration on"
grep -q "alpha WARN: node 10.0.0.254: is dead" <<< "$out" || fail "alpha never lost its ping node: $out"
grep -q "alpha WARN: node routers: is dead" <<< "$out" || fail "alpha never lost its ping group: $out"
expect_line "$out" "  group 10.0.0.5: on beta"
out=$(simulate "$T/ping" --settle 30s "lose ping alpha" "at 30s restore ping alpha")
expect_line "$out" "  group 10.0.0.5: on alpha"
echo "   ok   ping: 'lose ping alpha' moves 10.0.0.5 to beta, 'restore ping alpha' brings it home"

# STONITH: beta fences alpha before taking over; while its device fails, it takes nothing.
config "$T/fence" 'stonith_host * external/ssh alpha beta\n'
out=$(simulate "$T/fence" --settle 20s "kill alpha")
expect_line "$out" "stonith: one device for every node (external/ssh)"
expect_line "$out" "  group 10.0.0.5: on beta"
out=$(simulate "$T/fence" --settle 20s "fence fails on beta" "kill alpha")
grep -q "STONITH of alpha failed" <<< "$out" || fail "no failed STONITH line: $out"
expect_line "$out" "  group 10.0.0.5: stopped"
echo "   ok   stonith: takeover after the reset; none while the device fails"

# An event the configuration cannot have is refused with a reason.
"$BIN/hbctl" simulate --config-dir "$T/docs" "lose ping alpha" > "$T/out" 2>&1 && fail "lose ping without ping nodes was accepted"
grep -q "no ping node: ha.cf has no 'ping' or 'ping_group' line" "$T/out" || fail "unclear refusal: $(cat "$T/out")"
echo "   ok   'lose ping' without ping nodes in ha.cf: refused ($(head -1 "$T/out"))"
