#!/usr/bin/env bash
# The network-namespace back-end of `hbctl scenario run --netns`: hbctl writes one command per
# line on stdin, this answers one line ("ok [output]" or "err reason") per command. Namespaces,
# links and daemons are this run's own (PREFIX); all of them go when stdin closes (hbctl ended,
# however) or on a signal, and so does WORK unless hbctl said "keep" (a failed run).
# Environment: WORK (hbctl's run directory, nodeI/{etc,state,run,rsc} written), HB_BIN, HB_ROOT.
# Namespaces and daemons are Tests/lib/nodes.sh's; only the cleanup and the kill are this run's own.
# nodeI/pid holds the PID of nodeI's running daemon: the STONITH plugin (stonith/scenario) kills
# it by that PID and removes the file; a PID is used only while its file exists and the process
# still carries that node's state directory (see running).
set -u
PREFIX=hbs$$
# shellcheck source=Tests/lib/nodes.sh
source "$HB_ROOT/Tests/lib/nodes.sh"
RESOURCE_LOG=$WORK/scripts.log
NODE_ENV="HA_STONITH_PLUGIN_DIR=$ROOT/Tests/scenarios/stonith"
declare -A PIDS=()
MEDIA=1
KEEP=

# running I: nodeI's daemon still runs under the PID we recorded. After a stop the PID may have
# been reused by another process, so the process must also carry nodeI's state directory of this run.
running() {
    local pid=${PIDS[$1]:-}
    [ -n "$pid" ] && [ -e "$WORK/node$1/pid" ] \
        && { tr '\0' '\n' < "/proc/$pid/environ"; } 2>/dev/null | grep -qxF "HA_STATE_DIR=$WORK/node$1/state"
}

cleanup() {
    local i
    for i in "${!PIDS[@]}"; do running "$i" && kill -9 "${PIDS[$i]}" 2>/dev/null; done
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
    [ -n "$KEEP" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# port_names M: the bridge-side ends of medium M's veth links (p1.. for eth0, q1.. for eth1).
port() { if [ "$2" = 0 ]; then echo "p$1"; else echo "q$1"; fi; }

# add_ping_network N: the ping node, a namespace whose kernel answers ICMP echo at 10.79.0.254,
# on its own bridge (brp) with a link `pnet` (10.79.0.i) from each host; port rI is hostI's path to
# it, cut and mended apart from the heartbeat media.
PING=0
add_ping_network() {
    local count=$1 bridge=${PREFIX}-br ns=${PREFIX}-ping i
    ip -n "$bridge" link add brp type bridge && ip -n "$bridge" link set brp up || return 1
    ip netns add "$ns" || return 1
    NAMESPACES=("$ns" "${NAMESPACES[@]}")
    for i in $(seq 0 "$count"); do
        local host=${PREFIX}-$i name=pnet address=10.79.0.$i
        if [ "$i" = 0 ]; then host=$ns name=eth0 address=10.79.0.254; fi
        ip link add "${PREFIX}c$i" netns "$host" type veth peer name "r$i" netns "$bridge" || return 1
        ip -n "$host" link set "${PREFIX}c$i" name "$name"
        ip -n "$host" addr add "$address/24" dev "$name"
        ip -n "$host" link set "$name" up
        ip -n "$bridge" link set "r$i" master brp
        ip -n "$bridge" link set "r$i" up
    done
    ip -n "$ns" link set lo up
}

start_node() {
    start_ours "$1"
    PIDS[$1]=$(cat "$WORK/node$1/pid")
}

# kill_node I: kill -9, as a machine crash: its resources are gone too.
kill_node() {
    local i=$1
    local pid=${PIDS[$i]:-}
    if running "$i"; then
        rm -f "$WORK/node$i/pid"
        kill -9 "$pid" 2>/dev/null
        wait_until 2000 gone "$pid" >/dev/null
        unset "PIDS[$i]"
    fi
    find "$WORK/node$i/rsc" -name 'Dummy-*' ! -name '*.fail-*' -delete
}

# partition "1,2" "3": side k > 0 moves to its own bridges; heal moves every port back.
partition() {
    local k=0 side i m
    for side in "$@"; do
        for m in $(seq 0 $((MEDIA - 1))); do
            ip -n "${PREFIX}-br" link show "br${m}s$k" >/dev/null 2>&1 ||
                { ip -n "${PREFIX}-br" link add "br${m}s$k" type bridge && ip -n "${PREFIX}-br" link set "br${m}s$k" up; }
            for i in ${side//,/ }; do ip -n "${PREFIX}-br" link set "$(port "$i" "$m")" master "br${m}s$k"; done
        done
        k=$((k + 1))
    done
}

heal() {
    local i m
    for i in $(seq 1 "$COUNT"); do
        for m in $(seq 0 $((MEDIA - 1))); do
            ip -n "${PREFIX}-br" link set "$(port "$i" "$m")" master "br$m"
            ip -n "${PREFIX}-br" link set "$(port "$i" "$m")" up
        done
        [ "$PING" = 0 ] || ip -n "${PREFIX}-br" link set "r$i" up
    done
}

admin() {
    local tool=$1 i=$2 set=$3
    HA_CONFIG_DIR=$ROOT/ha.d HA_FIFO=$WORK/node$i/state/fifo HA_PIDFILE=$WORK/node$i/run/heartbeat.pid \
        "$ROOT/tools/$tool" "$set" >/dev/null 2>&1
}

while read -r command a b c; do
    case $command in
        setup)
            COUNT=$a MEDIA=$b PING=$c
            make_namespaces "$COUNT" >/dev/null 2>&1 && { [ "$MEDIA" = 1 ] || add_second_medium "$COUNT" >/dev/null 2>&1; } \
                && { [ "$PING" = 0 ] || add_ping_network "$COUNT" >/dev/null 2>&1; } \
                && echo ok || echo "err could not build namespaces"
            ;;
        start) start_node "$a"; echo ok ;;
        kill) kill_node "$a"; echo ok ;;
        stop) running "$a" && kill -TERM "${PIDS[$a]}"; echo ok ;;
        link) ip -n "${PREFIX}-br" link set "$(port "$a" "$b")" "$c" && echo ok || echo "err ip link failed" ;;
        ping) ip -n "${PREFIX}-br" link set "r$a" "$b" && echo ok || echo "err ip link failed" ;;
        partition) IFS='|' read -r -a sides <<<"$a"; partition "${sides[@]}" && echo ok || echo "err partition failed" ;;
        heal) heal && echo ok || echo "err heal failed" ;;
        hb_standby|hb_takeover) admin "$command" "$a" "$b" && echo ok || echo "err $command failed" ;;
        cl_status)
            # shellcheck disable=SC2086 # the arguments are words
            out=$(HA_RUN_DIR=$WORK/node$a/run "$HB_BIN/cl_status" $b $c 2>/dev/null | head -1)
            echo "ok $out"
            ;;
        monitor_reset)
            # shellcheck disable=SC2086 # the group: one word or none
            HA_RUN_DIR=$WORK/node$a/run "$HB_BIN/hbctl" monitor reset $b >/dev/null 2>&1 && echo ok || echo "err hbctl monitor reset failed"
            ;;
        keep) KEEP=1; echo ok ;;
        *) echo "err unknown command $command" ;;
    esac
done
