#!/usr/bin/env bash
# Runs every hbfuzz target for FUZZ_SECONDS each (libFuzzer, ASan), starting from the committed
# seeds in Fuzz/corpus/<target> plus what earlier runs found (kept under the scratch directory).
# Prints executions per target; exits non-zero on the first crash, leaving the input in
# $FUZZ_DIR/artifacts to turn into a regression test (`hbfuzz TARGET FILE` replays it).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${HBFUZZ:?path of the fuzzing build of hbfuzz}"
FUZZ_SECONDS=${FUZZ_SECONDS:-300}
FUZZ_DIR=${FUZZ_DIR:-.build-fuzz/work}
TARGETS=${FUZZ_TARGETS:-wire serial fifo hacf authkeys haresources control monitors}
mkdir -p "$FUZZ_DIR/artifacts"
status=0
for target in $TARGETS; do
    mkdir -p "$FUZZ_DIR/corpus/$target"
    log="$FUZZ_DIR/$target.log"
    # The Swift backtracer would wait on a crash under ASan; libFuzzer reports it instead.
    if HBFUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no "$HBFUZZ" -max_total_time="$FUZZ_SECONDS" \
        -print_final_stats=1 -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$FUZZ_DIR/artifacts/$target-" \
        "$FUZZ_DIR/corpus/$target" "Fuzz/corpus/$target" >"$log" 2>&1; then
        executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        echo "fuzz $target: $executions executions in ${FUZZ_SECONDS}s ($rate/s), no crash"
    else
        echo "fuzz $target: FAILED; input and report:" >&2
        grep -E "invariant broken|ERROR: |SUMMARY|Test unit written" "$log" >&2 || tail -20 "$log" >&2
        status=1
    fi
done
exit $status
