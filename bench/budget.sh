# shellcheck shell=bash
# The `budget` figure of bench/bench.sh: the shortest detection budget at which each
# implementation holds a floating address for BUDGET_SECONDS under the bench's CPU and I/O hogs
# without a false failover, and the client's outage after a node loss at that budget. Ours and
# keepalived run side by side on the hosts of the keepalived figure (vip.sh), under the same hogs
# at the same time; budgets are tried from the shortest, and an implementation stops at its first
# safe one. See bench/README.md.

BUDGET_SECONDS=${BUDGET_SECONDS:-600}
BUDGETS_OURS=${BUDGETS_OURS:-5ms/20ms 10ms/40ms 15ms/60ms 20ms/100ms 50ms/300ms 100ms/400ms 200ms/600ms}
BUDGETS_KEEPALIVED=${BUDGETS_KEEPALIVED:-0.02 0.05 0.1 0.2}

# budget_ms IMPL BUDGET: the detection budget in ms. Ours: deadtime. keepalived: the backup's
# master down interval, 3 x advert_int + skew, skew = (256 - priority) / 256 x advert_int (priority 100).
budget_ms() {
    if [ "$1" = ours ]; then secs_to_ms "${2#*/}"
    else awk -v a="$2" 'BEGIN { printf "%.0f", (3 + 156 / 256) * a * 1000 }'; fi
}
# budget_at IMPL STEP: IMPL's budget of STEP (1 = the shortest).
budget_at() {
    local list=$BUDGETS_OURS
    [ "$1" = ours ] || list=$BUDGETS_KEEPALIVED
    echo "$list" | tr ' ' '\n' | grep . | sed -n "$2p"
}
# state_changes IMPL: ours' "is dead" lines, keepalived's "Entering … STATE" lines, both nodes.
# Once the owner holds the address each of them is a false failover: nobody died.
state_changes() {
    local h n=0 c
    for h in $(vip_hosts "$1"); do
        if [ "$1" = ours ]; then c=$(count_log "$h" "is dead")
        else c=$(grep -c "Entering .* STATE" "$WORK/node$h/out" 2>/dev/null); fi
        n=$(( n + ${c:-0} ))
    done
    echo "$n"
}

# run_budget: the soak of each step, then RUNS node losses at each implementation's safe budget.
run_budget() {
    local step=0 impl pending="ours keepalived" left up budget half marks r a b safe
    declare -A SAFE before
    half=$(( BUDGET_SECONDS / 2 ))
    while [ -n "$pending" ] && [ -n "$(budget_at ours $(( step + 1 )))$(budget_at keepalived $(( step + 1 )))" ]; do
        step=$(( step + 1 )); up=""; marks=""
        for impl in $pending; do
            budget=$(budget_at "$impl" "$step")
            [ -n "$budget" ] && vip_launch "$impl" "$budget"
        done
        for impl in $pending; do
            [ -n "$(budget_at "$impl" "$step")" ] || continue
            vip_up "$impl" "$step" && up="$up $impl"
        done
        for impl in $up; do before[$impl]=$(state_changes "$impl"); done
        progress "  step $step:$(for impl in $up; do printf ' %s %s (%s ms),' "$(label "$impl")" "$(budget_at "$impl" "$step")" "$(budget_ms "$impl" "$(budget_at "$impl" "$step")")"; done) ${half}s of $(nproc) CPU hogs, then ${half}s of $(nproc) I/O hogs"
        hog cpu "$half"
        hog io "$half"
        for impl in $up; do
            marks=$(( $(state_changes "$impl") - before[$impl] ))
            record "budget_step${step}_false_failovers" count "$impl" 1 "$marks"
            progress "  $(label "$impl") $(budget_at "$impl" "$step"): $marks false failovers in ${BUDGET_SECONDS}s"
            [ "$marks" != 0 ] || SAFE[$impl]=$(budget_at "$impl" "$step")
        done
        vip_teardown
        left=""
        for impl in $pending; do [ -n "${SAFE[$impl]:-}" ] || left="$left $impl"; done
        pending=${left# }
    done
    for impl in $pending; do note "$impl" 1 "FAILED: no budget of \"$(if [ "$impl" = ours ]; then echo "$BUDGETS_OURS"; else echo "$BUDGETS_KEEPALIVED"; fi)\" ran ${BUDGET_SECONDS}s under the hogs without a false failover"; done
    [ ${#SAFE[@]} -gt 0 ] || return 0
    safe=$(for impl in ours keepalived; do [ -z "${SAFE[$impl]:-}" ] || echo "$impl"; done)
    for impl in $safe; do
        record budget_safe_detection ms "$impl" 1 "$(budget_ms "$impl" "${SAFE[$impl]}")"
        progress "  $(label "$impl"): safe at ${SAFE[$impl]} ($(budget_ms "$impl" "${SAFE[$impl]}") ms)"
        [ "${SAFE[$impl]}" != "$(budget_at "$impl" 1)" ] || note "$impl" 1 "safe at the shortest budget tried (${SAFE[$impl]}): a shorter one may be safe too"
    done
    for r in $(seq 1 "$RUNS"); do
        up=""
        for impl in $safe; do vip_launch "$impl" "${SAFE[$impl]}"; client_ping "$impl"; done
        for impl in $safe; do vip_up "$impl" "$r" && up="$up $impl"; done
        for impl in $up; do
            read -r a b <<< "$(vip_hosts "$impl")"
            vip_event "$impl" "$r" budget_safe_node_loss "kill -9 $(kill_pids "$a"); detach $a" 10 holds "$b"
        done
        vip_teardown
    done
}
