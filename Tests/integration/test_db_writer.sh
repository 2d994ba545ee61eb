#!/usr/bin/env bash
# The database suite's client (Tests/db/writer.py) against a real MariaDB: namespace 1 runs the
# server (its files under $WORK, never the host's), namespace 2 the writer.
#  1. inserts are acknowledged and recorded;
#  2. the table locked for 1.5 s: inserts time out, their outcome is recorded "unknown" and
#     resolved after reconnecting (found, or absent and sent again with the same id);
#  3. mariadbd killed with SIGKILL mid-run and started again: the writer reconnects;
#  4. verify: every acknowledged id is in the table, none twice, no row unexplained, and both
#     outages are reported;
#  5. verify fails (exit 1, lost 1) once an acknowledged row is deleted;
#  6. SIGTERM ends the writer cleanly.
source "$(dirname "$0")/lib.sh"
source "$ROOT/Tests/lib/db.sh"
make_namespaces 2
DB_ADDRESS=10.77.0.1   # the server's own address: no cluster, no floating address here
DATA=$DB_DIR/data
SOCKET=$DB_DIR/mysqld.sock
mkdir -p "$DATA"
install_db "$DATA"
chown mysql:mysql "$DB_DIR"

start_server() {
    ip netns exec "${PREFIX}-1" /usr/sbin/mariadbd --defaults-file="$DB_CNF" --datadir="$DATA" \
        --socket="$SOCKET" --pid-file="$DB_DIR/mysqld.pid" --log-error="$DB_DIR/error.log" >>"$DB_DIR/server.out" 2>&1 &
    SERVER=$!
    track "$SERVER"; disown "$SERVER"
    wait_until 30000 sql "SELECT 1" >/dev/null || { tail "$DB_DIR/error.log"; fail "MariaDB did not start"; }
}
sql() { mariadb --no-defaults --socket="$SOCKET" -u root -N -e "$1" "$DB_NAME" 2>/dev/null; }
acked() { local n; n=$(grep -c '^ack ' "$WORK/writes" 2>/dev/null); echo "${n:-0}"; }
# writer ARGS...: the writer in namespace 2, in the background ($WRITER).
writer() {
    # shellcheck disable=SC2046 # the command's words
    ip netns exec "${PREFIX}-2" $(db_writer_command run) --out "$WORK/writes" "$@" &
    WRITER=$!
    track "$WRITER"; disown "$WRITER"
}
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

start_server
log "1. writes are acknowledged"
writer --until-file "$WORK/stop" --interval-ms 2
wait_until 20000 at_least 200 acked >/dev/null || fail "fewer than 200 writes acknowledged in 20 s: $(acked)"

log "2. table locked for 1.5 s: unknown outcomes, resolved"
sql "LOCK TABLES writes WRITE; SELECT SLEEP(1.5); UNLOCK TABLES" >/dev/null
before=$(acked)
wait_until 10000 at_least $(( before + 200 )) acked >/dev/null || fail "no writes after the lock"
grep -q '^unknown ' "$WORK/writes" || fail "a 1.5 s lock gave no unknown outcome (timeout 500 ms)"
grep -q -E '^(found|absent) ' "$WORK/writes" || fail "the unknown outcome was never resolved"

log "3. mariadbd killed mid-run, started again"
kill -9 "$SERVER"
wait_until 5000 gone "$SERVER" >/dev/null || fail "mariadbd survived SIGKILL"
sleep 0.5
start_server
before=$(acked)
wait_until 20000 at_least $(( before + 200 )) acked >/dev/null || fail "the writer did not resume after the restart"
touch "$WORK/stop"
wait_until 5000 gone "$WRITER" >/dev/null || fail "the writer ignored its until-file"

log "4. verify"
# shellcheck disable=SC2046
report=$(ip netns exec "${PREFIX}-2" $(db_writer_command verify) --out "$WORK/writes") || fail "verify failed: $report"
log "$report"
[ "$(field "$report" lost)" = 0 ] || fail "acknowledged writes lost: $report"
[ "$(field "$report" duplicated)" = 0 ] || fail "duplicated: $report"
[ "$(field "$report" unexplained)" = 0 ] || fail "rows never sent: $report"
[ "$(field "$report" unknown)" -ge 1 ] || fail "no unknown outcome counted: $report"
[ "$(field "$report" acked)" = "$(acked)" ] || fail "acked count differs from the file's $(acked)"
outages=$(/usr/bin/python3 -c "import json,sys; print(len(json.loads(sys.argv[1])['outages']))" "$report")
[ "$outages" -ge 2 ] || fail "the lock and the kill should give two outages over 200 ms: $report"
rows=$(sql "SELECT COUNT(*) FROM writes")
[ "$rows" = "$(field "$report" rows)" ] || fail "rows: table $rows, report $(field "$report" rows)"
[ "$rows" = $(( $(field "$report" acked) + $(field "$report" found) )) ] || fail "rows are not acked + found: $report"

log "5. a deleted acknowledged row is reported lost"
sql "DELETE FROM writes WHERE id = 5"
# shellcheck disable=SC2046
if report=$(ip netns exec "${PREFIX}-2" $(db_writer_command verify) --out "$WORK/writes" 2>/dev/null); then
    fail "verify passed with an acknowledged row missing: $report"
fi
[ "$(field "$report" lost)" = 1 ] || fail "expected lost 1: $report"

log "6. SIGTERM ends the writer"
: > "$WORK/writes"
sql "DELETE FROM writes"
writer --seconds 60
wait_until 10000 at_least 20 acked >/dev/null || fail "the second writer wrote nothing"
kill -TERM "$WRITER"
wait_until 3000 gone "$WRITER" >/dev/null || fail "the writer ignored SIGTERM"
# shellcheck disable=SC2046
report=$(ip netns exec "${PREFIX}-2" $(db_writer_command verify) --out "$WORK/writes") || fail "verify after SIGTERM: $report"
log "$report"
log "PASS"
