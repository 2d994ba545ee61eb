#!/usr/bin/env bash
# MariaDB on a shared disk (issue #18): fencing. A power switch that refuses its first two
# requests: node2 retries and mounts the disk only after node1 is off. Then the same kill -9
# without STONITH: node2 mounts the disk while node1's mysqld still runs, and the disk watch must
# catch that double mount (expected: the proof that fencing matters), while `hbctl check` warns
# about a shared Filesystem in a cluster without STONITH.
source "$(dirname "$0")/lib.sh"
# shellcheck source=Tests/lib/db_suite.sh
source "$ROOT/Tests/lib/db_suite.sh"
run_fault fencefail ocf
run_fault nofence ocf
db_table
