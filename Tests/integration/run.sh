#!/usr/bin/env bash
# Runs every network-namespace test and ends with the line "N passed, N failed, N skipped".
# The tests need root: without it this run FAILS, unless the caller asks to skip them
# (SKIP_NETNS=1), when every test counts as skipped. A test that exits 77 skipped itself (a
# missing package with SKIP_MISSING=1, see Tests/lib/nodes.sh's require).
cd "$(dirname "$0")" || exit 1
passed=0; failed=0; skipped=0
# shellcheck disable=SC2206 # TESTS is a glob or a list
tests=(${TESTS:-test_*.sh})
if [ "$(id -u)" != 0 ]; then
    if [ -z "${SKIP_NETNS:-}" ]; then
        echo "integration: the network-namespace tests need root (SKIP_NETNS=1 skips them)"
        failed=${#tests[@]}
    else
        echo "integration: not root, SKIP_NETNS=1: ${#tests[@]} tests skipped"
        skipped=${#tests[@]}
    fi
    tests=()
fi
for test in "${tests[@]}"; do
    echo "== $test"
    start=$(date +%s)
    # The tests time events by polling logs; realtime priority (below the daemons' own) keeps a busy
    # machine from delaying the observer rather than the daemons being observed.
    timeout 900 chrt -r 10 bash "$test"
    case $? in
        0) passed=$((passed + 1)); echo "   passed ($(( $(date +%s) - start )) s)" ;;
        77) skipped=$((skipped + 1)); echo "   SKIPPED ($(( $(date +%s) - start )) s)" ;;
        *) failed=$((failed + 1)); echo "   FAILED ($(( $(date +%s) - start )) s)" ;;
    esac
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
