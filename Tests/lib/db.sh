# shellcheck shell=bash
# MariaDB on the shared disk, for the database suite (Tests/integration/test_db_*.sh), bench/ and
# demo/: sourced after Tests/lib/nodes.sh and Tests/lib/machines.sh.
#
#   prepare_db_disk          a fresh database on $SHARED_DISK (the test database, table, user)
#   use_db I MODE            nodeI runs the database group: haresources (db_haresources MODE),
#                            resource.d with the LSB script, its environment
#   db_haresources MODE      the group line, MODE ocf (resource-agents' mysql through OCF) or lsb
#   db_monitors              a monitors file that restarts a dead mariadbd in place
#   db_writer_command run|verify   Tests/db/writer.py's command with the address and credentials
#   db_answers I             the database answers inside machine I (over its socket)
#   innodb_clean I           machine I's MariaDB error log shows a clean start
#
# Inside a machine MariaDB uses /var/lib/mysql (the shared disk's mount point), /run/mysqld and
# /var/log/mysql (private to the machine): see Tests/db/my.cnf.

require "mariadb-server (apt-get install mariadb-server)" test -x /usr/sbin/mariadbd
require "python3-pymysql (apt-get install python3-pymysql)" /usr/bin/python3 -c "import pymysql"

DB_ADDRESS=10.77.0.100
DB_NAME=hbtest
DB_USER=writer
DB_PASSWORD=writer-secret
DB_DIR=$WORK/db
DB_CNF=$DB_DIR/my.cnf
DB_WRITER=$ROOT/Tests/db/writer.py

# The agent starts mariadbd as mysql, which must reach my.cnf: $WORK may be traversed, not listed.
mkdir -p "$DB_DIR"
chmod 711 "$WORK"
install -m 644 "$ROOT/Tests/db/my.cnf" "$DB_CNF"

# install_db DIR: a new MariaDB data directory in DIR (empty, owned by mysql) with the suite's
# database, table `writes` and user (password login from anywhere, and from the socket: the
# agent's monitor logs in as it). The server runs twice in bootstrap mode, without networking,
# and reads no host configuration (--no-defaults), so nothing outside DIR is touched.
install_db() {
    local dir=$1 out=$DB_DIR/install.log
    chown mysql:mysql "$dir"
    if ! mariadb-install-db --no-defaults --user=mysql --datadir="$dir" --skip-test-db \
        --innodb-log-file-size=16M --innodb-buffer-pool-size=32M --auth-root-authentication-method=socket \
        >"$out" 2>&1; then
        grep -E '\[ERROR\]|error|denied' "$out" | head -20 | sed 's/^/      /'
        fail "mariadb-install-db failed in $dir (its output: $out)"
    fi
    /usr/sbin/mariadbd --no-defaults --bootstrap --user=mysql --datadir="$dir" \
        --innodb-log-file-size=16M --innodb-buffer-pool-size=32M >>"$out" 2>&1 <<EOF || fail "the suite's schema could not be created in $dir (see $out)"
FLUSH PRIVILEGES;
CREATE DATABASE $DB_NAME;
CREATE TABLE $DB_NAME.writes (id BIGINT PRIMARY KEY, node VARCHAR(32), at TIMESTAMP(6)) ENGINE=InnoDB;
CREATE USER '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'%';
GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'localhost';
EOF
}

# prepare_db_disk: a fresh database on $SHARED_DISK. The first call of a run installs it (some
# seconds); later calls copy that first install, kept in $DB_DIR. The disk is mounted in a private
# mount namespace of its own, never on the host: a namespace made on the host meanwhile (any
# `ip netns exec`, another test's machine) would copy a host mount and keep the disk busy after
# the unmount, for as long as it lives.
prepare_db_disk() {
    [ -n "${SHARED_DISK:-}" ] || fail "prepare_db_disk: no SHARED_DISK (make_shared_disk first)"
    mkdir -p "$DB_DIR/mnt"
    unshare --mount --propagation private -- bash -c \
        "$(declare -f fill_db_disk install_db log fail); $(declare -p DB_DIR DB_NAME DB_USER DB_PASSWORD SHARED_DISK); fill_db_disk" \
        || fail "prepare_db_disk: no database on $SHARED_DISK"
}

# fill_db_disk: prepare_db_disk's work, inside its mount namespace.
fill_db_disk() {
    local mnt=$DB_DIR/mnt template=$DB_DIR/template.tar
    mount -t ext4 "$SHARED_DISK" "$mnt" || fail "cannot mount $SHARED_DISK"
    find "$mnt" -mindepth 1 -maxdepth 1 ! -name lost+found -exec rm -rf {} +
    if [ -f "$template" ]; then
        tar -C "$mnt" -xpf "$template" || fail "cannot unpack $template"
    else
        install_db "$mnt"
        tar -C "$mnt" --exclude=./lost+found -cpf "$template" . || fail "cannot save $template"
    fi
    chown mysql:mysql "$mnt"
    umount "$mnt" || fail "cannot unmount $mnt"
}

# db_haresources MODE: the group for node1 as preferred owner: the floating address, the shared
# disk on the data directory, then MariaDB: MODE ocf runs resource-agents' ocf:heartbeat:mysql
# through our OCF wrapper (mariadbd itself rather than mysqld_safe, so that a crash is the
# cluster's to see and restart; the start returns once the test user's query answers); MODE lsb
# runs Tests/db/mariadb-lsb by name from resource.d, as an init script.
db_haresources() {
    local database
    case $1 in
        ocf) database="OCF::mysql::binary=/usr/sbin/mariadbd::config=$DB_CNF::datadir=/var/lib/mysql"
             database+="::socket=/run/mysqld/mysqld.sock::pid=/run/mysqld/mysqld.pid::log=/var/log/mysql/error.log"
             database+="::test_user=$DB_USER::test_passwd=$DB_PASSWORD::test_table=$DB_NAME.writes" ;;
        lsb) database=mariadb-lsb ;;
        *) fail "db_haresources: MODE is ocf or lsb, not '$1'" ;;
    esac
    echo "node1 IPaddr2::$DB_ADDRESS/24/eth0 Filesystem::$SHARED_DISK::/var/lib/mysql::ext4 $database"
}

# use_db I MODE: nodeI's haresources is the database group; its resource.d holds the repository's
# scripts plus mariadb-lsb, which reads $DB_CNF (MARIADB_CNF in nodeI/env).
use_db() {
    local dir=$WORK/node$1 script
    db_haresources "$2" > "$dir/etc/haresources"
    rm -rf "$dir/etc/resource.d"; mkdir -p "$dir/etc/resource.d"
    for script in "$ROOT"/resource.d/*; do ln -sfn "$script" "$dir/etc/resource.d/"; done
    ln -sfn "$ROOT/Tests/db/mariadb-lsb" "$dir/etc/resource.d/mariadb-lsb"
    echo "MARIADB_CNF=$DB_CNF" >> "$dir/env"
}

# db_monitors: the group's monitors file: a TCP connect to the database through the floating
# address every 500 ms; two failures in a row restart the group in place (up to twice in ten
# minutes, then it moves).
db_monitors() {
    echo "IPaddr2::$DB_ADDRESS/24/eth0 tcp:$DB_ADDRESS:3306 interval=500ms timeout=400ms fall=2 on_fail=restart restarts=2 window=10m name=db"
}

# db_writer_command run|verify: the words of the client's command with the floating address and
# credentials; the caller adds --out FILE and the rest and runs it on the client host:
#   ip netns exec "${PREFIX}-3" $(db_writer_command run) --out "$WORK/writes" --until-file "$WORK/stop" &
db_writer_command() {
    echo /usr/bin/python3 "$DB_WRITER" "$1" --host "$DB_ADDRESS" --user "$DB_USER" --password "$DB_PASSWORD"
}

# db_answers I: MariaDB answers a query in machine I (over its socket, as the suite's user).
db_answers() {
    on_machine "$1" mariadb --defaults-file="$DB_CNF" --connect-timeout=1 -u "$DB_USER" -p"$DB_PASSWORD" \
        -N -e "SELECT 1" "$DB_NAME" >/dev/null 2>&1
}

# innodb_clean I: machine I's MariaDB error log shows a start that reached "ready for
# connections" and no sign of damage (crash recovery is fine). Prints the offending lines.
innodb_clean() {
    local text bad
    text=$(on_machine "$1" cat /var/log/mysql/error.log 2>/dev/null) || { log "node$1: no MariaDB error log"; return 1; }
    bad=$(printf '%s\n' "$text" | grep -E -i 'corrupt|\[ERROR\] InnoDB|Assertion' || true)
    if [ -n "$bad" ]; then
        log "node$1: InnoDB is not clean:"; printf '%s\n' "$bad" | sed 's/^/      /'
        return 1
    fi
    printf '%s\n' "$text" | grep -q "ready for connections" && return 0
    log "node$1: MariaDB never reported ready for connections"
    return 1
}
