#!/usr/bin/env bash
# Every scenario twice: in the simulator (--sim, virtual time) and with real daemons in network
# namespaces (--netns), each netns run bounded by SCENARIO_TIMEOUT seconds of wall time; then
# Tests/scenarios/test_simulate.sh. Ends with the line "N passed, N failed, N skipped".
# The netns half needs root: without it this run FAILS, unless the caller asks to skip that half
# (SKIP_NETNS=1), when each of its runs counts as skipped.
# HB_BIN: the build's bin directory (hbctl, heartbeat, cl_status). SCENARIOS: files to run.
cd "$(dirname "$0")/../.." || exit 1
BIN=${HB_BIN:-$PWD/.build/release}
# shellcheck disable=SC2206 # a glob or a list
FILES=(${SCENARIOS:-Tests/scenarios/*.scenario})
passed=0; failed=0; skipped=0
count() { if [ "$1" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }

for file in "${FILES[@]}"; do
    "$BIN/hbctl" scenario run "$file" --sim | grep -v '^   ok '
    count "${PIPESTATUS[0]}"
done
echo "== hbctl simulate"
HB_BIN=$BIN bash Tests/scenarios/test_simulate.sh
count $?

if [ "$(id -u)" != 0 ]; then
    if [ -z "${SKIP_NETNS:-}" ]; then
        echo "scenarios --netns need root (SKIP_NETNS=1 skips them)"
        failed=$((failed + ${#FILES[@]}))
    else
        echo "scenarios --netns: not root, SKIP_NETNS=1: ${#FILES[@]} skipped"
        skipped=$((skipped + ${#FILES[@]}))
    fi
    FILES=()
fi
began=$(date +%s)
for file in "${FILES[@]}"; do
    # Realtime priority (below the daemons') keeps a busy machine from delaying the observer.
    timeout "${SCENARIO_TIMEOUT:-60}" chrt -r 10 "$BIN/hbctl" scenario run "$file" --netns --bin "$BIN"
    count $?
done
[ ${#FILES[@]} = 0 ] || echo "scenarios --netns: $(( $(date +%s) - began )) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
