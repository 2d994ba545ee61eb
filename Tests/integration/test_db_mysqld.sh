#!/usr/bin/env bash
# MariaDB on a shared disk (issue #18): mysqld killed on the owner. The group's monitors (issue
# #17's health checks) restart it in place: it answers again on node1, node2 never mounts the
# disk, nobody is reset, no acknowledged write is lost.
source "$(dirname "$0")/lib.sh"
# shellcheck source=Tests/lib/db_suite.sh
source "$ROOT/Tests/lib/db_suite.sh"
run_fault mysqld ocf
db_table
