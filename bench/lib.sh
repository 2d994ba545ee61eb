# shellcheck shell=bash
# Helpers for bench/bench.sh: hosts in network namespaces on one bridge, our daemon or the real
# Heartbeat 3.0.6 on each, and the measurements (Dummy log stamps, /proc, link counters).
# A host is a number H: namespace ${PREFIX}-H, address 10.77.0.H, files in $WORK/hH. A cluster is
# a list of hosts whose daemons are named node1, node2 … in that order and share a UDP port, so
# one cluster of ours and one of 3.0.6 can run side by side on the same bridge without hearing
# each other. 3.0.6 files are prepared before the clock starts, kills use precomputed PIDs and
# the shell's builtin kill (no fork between a time stamp and the signal), and every process
# started is recorded in $WORK/pids so that cleanup finds those of background workers too.
# Traffic stays inside the namespaces created here (10.77.0.x); nothing leaves the machine.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${HB_BIN:-$ROOT/.build/release}
HB306=/usr/libexec/heartbeat/heartbeat
PREFIX=hbb$$            # namespace and link prefix, unique per benchmark run
WORK=$(mktemp -d /tmp/hb-bench.XXXXXX)
NAMESPACES=()

say() { printf '%s\n' "$*" >&2; }
now_us() { echo "${EPOCHREALTIME/./}"; }           # no fork: bash 5's clock, microseconds
now_ns() { echo "${EPOCHREALTIME/./}000"; }
track() { echo "$1" >> "$WORK/pids"; }

cleanup() {
    local pid child
    while read -r pid; do
        # A 3.0.6 node is `unshare` plus the PID 1 of its namespace: killing that ends the namespace.
        for child in $(child_pids "$pid"); do kill -9 "$child" 2>/dev/null; done
        kill -9 "$pid" 2>/dev/null
    done < <(cat "$WORK/pids" 2>/dev/null)
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
    if [ -n "${KEEP_WORK:-}" ]; then say "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}

# child_pids PID: direct children (from /proc, no pgrep pattern matching).
child_pids() {
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

# configure H NAME PORT MEDIUM K W D I HOSTS…: ha.cf, authkeys and haresources of host H, which
# runs NAME in the cluster of HOSTS (its nodes are node1…nodeN in that order) on UDP port PORT.
# MEDIUM `ucast`: one ucast line per host; `bcast`: bcast on eth0. A two-node cluster gets
# haresources `node1 Dummy::web` and `node2 Dummy::db`; a larger one none (membership only).
configure() {
    local h=$1 name=$2 port=$3 medium=$4 k=$5 w=$6 d=$7 i=$8 dir=$WORK/h$1 n=0 host names=""
    shift 8
    rm -rf "$dir"; mkdir -p "$dir/etc" "$dir/state" "$dir/run" "$dir/rsc"
    for host in "$@"; do n=$(( n + 1 )); names="$names node$n"; done
    {
        echo "logfile $dir/ha-log"
        echo "debugfile $dir/ha-debug"
        echo "udpport $port"
        echo "keepalive $k"
        echo "warntime $w"
        echo "deadtime $d"
        echo "initdead $i"
        if [ "$medium" = bcast ]; then echo "bcast eth0"
        else for host in "$@"; do echo "ucast eth0 10.77.0.$host"; done; fi
        echo "auto_failback on"
        echo "node$names"
    } > "$dir/etc/ha.cf"
    printf 'auth 1\n1 sha1 bench-secret\n' > "$dir/etc/authkeys"
    chmod 600 "$dir/etc/authkeys"
    if [ $# = 2 ]; then printf 'node1 Dummy::web\nnode2 Dummy::db\n'; fi > "$dir/etc/haresources"
    ln -sfn "$ROOT/resource.d" "$dir/etc/resource.d"
    echo "$name" > "$dir/name"
    : > "$dir/dummy.log"
}

node_env() { echo "DUMMY_STATE_DIR=$WORK/h$1/rsc DUMMY_LOG=$WORK/h$1/dummy.log"; }

# prepare IMPL H: everything before the launch (3.0.6: its own /etc/ha.d and /var/lib/heartbeat).
prepare() {
    local dir=$WORK/h$2
    rm -rf "$dir/rsc"; mkdir -p "$dir/rsc"      # a (re)started node has no resource running
    [ "$1" = 306 ] || return 0
    rm -rf "$dir/ha.d"; mkdir -p "$dir/ha.d"
    cp -a /etc/ha.d/harc /etc/ha.d/rc.d /etc/ha.d/resource.d /etc/ha.d/shellfuncs "$dir/ha.d/"
    cp "$dir/etc/ha.cf" "$dir/etc/haresources" "$dir/etc/authkeys" "$dir/ha.d/"
    cp -L "$dir/etc/resource.d"/* "$dir/ha.d/resource.d/"
    # Kept across restarts of the host (configure starts afresh): a restart bumps its generation.
    [ -d "$dir/varlib" ] || { mkdir -p "$dir/varlib"; cp -a /var/lib/heartbeat/. "$dir/varlib/"; }
}

# launch IMPL H: start the daemon (prepared) in namespace H; its PID goes to hH/pid.
launch() {
    local impl=$1 h=$2 dir=$WORK/h$2 name
    name=$(cat "$dir/name")
    if [ "$impl" = ours ]; then
        # `ip netns exec` and `env` exec: the PID is the daemon's own.
        # shellcheck disable=SC2046
        ip netns exec "${PREFIX}-$h" env HA_CONFIG_DIR="$dir/etc" HA_STATE_DIR="$dir/state" HA_RUN_DIR="$dir/run" \
            HA_NODE_NAME="$name" $(node_env "$h") "$BIN/heartbeat" -f >>"$dir/out" 2>&1 &
    else
        # shellcheck disable=SC2046
        ip netns exec "${PREFIX}-$h" env $(node_env "$h") unshare --uts --mount --pid --fork --mount-proc bash -c "
            hostname $name
            mount --bind $dir/ha.d /etc/ha.d
            mount --bind $dir/varlib /var/lib/heartbeat
            mount -t tmpfs tmpfs /run
            mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/resource-agents
            chown -R hacluster:haclient /run/heartbeat
            chmod 750 /run/heartbeat
            ulimit -l unlimited
            exec $HB306 -f" >>"$dir/out" 2>&1 &
    fi
    track $!
    echo $! > "$dir/pid"
    disown $!   # no "Killed" job reports; stop_node polls /proc instead of waiting
    echo "$impl" > "$dir/impl"
}

# node_pids H: the implementation's processes on host H (3.0.6: the `unshare` wrapper's
# descendants — master, FIFO reader, read/write children per medium; ours: the daemon and its children).
node_pids() {
    local pid inner
    pid=$(cat "$WORK/h$1/pid")
    if [ "$(cat "$WORK/h$1/impl")" = ours ]; then
        tree_pids "$pid"
    else
        inner=$(child_pids "$pid" | head -1)
        [ -n "$inner" ] && tree_pids "$inner"
    fi
}

# kill_pids H: the PIDs whose SIGKILL ends host H's daemon (computed before the clock starts).
kill_pids() {
    local pid
    pid=$(cat "$WORK/h$1/pid")
    if [ "$(cat "$WORK/h$1/impl")" = ours ]; then tree_pids "$pid"
    else echo "$(child_pids "$pid" | head -1) $pid"; fi
}

# stop_node H: kill -9 host H's daemon and wait (bounded) until its processes are gone.
stop_node() {
    local pids p alive
    [ -f "$WORK/h$1/pid" ] || return 0
    pids=$(kill_pids "$1")
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null
    for _ in $(seq 1 200); do
        alive=
        for p in $pids; do [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && alive=1; done
        [ -z "$alive" ] && break
        sleep 0.02
    done
    rm -f "$WORK/h$1/pid"
    return 0
}

# in_306 H CMD...: run a command inside the 3.0.6 node's namespaces on host H.
in_306() {
    local h=$1 inner; shift
    inner=$(child_pids "$(cat "$WORK/h$h/pid")" | head -1)
    nsenter --target "$inner" --mount --uts --net --pid "$@"
}

# started_ns H INSTANCE [AFTER_NS]: the stamp (ns) of the first start of INSTANCE in host H's
# Dummy log that is later than AFTER_NS.
started_ns() {
    awk -v inst="$2" -v after="${3:-0}" '$3 == inst && $4 == "start" && $1 > after + 0 { print $1; exit }' "$WORK/h$1/dummy.log"
}

# running H INSTANCE: whether INSTANCE's last start or stop in host H's Dummy log was a start.
running() {
    awk -v inst="$2" '$3 == inst && ($4 == "start" || $4 == "stop") { last = $4 } END { exit last == "start" ? 0 : 1 }' "$WORK/h$1/dummy.log"
}

# wait_started H INSTANCE TIMEOUT_S [AFTER_NS]: wait (bounded) for the start; prints its stamp (ns).
wait_started() {
    local deadline=$(( $(now_us) + $3 * 1000000 )) t
    while [ "$(now_us)" -lt "$deadline" ]; do
        t=$(started_ns "$1" "$2" "${4:-0}")
        [ -n "$t" ] && { echo "$t"; return 0; }
        sleep 0.01
    done
    return 1
}

# count_log H PATTERN: lines of host H's log matching PATTERN.
count_log() { grep -c -- "$2" "$WORK/h$1/ha-log" 2>/dev/null || true; }

# wait_log_count H PATTERN N TIMEOUT_S: until host H's log has more than N lines matching.
wait_log_count() {
    local deadline=$(( $(now_us) + $4 * 1000000 ))
    while [ "$(count_log "$1" "$2")" -le "$3" ]; do
        [ "$(now_us)" -lt "$deadline" ] || return 1
        sleep 0.02
    done
}

# sleep_until US: sleep until the clock (microseconds) reaches US.
sleep_until() {
    local left=$(( $1 - $(now_us) ))
    [ "$left" -le 0 ] || sleep "$(printf '%d.%06d' $(( left / 1000000 )) $(( left % 1000000 )))"
}

# cpu_ns PIDS...: CPU time of every thread of PIDS, in ns (/proc/PID/task/*/schedstat: the
# scheduler's own nanosecond account, where /proc/PID/stat only has 10 ms ticks).
cpu_ns() {
    local p t sum=0 run
    for p in "$@"; do
        for t in /proc/"$p"/task/*/schedstat; do
            read -r run _ < "$t" 2>/dev/null || continue
            sum=$(( sum + run ))
        done
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
# link_counters H: "tx_packets tx_bytes rx_packets rx_bytes" of eth0 in namespace H.
link_counters() {
    # shellcheck disable=SC2016 # expanded by the inner sh
    ip netns exec "${PREFIX}-$1" sh -c 'cd /sys/class/net/eth0/statistics && echo $(cat tx_packets tx_bytes rx_packets rx_bytes)'
}
