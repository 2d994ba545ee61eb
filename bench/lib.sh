# shellcheck shell=bash
# Helpers for bench/bench.sh: two hosts in network namespaces on one bridge, our daemon or the
# real Heartbeat 3.0.6 on each, and the measurements (Dummy log stamps, /proc, link counters).
# Adapted from Tests/integration/lib.sh (which the benchmark does not change): here the 3.0.6
# node's files are prepared before the clock starts, kills use precomputed PIDs and the shell's
# builtin kill (no fork between the time stamp and the signal), and every process is tracked.
# Traffic stays inside the namespaces created here (10.77.0.x); nothing leaves the machine.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${HB_BIN:-$ROOT/.build/release}
HB306=/usr/libexec/heartbeat/heartbeat
PREFIX=hbb$$            # namespace and link prefix, unique per benchmark run
WORK=$(mktemp -d /tmp/hb-bench.XXXXXX)
NAMESPACES=()
PIDS=()                 # every background process we started (daemons, tcpdump, CPU hogs)

say() { printf '%s\n' "$*" >&2; }
now_us() { echo "${EPOCHREALTIME/./}"; }           # no fork: bash 5's clock, microseconds
now_ns() { echo "${EPOCHREALTIME/./}000"; }

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        # A 3.0.6 node is `unshare` plus the PID-1 of its namespace: killing that ends the namespace.
        for child in $(child_pids "$pid"); do kill -9 "$child" 2>/dev/null; done
        kill -9 "$pid" 2>/dev/null
    done
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
    if [ -n "${KEEP_WORK:-}" ]; then say "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}

# child_pids PID: direct children (from /proc, no pgrep pattern matching).
child_pids() {
    local f
    cat "/proc/$1/task/"*/children 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' || true
}
# tree_pids PID: PID and all its descendants.
tree_pids() {
    local p todo=("$1") out=()
    while [ ${#todo[@]} -gt 0 ]; do
        p=${todo[0]}; todo=("${todo[@]:1}")
        [ -d "/proc/$p" ] || continue
        out+=("$p")
        # shellcheck disable=SC2207
        todo+=($(child_pids "$p"))
        [ ${#out[@]} -lt 200 ] || break
    done
    echo "${out[@]}"
}

# shellcheck source=Tests/integration/netns.sh
source "$ROOT/Tests/integration/netns.sh"

# configure I KEEPALIVE WARNTIME DEADTIME INITDEAD: ha.cf, authkeys, haresources (node1 web,
# node2 db, both Dummy) and the node's own Dummy state directory and call log.
configure() {
    local i=$1 dir=$WORK/node$1
    rm -rf "$dir"; mkdir -p "$dir/etc" "$dir/state" "$dir/run" "$dir/rsc"
    {
        echo "logfile $dir/ha-log"
        echo "debugfile $dir/ha-debug"
        echo "udpport 694"
        echo "keepalive $2"
        echo "warntime $3"
        echo "deadtime $4"
        echo "initdead $5"
        echo "ucast eth0 10.77.0.1"
        echo "ucast eth0 10.77.0.2"
        echo "auto_failback on"
        echo "node node1 node2"
    } > "$dir/etc/ha.cf"
    printf 'auth 1\n1 sha1 bench-secret\n' > "$dir/etc/authkeys"
    chmod 600 "$dir/etc/authkeys"
    printf 'node1 Dummy::web\nnode2 Dummy::db\n' > "$dir/etc/haresources"
    ln -sfn "$ROOT/resource.d" "$dir/etc/resource.d"
    : > "$dir/dummy.log"
}

node_env() { echo "DUMMY_STATE_DIR=$WORK/node$1/rsc DUMMY_LOG=$WORK/node$1/dummy.log"; }

# prepare IMPL I: everything before the launch (3.0.6: its own /etc/ha.d and /var/lib/heartbeat).
prepare() {
    local dir=$WORK/node$2
    [ "$1" = 306 ] || return 0
    mkdir -p "$dir/ha.d" "$dir/varlib"
    cp -a /etc/ha.d/harc /etc/ha.d/rc.d /etc/ha.d/resource.d /etc/ha.d/shellfuncs "$dir/ha.d/"
    cp "$dir/etc/ha.cf" "$dir/etc/haresources" "$dir/etc/authkeys" "$dir/ha.d/"
    cp -L "$dir/etc/resource.d"/* "$dir/ha.d/resource.d/"
    cp -a /var/lib/heartbeat/. "$dir/varlib/"
}

# launch IMPL I: start the daemon (prepared) in namespace I; its PID goes to nodeI/pid.
launch() {
    local impl=$1 i=$2 dir=$WORK/node$2
    if [ "$impl" = ours ]; then
        # `ip netns exec` and `env` exec: the PID is the daemon's own.
        # shellcheck disable=SC2046
        ip netns exec "${PREFIX}-$i" env HA_CONFIG_DIR="$dir/etc" HA_STATE_DIR="$dir/state" HA_RUN_DIR="$dir/run" \
            HA_NODE_NAME="node$i" $(node_env "$i") "$BIN/heartbeat" -f >"$dir/out" 2>&1 &
    else
        # shellcheck disable=SC2046
        ip netns exec "${PREFIX}-$i" env $(node_env "$i") unshare --uts --mount --pid --fork --mount-proc bash -c "
            hostname node$i
            mount --bind $dir/ha.d /etc/ha.d
            mount --bind $dir/varlib /var/lib/heartbeat
            mount -t tmpfs tmpfs /run
            mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/resource-agents
            chown -R hacluster:haclient /run/heartbeat
            chmod 750 /run/heartbeat
            ulimit -l unlimited
            exec $HB306 -f" >"$dir/out" 2>&1 &
    fi
    PIDS+=($!)
    echo $! > "$dir/pid"
    disown $!   # no "Killed" job reports; stop_node polls /proc instead of waiting
    echo "$impl" > "$dir/impl"
}

# node_pids I: the implementation's processes of node I (3.0.6: the `unshare` wrapper's
# descendants — master, FIFO reader, read/write children per medium; ours: the daemon and its children).
node_pids() {
    local pid inner
    pid=$(cat "$WORK/node$1/pid")
    if [ "$(cat "$WORK/node$1/impl")" = ours ]; then
        tree_pids "$pid"
    else
        inner=$(child_pids "$pid" | head -1)
        [ -n "$inner" ] && tree_pids "$inner"
    fi
}

# kill_pids I: the PIDs whose SIGKILL ends node I (computed before the clock starts).
kill_pids() {
    local pid
    pid=$(cat "$WORK/node$1/pid")
    if [ "$(cat "$WORK/node$1/impl")" = ours ]; then tree_pids "$pid"
    else echo "$(child_pids "$pid" | head -1) $pid"; fi
}

# stop_node I: kill -9 node I and wait (bounded) until its processes are gone.
stop_node() {
    local pids p
    [ -f "$WORK/node$1/pid" ] || return 0
    pids=$(kill_pids "$1")
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null
    for _ in $(seq 1 200); do
        local alive=
        for p in $pids; do [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && alive=1; done
        [ -z "$alive" ] && break
        sleep 0.02
    done
    for p in $pids; do wait "$p" 2>/dev/null; done
    rm -f "$WORK/node$1/pid"
    return 0
}

# in_306 I CMD...: run a command inside the 3.0.6 node's namespaces.
in_306() {
    local i=$1 inner; shift
    inner=$(child_pids "$(cat "$WORK/node$i/pid")" | head -1)
    nsenter --target "$inner" --mount --uts --net --pid "$@"
}

# started_ns I INSTANCE: the nanosecond stamp of the first start of INSTANCE in node I's Dummy log.
started_ns() { awk -v inst="$2" '$3 == inst && $4 == "start" { print $1; exit }' "$WORK/node$1/dummy.log"; }

# wait_started I INSTANCE TIMEOUT_S: wait (bounded) for the start; prints its stamp (ns).
wait_started() {
    local deadline=$(( $(now_us) + $3 * 1000000 )) t
    while [ "$(now_us)" -lt "$deadline" ]; do
        t=$(started_ns "$1" "$2")
        [ -n "$t" ] && { echo "$t"; return 0; }
        sleep 0.01
    done
    return 1
}

# wait_log I PATTERN TIMEOUT_S: wait (bounded) until node I's ha-log matches.
wait_log() {
    local deadline=$(( $(now_us) + $3 * 1000000 ))
    while ! grep -q -- "$2" "$WORK/node$1/ha-log" 2>/dev/null; do
        [ "$(now_us)" -lt "$deadline" ] || return 1
        sleep 0.02
    done
}

# sleep_until US: sleep until the clock (microseconds) reaches US.
sleep_until() {
    local left=$(( $1 - $(now_us) ))
    [ "$left" -le 0 ] || sleep "$(printf '%d.%06d' $(( left / 1000000 )) $(( left % 1000000 )))"
}

# cpu_ticks PIDS...: utime+stime+cutime+cstime summed (clock ticks); reaped children count too.
cpu_ticks() {
    local p sum=0 f
    for p in "$@"; do
        f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        f=${f##*) }   # fields after "(comm) "; field 3 of stat is now $1
        # shellcheck disable=SC2086
        set -- $f
        sum=$(( sum + ${12} + ${13} + ${14} + ${15} ))
    done
    echo "$sum"
}
# mem_kb PIDS...: "RSS PSS" summed (kB).
mem_kb() {
    local p rss=0 pss=0 v
    for p in "$@"; do
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null); rss=$(( rss + ${v:-0} ))
        v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null); pss=$(( pss + ${v:-0} ))
    done
    echo "$rss $pss"
}
# link_counters I: "tx_packets tx_bytes rx_packets rx_bytes" of eth0 in namespace I.
link_counters() {
    # shellcheck disable=SC2016 # expanded by the inner sh
    ip netns exec "${PREFIX}-$1" sh -c 'cd /sys/class/net/eth0/statistics && echo $(cat tx_packets tx_bytes rx_packets rx_bytes)'
}
