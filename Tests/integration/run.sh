#!/usr/bin/env bash
# Runs every network-namespace test (root only) and prints "N passed, N failed".
cd "$(dirname "$0")"
if [ "$(id -u)" != 0 ]; then echo "network-namespace tests need root: skipped"; exit 0; fi
passed=0; failed=0
for test in ${TESTS:-test_*.sh}; do
    echo "== $test"
    start=$(date +%s)
    # The tests time events by polling logs; realtime priority (below the daemons' own) keeps a busy
    # machine from delaying the observer rather than the daemons being observed.
    if timeout 900 chrt -r 10 bash "$test"; then passed=$((passed + 1)); echo "   passed ($(( $(date +%s) - start )) s)"
    else failed=$((failed + 1)); echo "   FAILED ($(( $(date +%s) - start )) s)"; fi
done
echo "integration: $passed passed, $failed failed"
[ "$failed" = 0 ]
