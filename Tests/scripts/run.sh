#!/usr/bin/env bash
# Tests for the shell scripts we ship: resource.d/*, ha.d/shellfuncs, ha.d/harc, ha.d/rc.d/*,
# tools/hb_standby, tools/hb_takeover.
#
#   bash Tests/scripts/run.sh [NAME-PATTERN]
#
# Each test is a bash function test_* in Tests/scripts/test_*.sh. Every test runs in its own
# process (this script again, with --one NAME) under a time limit, in a fresh temp directory, so
# one broken test cannot hang or poison the others. A test that cannot run here (no root, a
# missing package) fails unless the caller asked to skip such tests (SKIP_NETNS=1, SKIP_MISSING=1;
# see lib.sh). Ends with the line "N passed, N failed, N skipped"; exits 1 on failure.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PER_TEST_LIMIT=${SCRIPTS_TEST_TIMEOUT:-120}

for f in "$HERE"/lib.sh "$HERE"/test_*.sh; do
    # shellcheck source=/dev/null
    . "$f"
done

if [ "${1:-}" = --one ]; then
    run_one "$2"
    exit $?
fi

pattern=${1:-}
passed=0 failed=0 skipped=0
failures=()
for name in $(declare -F | awk '{ print $3 }' | grep '^test_'); do
    if [ -n "$pattern" ] && [[ $name != *$pattern* ]]; then
        continue
    fi
    out=$(timeout --kill-after=10 "$PER_TEST_LIMIT" bash "$HERE/run.sh" --one "$name" 2>&1)
    rc=$?
    case $rc in
        0) passed=$((passed + 1)); echo "PASS $name" ;;
        77) skipped=$((skipped + 1)); echo "SKIP $name: $(tail -n 1 <<<"$out")" ;;
        *)
            failed=$((failed + 1)); failures+=("$name")
            [ $rc -eq 124 ] && out="$out"$'\n'"(timed out after ${PER_TEST_LIMIT}s)"
            echo "FAIL $name"
            sed 's/^/    /' <<<"$out" | tail -n 40
            ;;
    esac
done
[ $failed -eq 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
