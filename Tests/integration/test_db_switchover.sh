#!/usr/bin/env bash
# MariaDB on a shared disk (issue #18): the planned switchover, hb_standby on the owner, with
# resource-agents' mysql agent through our OCF wrapper and with an LSB init script. Each run is a
# fresh two-machine cluster (Tests/lib/db_fault.sh): no acknowledged write lost or duplicated,
# the disk never mounted on two machines, InnoDB clean, no reset. DB_REPS runs of each (1).
source "$(dirname "$0")/lib.sh"
# shellcheck source=Tests/lib/db_suite.sh
source "$ROOT/Tests/lib/db_suite.sh"
run_fault standby ocf
run_fault standby lsb
db_table
