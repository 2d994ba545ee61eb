#!/usr/bin/env bash
# `make demo-db` (issue #18) runs to its end: the kill -9 of the owner's heartbeat is fenced and
# taken over, the group returns to node1, no acknowledged row is lost, the disk watch saw no
# double mount, and nothing of the demo is left: no namespace, loop device, mount, process or
# work directory.
source "$(dirname "$0")/lib.sh"
# shellcheck source=Tests/lib/db_suite.sh
source "$ROOT/Tests/lib/db_suite.sh"
out=$WORK/demo-db.out
HB_BIN=$BIN timeout 300 bash "$ROOT/demo/demo-db.sh" > "$out" 2>&1 &
demo=$!
wait "$demo"; rc=$?
# The client's live line is redrawn with carriage returns: one line each for grep.
tr '\r' '\n' < "$out" > "$out.lines"
[ "$rc" = 0 ] || { grep -v "rows acknowledged" "$out.lines" | tail -20; fail "make demo-db failed (exit $rc)"; }
grep -q "node2: reset node1 through the power switch" "$out.lines" || fail "the demo did not show node2 fencing node1"
grep -q "node1 runs the group again" "$out.lines" || fail "the group did not return to node1"
grep -qE "rows acknowledged: [1-9][0-9]*, lost: 0, duplicated: 0" "$out.lines" || fail "the demo's data check: $(grep "lost:" "$out.lines")"
grep -q "double mount: 0 moments" "$out.lines" || fail "the demo's disk watch: $(grep "double mount" "$out.lines")"
dir=$(grep -o "/tmp/hb-demo-db\.[A-Za-z0-9]*" "$out.lines" | head -1)
[ -n "$dir" ] || fail "the demo did not name its work directory"
left=$(db_leftovers "hbm$demo" "$dir")
[ -z "$left" ] || fail "make demo-db left behind: $left"
log "make demo-db: $(grep -o "write outage, kill -9 of the owner: [0-9]* ms" "$out.lines"), $(grep -o "rows acknowledged: [0-9]*, lost: 0" "$out.lines"); nothing left behind"
