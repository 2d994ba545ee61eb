# shellcheck shell=bash
# The `db` figure of bench/bench.sh (issue #18): MariaDB on a shared disk, failed over with
# fencing, as the suite's faults run it (Tests/lib/db_fault.sh: a fresh two-machine cluster per
# run, in its own namespaces, with a writer that commits a row every few ms through the floating
# address). Per fault and mode, RUNS runs: the write outage (the longest gap between two
# acknowledged writes), fault -> first write answered again, fault -> fenced, fenced -> mysqld
# started on the peer, mysqld started -> first write (InnoDB's start and recovery), lost and
# duplicated writes, double mounts. The fault's checks (no write lost, ...) are the suite's; a run
# that broke one is noted.
#   DB_FAULTS="standby:ocf standby:lsb kill:ocf kill:lsb poweroff:ocf cut:ocf mysqld:ocf fencefail:ocf"
DB_FAULTS=${DB_FAULTS:-standby:ocf standby:lsb kill:ocf kill:lsb poweroff:ocf cut:ocf mysqld:ocf fencefail:ocf}
# shellcheck source=Tests/lib/db_suite.sh
source "$ROOT/Tests/lib/db_suite.sh"

# run_db RUN: each fault of DB_FAULTS once.
run_db() {
    local r=$1 spec fault mode base figure unit value
    for spec in $DB_FAULTS; do
        fault=${spec%%:*} mode=${spec#*:} base=$WORK/db-$fault-$mode-$r
        if ! db_fault_run "$base.out" "$base.json" "$fault" "$mode" rep="$r"; then
            note ours "$r" "db $fault ($mode): the run failed: $(grep -E 'FAIL|^    [a-z]' "$base.out" | tail -3 | tr '\n' ' ')"
        fi
        [ -s "$base.json" ] || continue
        progress "  db $fault ($mode) run $r: $(python3 "$ROOT/Tests/lib/db_report.py" line < "$base.json")"
        while IFS=$'\t' read -r figure unit value; do
            record "$figure" "$unit" ours "$r" "$value"
        done < <(python3 "$ROOT/Tests/lib/db_report.py" figures < "$base.json")
    done
}
