# Shared helpers for the network-namespace tests: real daemons, real sockets, veth links.
# Every namespace, link and process a test creates is removed by `cleanup` (trapped on exit).
# Traffic stays inside namespaces this file creates (10.77.x.x); nothing leaves the machine.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${HB_BIN:-$ROOT/.build/release}
PREFIX=hbt$$            # namespace and link prefix, unique per test run
WORK=$(mktemp -d /tmp/hb-it.XXXXXX)
NAMESPACES=()
PIDS=()

log() { printf '    %s\n' "$*"; }
fail() { printf '    FAIL: %s\n' "$*"; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

cleanup() {
    # A 3.0.6 node's master is the child of the `unshare` we started: end both.
    for pid in "${PIDS[@]}"; do pkill -9 -P "$pid" 2>/dev/null; kill -9 "$pid" 2>/dev/null; done
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
    if [ -n "${KEEP_WORK:-}" ]; then echo "    work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# shellcheck source=Tests/integration/netns.sh
source "$ROOT/Tests/integration/netns.sh"

# write_config NODE_INDEX MEDIA_LINES AUTH_LINE [EXTRA]: ha.cf, authkeys, haresources in $WORK/nodeI/etc.
write_config() {
    local i=$1 media=$2 auth=$3 extra=${4:-}
    local dir
    dir=$WORK/node$i
    mkdir -p "$dir/etc" "$dir/state" "$dir/run"
    {
        echo "logfile $dir/ha-log"
        echo "debugfile $dir/ha-debug"
        echo "udpport 694"
        echo "keepalive ${KEEPALIVE:-200ms}"
        echo "warntime ${WARNTIME:-600ms}"
        echo "deadtime ${DEADTIME:-1}"
        echo "initdead ${INITDEAD:-3}"
        printf '%b\n' "$media"
        echo "auto_failback on"
        echo "node ${NODES:-node1 node2}"
        printf '%b\n' "$extra"
    } > "$dir/etc/ha.cf"
    printf 'auth 1\n1 %s\n' "$auth" > "$dir/etc/authkeys"
    chmod 600 "$dir/etc/authkeys"
    : > "$dir/etc/haresources"
}

# start_ours I: our daemon for nodeI in namespace I.
start_ours() {
    local i=$1
    local dir=$WORK/node$i
    # NODE_ENV adds variables (e.g. DUMMY_STATE_DIR) that resource scripts inherit.
    # shellcheck disable=SC2086
    ip netns exec "${PREFIX}-$i" env HA_CONFIG_DIR="$dir/etc" HA_STATE_DIR="$dir/state" HA_RUN_DIR="$dir/run" \
        HA_NODE_NAME="node$i" ${NODE_ENV:-} "$BIN/heartbeat" -f >"$dir/out" 2>&1 &
    PIDS+=($!); disown $!
    echo $! > "$dir/pid"
}

# start_306 I: the real Heartbeat 3.0.6 for nodeI, with its own hostname, /etc/ha.d, state and /run.
start_306() {
    local i=$1
    local dir=$WORK/node$i
    mkdir -p "$dir/ha.d" "$dir/varlib"
    cp -a /etc/ha.d/harc /etc/ha.d/rc.d /etc/ha.d/resource.d /etc/ha.d/shellfuncs "$dir/ha.d/"
    cp "$dir/etc/ha.cf" "$dir/etc/haresources" "$dir/etc/authkeys" "$dir/ha.d/"
    # Resource scripts the test configured (e.g. our Dummy) join Debian's in resource.d.
    if [ -e "$dir/etc/resource.d" ]; then cp -L "$dir/etc/resource.d"/* "$dir/ha.d/resource.d/"; fi
    cp -a /var/lib/heartbeat/. "$dir/varlib/"
    # shellcheck disable=SC2086
    ip netns exec "${PREFIX}-$i" env ${NODE_ENV:-} unshare --uts --mount --pid --fork --mount-proc bash -c "
        hostname node$i
        mount --bind $dir/ha.d /etc/ha.d
        mount --bind $dir/varlib /var/lib/heartbeat
        mount -t tmpfs tmpfs /run
        # /run/lock (= /var/lock) holds the uucp lock files of its serial medium.
        mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/resource-agents /run/lock
        chown -R hacluster:haclient /run/heartbeat
        chmod 750 /run/heartbeat
        ulimit -l unlimited
        exec /usr/libexec/heartbeat/heartbeat -f" >"$dir/out" 2>&1 &
    PIDS+=($!); disown $!
    echo $! > "$dir/pid"
}

# in_306 I CMD...: run a command inside the 3.0.6 node's namespaces (e.g. cl_status).
in_306() {
    local i=$1; shift
    local inner
    inner=$(pgrep -P "$(cat "$WORK/node$i/pid")" | head -1)
    nsenter --target "$inner" --mount --uts --net --pid "$@"
}

# wait_log I PATTERN TIMEOUT_MS: wait until nodeI's log has a line matching PATTERN; prints the ms waited.
wait_log() {
    local i=$1 pattern=$2 timeout=$3 start
    start=$(now_ms)
    while ! grep -q -- "$pattern" "$WORK/node$i/ha-log" 2>/dev/null; do
        if [ $(( $(now_ms) - start )) -gt "$timeout" ]; then
            log "node$i log has no '$pattern' after ${timeout} ms; its log ends with:"
            tail -15 "$WORK/node$i/ha-log" 2>/dev/null | sed 's/^/      /'
            tail -5 "$WORK/node$i/out" 2>/dev/null | sed 's/^/      /'
            return 1
        fi
        sleep 0.01
    done
    echo $(( $(now_ms) - start ))
}

# kill_node I: kill -9 nodeI's daemon (and, for 3.0.6, its whole pid namespace).
kill_node() {
    local pid
    pid=$(cat "$WORK/node$1/pid")
    pkill -9 -P "$pid" 2>/dev/null
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# errors_in_306_log I: ERROR/CRIT lines of a 3.0.6 node, less the ones about its own environment.
errors_in_306_log() {
    grep -E "ERROR|CRIT" "$WORK/node$1/ha-log" | grep -v -E "core|Cannot lock ourselves|Logging daemon" || true
}

# capture I: record heartbeat packets arriving in namespace I (tcpdump, wall-clock timestamps).
capture() {
    ip netns exec "${PREFIX}-$1" tcpdump -i any -n -tt -l "udp port 694" >"$WORK/capture$1" 2>/dev/null &
    PIDS+=($!); disown $!
    sleep 0.3   # tcpdump needs a moment before it sees packets
}

# last_packet_ms I SOURCE_IP: when namespace I last received a packet from SOURCE_IP (ms since epoch).
last_packet_ms() {
    awk -v src="$2" '$0 ~ "IP " src "\\." { t = $1 } END { printf "%d\n", t * 1000 }' "$WORK/capture$1"
}
