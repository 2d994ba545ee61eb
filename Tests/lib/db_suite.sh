# shellcheck shell=bash
# The MariaDB suite's runner (issue #18), for Tests/integration/test_db_*.sh and bench/db.sh,
# sourced after Tests/lib/nodes.sh: each run of a fault is Tests/lib/db_fault.sh on a fresh
# cluster, in its own process with its own namespaces and work directory; after it this checks
# that nothing of it is left (namespace, loop device, mount, process, work directory).
#   DB_REPS (1)       runs of each fault
#   DB_RESULTS        where each run's figures go, one JSON line each ($WORK/db-results.jsonl)
DB_REPS=${DB_REPS:-1}
DB_RESULTS=${DB_RESULTS:-$WORK/db-results.jsonl}

# db_leftovers PREFIX WORKDIR: what a finished run left behind, one line each.
db_leftovers() {
    local prefix=$1 dir=$2 p
    ip netns list | awk -v p="$prefix-" 'index($1, p) == 1 { print "namespace " $1 }'
    losetup --list --noheadings --output NAME,BACK-FILE 2>/dev/null | awk -v d="$dir/" 'index($2, d) == 1 { print "loop device " $1 " on " $2 }'
    awk -v d="$dir/" 'index($2, d) == 1 { print "mount " $2 }' /proc/mounts
    [ ! -e "$dir" ] || echo "work directory $dir"
    for p in /proc/[0-9]*; do
        { tr '\0' '\n' < "$p/cmdline"; tr '\0' '\n' < "$p/environ"; } 2>/dev/null | grep -qF "$dir/" \
            && echo "process ${p#/proc/}: $(tr '\0' ' ' < "$p/cmdline" 2>/dev/null | cut -c1-100)"
    done
}

# db_fault_run OUT RESULTS FAULT MODE [KEY=VALUE...]: one run of Tests/lib/db_fault.sh (at most
# 10 minutes), its output in OUT; its exit code. In the background, so that an interrupt reaches
# the run as SIGTERM (`timeout` passes it on) and the run removes its cluster before we exit.
db_fault_run() {
    local out=$1 rc; shift
    timeout 600 bash "$ROOT/Tests/lib/db_fault.sh" "$2" "$3" "$1" "${@:4}" > "$out" 2>&1 &
    DB_RUN=$!
    trap 'kill -TERM "$DB_RUN"; wait "$DB_RUN"; exit 130' INT TERM
    wait "$DB_RUN"; rc=$?
    trap 'exit 130' INT TERM   # the EXIT trap then cleans up
    return "$rc"
}

# run_fault FAULT MODE: DB_REPS runs of FAULT (Tests/lib/db_fault.sh), each on a fresh cluster,
# each printing its figures. Fails the test at the first run that broke its promise or left
# something behind; exits 77 when a package is missing and SKIP_MISSING=1.
run_fault() {
    local fault=$1 mode=$2 rep out rc prefix dir left
    for rep in $(seq 1 "$DB_REPS"); do
        out=$WORK/db-$fault-$mode-$rep.out
        db_fault_run "$out" "$DB_RESULTS" "$fault" "$mode" rep="$rep"
        rc=$?
        [ "$rc" != 77 ] || { cat "$out"; exit 77; }
        read -r _ _ prefix _ dir < "$out"
        [ -n "${dir:-}" ] || { cat "$out"; fail "$fault ($mode) run $rep did not start"; }
        left=$(db_leftovers "$prefix" "$dir")
        if [ "$rc" != 0 ]; then
            sed 's/^/  /' "$out" | tail -40
            fail "$fault ($mode) run $rep failed${left:+; it left behind: $left}"
        fi
        log "$fault ($mode) run $rep: $(python3 "$ROOT/Tests/lib/db_report.py" line < <(tail -1 "$DB_RESULTS"))"
        [ -z "$left" ] || fail "$fault ($mode) run $rep left behind: $left"
    done
}

# db_table: the runs so far, per fault and mode (median and range of the timings).
db_table() { python3 "$ROOT/Tests/lib/db_report.py" table "$DB_RESULTS" | sed 's/^/    /'; }
