#!/usr/bin/env bash
# MariaDB on a shared disk (issue #18): the owner crashes. kill -9 of node1's heartbeat alone
# (mysqld and the mount live on, so node2 must power node1 off before it mounts the disk), with
# the OCF agent and with the LSB script, and node1's plug pulled. Each run is a fresh cluster
# (Tests/lib/db_fault.sh): no acknowledged write lost or duplicated, never two mounts, InnoDB
# recovered cleanly on node2. DB_REPS runs of each (1).
source "$(dirname "$0")/lib.sh"
# shellcheck source=Tests/lib/db_suite.sh
source "$ROOT/Tests/lib/db_suite.sh"
run_fault kill ocf
run_fault kill lsb
run_fault poweroff ocf
db_table
