# shellcheck shell=bash
# Helpers for bench/bench.sh: hosts in network namespaces on one bridge, our daemon or the real
# Heartbeat 3.0.6 on each, and the measurements (Dummy log stamps, /proc, link counters).
# A host is a number H: namespace ${PREFIX}-H, address 10.77.0.H, files in $WORK/nodeH (Tests/lib/nodes.sh). A cluster is
# a list of hosts whose daemons are named node1, node2 … in that order and share a UDP port, so
# one cluster of ours and one of 3.0.6 can run side by side on the same bridge without hearing
# each other. 3.0.6 files are prepared before the clock starts, kills use precomputed PIDs and
# the shell's builtin kill (no fork between a time stamp and the signal), and every process
# started is recorded in $WORK/pids so that cleanup finds those of background workers too.
# Traffic stays inside the namespaces created here (10.77.0.x); nothing leaves the machine.

PREFIX=hbb$$            # namespace and link prefix, unique per benchmark run
WORK=$(mktemp -d /tmp/hb-bench.XXXXXX)
# shellcheck source=Tests/lib/nodes.sh
source "$(dirname "${BASH_SOURCE[0]}")/../Tests/lib/nodes.sh"

say() { printf '%s\n' "$*" >&2; }
now_us() { echo "${EPOCHREALTIME/./}"; }           # no fork: bash 5's clock, microseconds
now_ns() { echo "${EPOCHREALTIME/./}000"; }

# configure H NAME PORT MEDIUM K W D I HOSTS…: ha.cf, authkeys and haresources of host H, which
# runs NAME in the cluster of HOSTS (its nodes are node1…nodeN in that order) on UDP port PORT.
# MEDIUM `ucast`: one ucast line per host; `bcast`: bcast on eth0. A two-node cluster gets
# haresources `node1 Dummy::web` and `node2 Dummy::db`; a larger one none (membership only).
configure() {
    local h=$1 name=$2 port=$3 medium=$4 k=$5 w=$6 d=$7 i=$8 n=0 host names="" media=""
    shift 8
    rm -rf "$WORK/node$h"
    for host in "$@"; do n=$(( n + 1 )); names="$names node$n"; done
    if [ "$medium" = bcast ]; then media="bcast eth0"
    else for host in "$@"; do media="$media${media:+\n}ucast eth0 10.77.0.$host"; done; fi
    UDPPORT=$port KEEPALIVE=$k WARNTIME=$w DEADTIME=$d INITDEAD=$i NODES=${names# } \
        write_config "$h" "$media" "sha1 bench-secret"
    if [ $# = 2 ]; then use_dummy "$h" 'node1 Dummy::web\nnode2 Dummy::db'; fi
    echo "$name" > "$WORK/node$h/name"
    : > "$WORK/node$h/dummy.log"
}

# prepare IMPL H: everything before the launch (3.0.6: its own /etc/ha.d and /var/lib/heartbeat).
prepare() {
    rm -rf "$WORK/node$2/rsc"; mkdir -p "$WORK/node$2/rsc"      # a (re)started node has no resource running
    [ "$1" = 306 ] || return 0
    prepare_306 "$2"
}

# launch IMPL H: start the daemon (prepared) in namespace H; its PID goes to nodeH/pid.
# BENCH_HTTP_DIR: where bench/resource.d/BenchHTTP keeps its pid file and page on host H.
launch() {
    if [ "$1" = ours ]; then NODE_ENV="DUMMY_LOG=$WORK/node$2/dummy.log BENCH_HTTP_DIR=$WORK/node$2/rsc" start_ours "$2"
    else NODE_ENV="DUMMY_LOG=$WORK/node$2/dummy.log" launch_306 "$2"; fi
}

# node_pids H: the implementation's processes on host H (3.0.6: the `unshare` wrapper's
# descendants — master, FIFO reader, read/write children per medium; ours and keepalived: the
# daemon and its children).
node_pids() {
    local pid inner
    pid=$(cat "$WORK/node$1/pid")
    if [ "$(cat "$WORK/node$1/impl")" = 306 ]; then
        inner=$(child_pids "$pid" | head -1)
        [ -n "$inner" ] && tree_pids "$inner"
    else
        tree_pids "$pid"
    fi
}

# stop_node H: kill -9 host H's daemon, if it runs, and wait until its processes are gone.
stop_node() {
    [ -f "$WORK/node$1/pid" ] || return 0
    kill_node "$1"
    rm -f "$WORK/node$1/pid"
}

# started_ns H INSTANCE [AFTER_NS]: the stamp (ns) of the first start of INSTANCE in host H's
# Dummy log that is later than AFTER_NS.
started_ns() {
    awk -v inst="$2" -v after="${3:-0}" '$3 == inst && $4 == "start" && $1 > after + 0 { print $1; exit }' "$WORK/node$1/dummy.log"
}

# running H INSTANCE: whether INSTANCE's last start or stop in host H's Dummy log was a start.
running() {
    awk -v inst="$2" '$3 == inst && ($4 == "start" || $4 == "stop") { last = $4 } END { exit last == "start" ? 0 : 1 }' "$WORK/node$1/dummy.log"
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

# wait_log_count H PATTERN N TIMEOUT_S: until host H's log has more than N lines matching.
wait_log_count() { wait_until $(( $4 * 1000 )) has_lines "$1" "$2" $(( $3 + 1 )) >/dev/null; }

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

# Host H's own cpuacct cgroup (cgroup v1): its daemon's processes join it at once, and everything it starts
# later (checks, scripts, services) belongs to it, also after they exited, which /proc of the
# living processes cannot tell. cg_join H PID...; cg_cpu_ns H: CPU of the group so far (ns).
CGROOT=/sys/fs/cgroup/cpuacct
cg_join() {
    local h=$1 p; shift
    mkdir -p "$CGROOT/${PREFIX}-$h" || return 1
    for p in "$@"; do echo "$p" > "$CGROOT/${PREFIX}-$h/cgroup.procs" 2>/dev/null; done
    return 0
}
cg_cpu_ns() { cat "$CGROOT/${PREFIX}-$1/cpuacct.usage"; }
# cg_remove: every host's cgroup, once its processes are gone (at exit).
cg_remove() {
    local g
    for g in "$CGROOT/${PREFIX}"-*; do [ ! -d "$g" ] || rmdir "$g" 2>/dev/null || return 1; done
}
