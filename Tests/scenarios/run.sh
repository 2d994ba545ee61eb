#!/usr/bin/env bash
# Every scenario twice: in the simulator (--sim, virtual time) and, as root, with real daemons in
# network namespaces (--netns), each netns run bounded by SCENARIO_TIMEOUT seconds of wall time.
# HB_BIN: the build's bin directory (hbctl, heartbeat, cl_status). SCENARIOS: files to run.
cd "$(dirname "$0")/../.." || exit 1
BIN=${HB_BIN:-$PWD/.build/release}
FILES=${SCENARIOS:-Tests/scenarios/*.scenario}
status=0
# shellcheck disable=SC2086 # FILES is a glob or a list
"$BIN/hbctl" scenario run $FILES --sim | grep -v '^   ok ' || status=1
[ "${PIPESTATUS[0]}" = 0 ] || status=1
echo "== hbctl simulate"
HB_BIN=$BIN bash Tests/scenarios/test_simulate.sh || status=1
if [ "$(id -u)" != 0 ]; then echo "scenarios --netns need root: skipped"; exit $status; fi
passed=0; failed=0; began=$(date +%s)
for file in $FILES; do
    # Realtime priority (below the daemons') keeps a busy machine from delaying the observer.
    if timeout "${SCENARIO_TIMEOUT:-60}" chrt -r 10 "$BIN/hbctl" scenario run "$file" --netns --bin "$BIN"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); status=1
    fi
done
echo "scenarios --netns: $passed passed, $failed failed in $(( $(date +%s) - began )) s"
exit $status
