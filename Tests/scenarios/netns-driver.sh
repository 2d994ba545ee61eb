#!/usr/bin/env bash
# The network-namespace back-end of `hbctl scenario run --netns`: hbctl writes one command per
# line on stdin, this answers one line ("ok [output]" or "err reason") per command. Namespaces,
# links and daemons are this run's own (PREFIX); all of them go when stdin closes (hbctl ended,
# however) or on a signal, and so does WORK unless hbctl said "keep" (a failed run).
# Environment: WORK (hbctl's run directory, nodeI/{etc,state,run,dummy} written), HB_BIN, HB_ROOT.
set -u
ROOT=$HB_ROOT
PREFIX=hbs$$
NAMESPACES=()
declare -A PIDS=()
MEDIA=1
KEEP=

cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
    [ -n "$KEEP" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# shellcheck source=Tests/integration/netns.sh
source "$ROOT/Tests/integration/netns.sh"

# port_names M: the bridge-side ends of medium M's veth links (p1.. for eth0, q1.. for eth1).
port() { if [ "$2" = 0 ]; then echo "p$1"; else echo "q$1"; fi; }

start_node() {
    local i=$1 dir=$WORK/node$1
    ip netns exec "${PREFIX}-$i" env HA_CONFIG_DIR="$dir/etc" HA_STATE_DIR="$dir/state" HA_RUN_DIR="$dir/run" \
        HA_NODE_NAME="node$i" DUMMY_STATE_DIR="$dir/dummy" DUMMY_LOG="$WORK/scripts.log" \
        "$HB_BIN/heartbeat" -f >>"$dir/out" 2>&1 &
    PIDS[$i]=$!
    disown "$!"   # bash would print "Killed" for a crash we caused
}

# kill_node I: kill -9, as a machine crash: its resources are gone too.
kill_node() {
    local i=$1
    local pid=${PIDS[$i]:-} tries=0
    if [ -n "$pid" ]; then
        kill -9 "$pid" 2>/dev/null
        # Gone once bash has reaped it (bounded: 2 s).
        while kill -0 "$pid" 2>/dev/null && [ $tries -lt 200 ]; do sleep 0.01; tries=$((tries + 1)); done
        unset "PIDS[$i]"
    fi
    find "$WORK/node$i/dummy" -name 'Dummy-*' ! -name '*.fail-*' -delete
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
            COUNT=$a MEDIA=$b
            make_namespaces "$COUNT" >/dev/null 2>&1 && { [ "$MEDIA" = 1 ] || add_second_medium "$COUNT" >/dev/null 2>&1; } \
                && echo ok || echo "err could not build namespaces"
            ;;
        start) start_node "$a"; echo ok ;;
        kill) kill_node "$a"; echo ok ;;
        stop) [ -n "${PIDS[$a]:-}" ] && kill -TERM "${PIDS[$a]}"; echo ok ;;
        link) ip -n "${PREFIX}-br" link set "$(port "$a" "$b")" "$c" && echo ok || echo "err ip link failed" ;;
        partition) IFS='|' read -r -a sides <<<"$a"; partition "${sides[@]}" && echo ok || echo "err partition failed" ;;
        heal) heal && echo ok || echo "err heal failed" ;;
        hb_standby|hb_takeover) admin "$command" "$a" "$b" && echo ok || echo "err $command failed" ;;
        cl_status)
            # shellcheck disable=SC2086 # the arguments are words
            out=$(HA_RUN_DIR=$WORK/node$a/run "$HB_BIN/cl_status" $b $c 2>/dev/null | head -1)
            echo "ok $out"
            ;;
        keep) KEEP=1; echo ok ;;
        *) echo "err unknown command $command" ;;
    esac
done
