#!/usr/bin/env bash
# MariaDB on a shared disk (issue #18): every link between the nodes cut while both live and the
# client still reaches both. Both declare the other dead; node1 runs the group, so it resets node2
# first (node2's own attempt waits the priority fencing delay): heartbeat runs on node1 alone
# afterwards, node2 holds nothing, no write is lost and the disk is never mounted twice.
source "$(dirname "$0")/lib.sh"
# shellcheck source=Tests/lib/db_suite.sh
source "$ROOT/Tests/lib/db_suite.sh"
run_fault cut ocf
db_table
