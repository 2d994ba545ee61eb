#!/usr/bin/env bash
# `make bench`: our heartbeat against the real Heartbeat 3.0.6, on the same configuration in the
# same network namespaces, interleaved run by run (ours, 3.0.6, ours, 3.0.6 …) so that machine
# noise hits both alike. Prints each figure's median/min/max and the ratio ours/3.0.6, and writes
# every run's raw numbers to bench/results/<date>-<commit>.json. A benchmark, not a test: it fails
# on nothing but a broken setup. See bench/README.md for what each figure means.
#
#   RUNS=5            runs per figure and implementation
#   IDLE_SECONDS=60   idle-cost window per run
#   LOAD_SECONDS=60   CPU-hog window per run of the load figure (0: skip it); LOAD_RUNS=2
#   QUICK=1           2 runs, idle 10 s, load 10 s × 1: to try it out
#   FIGURES="pair lone kill cut load"   a subset, e.g. FIGURES=kill
#   PROFILES="200ms/1 50ms/200ms 1/5"   failover profiles (keepalive/deadtime)
#   HB_BIN=DIR        our binaries (default .build/release); OUT=FILE the JSON path
set -u
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { say "make bench needs root (network namespaces)"; exit 1; }
[ -x "$HB306" ] || { say "the real Heartbeat 3.0.6 ($HB306) is not installed: apt-get install heartbeat"; exit 1; }
[ -x "$BIN/heartbeat" ] || { say "no $BIN/heartbeat: build first (swift build -c release)"; exit 1; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${QUICK:-}" ]; then RUNS=${RUNS:-2}; IDLE_SECONDS=${IDLE_SECONDS:-10}; LOAD_SECONDS=${LOAD_SECONDS:-10}; LOAD_RUNS=${LOAD_RUNS:-1}; fi
RUNS=${RUNS:-5}
IDLE_SECONDS=${IDLE_SECONDS:-60}
LOAD_SECONDS=${LOAD_SECONDS:-60}
LOAD_RUNS=${LOAD_RUNS:-2}
FIGURES=${FIGURES:-pair lone kill cut load}
PROFILES=${PROFILES:-200ms/1 50ms/200ms 1/5}
RAW=$WORK/raw.tsv; : > "$RAW"
NOTES=$WORK/notes.tsv; : > "$NOTES"
T_BEGIN=$(now_us)

# The peer's last received heartbeat needs tcpdump; without it that sub-figure is skipped.
HAVE_TCPDUMP=
if command -v tcpdump >/dev/null; then HAVE_TCPDUMP=1
elif [ -z "${NO_INSTALL:-}" ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q tcpdump >/dev/null 2>&1; then HAVE_TCPDUMP=1
else say "tcpdump is missing: the 'last heartbeat -> start' figures are skipped"; fi

progress() { printf '[%5ds] %s\n' $(( ($(now_us) - T_BEGIN) / 1000000 )) "$*"; }
# record FIGURE UNIT IMPL RUN VALUE
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RAW"; }
note() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$NOTES"; progress "  note: $2 run $3: $4"; }
ms() { echo $(( ($1 + 500000) / 1000000 )); }               # ns -> ms (rounded)
ms3() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e6 }'; }   # ns -> ms, 3 decimals
s3() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e9 }'; }    # ns -> s, 3 decimals
secs_to_ms() { case $1 in *ms) echo "${1%ms}" ;; *) echo $(( $1 * 1000 )) ;; esac; }
label() { [ "$1" = ours ] && echo ours || echo 3.0.6; }

stop_all() {
    stop_node 1; stop_node 2
    ip -n "${PREFIX}-1" link set eth0 up 2>/dev/null; ip -n "${PREFIX}-2" link set eth0 up 2>/dev/null
}
fail_run() {  # fail_run IMPL RUN WHAT: a run that did not complete is noted and left out
    note "$1" "$(label "$1")" "$2" "FAILED: $3"
    for n in 1 2; do
        [ -f "$WORK/node$n/ha-log" ] && tail -5 "$WORK/node$n/ha-log" | sed "s/^/          node$n: /" >&2
    done
    stop_all
    return 1
}

# boot_pair IMPL K W D I: both nodes of IMPL launched together; waits for each preferred group.
# Sets BOOT_T0 (ns, launch), BOOT_DONE (ns, the later of the two group starts).
boot_pair() {
    local impl=$1 w d
    configure 1 "$2" "$3" "$4" "$5"; configure 2 "$2" "$3" "$4" "$5"
    prepare "$impl" 1; prepare "$impl" 2
    BOOT_T0=$(now_ns)
    launch "$impl" 1; launch "$impl" 2
    w=$(wait_started 1 web 90) || return 1
    d=$(wait_started 2 db 90) || return 1
    BOOT_DONE=$(( w > d ? w : d ))
}
# settle: at least 8 s since the launch (nodes advertise deadtime + 2 s for their first 5 s) and
# 3 s since the groups started.
settle() {
    local a=$(( BOOT_T0 / 1000 + 8000000 )) b=$(( BOOT_DONE / 1000 + 3000000 ))
    sleep_until $(( a > b ? a : b ))
}

# standby IMPL: hb_standby all on node1 (ours: tools/hb_standby over the FIFO; 3.0.6: its own).
standby() {
    if [ "$1" = ours ]; then
        HA_CONFIG_DIR=$ROOT/ha.d HA_FIFO=$WORK/node1/state/fifo HA_PIDFILE=$WORK/node1/run/heartbeat.pid \
            "$ROOT/tools/hb_standby" all >/dev/null 2>&1
    else
        in_306 1 /usr/share/heartbeat/hb_standby all >/dev/null 2>&1
    fi
}

# --- pair: startup of both nodes, idle cost, switchover (keepalive 200 ms, deadtime 1 s, initdead 2 s)
run_pair() {
    local impl=$1 r=$2 n pids a0 a1 t_a t_b rss=0 pss=0 ticks k0 k1 tx_p=0 tx_b=0 t0 s tries nproc_sum=0
    boot_pair "$impl" 200ms 500ms 1 2 || { fail_run "$impl" "$r" "pair startup: groups not started"; return; }
    record startup_pair s "$impl" "$r" "$(s3 $(( BOOT_DONE - BOOT_T0 )))"
    progress "  $(label "$impl") run $r: both groups started $(ms $(( BOOT_DONE - BOOT_T0 ))) ms after the launch"
    settle
    # Idle cost: CPU and memory of every process of both nodes, and the packets both send.
    declare -A before
    for n in 1 2; do
        pids=$(node_pids $n)
        # shellcheck disable=SC2086
        before[$n]=$(cpu_ticks $pids)
        before[c$n]=$(link_counters $n)
    done
    t_a=$(now_us)
    sleep "$IDLE_SECONDS"
    t_b=$(now_us)
    ticks=0
    for n in 1 2; do
        pids=$(node_pids $n)
        # shellcheck disable=SC2086
        ticks=$(( ticks + $(cpu_ticks $pids) - ${before[$n]} ))
        # shellcheck disable=SC2086
        read -r a0 a1 <<< "$(mem_kb $pids)"; rss=$(( rss + a0 )); pss=$(( pss + a1 ))
        read -r k0 k1 _ _ <<< "${before[c$n]}"
        read -r a0 a1 _ _ <<< "$(link_counters $n)"
        tx_p=$(( tx_p + a0 - k0 )); tx_b=$(( tx_b + a1 - k1 ))
        nproc_sum=$(( nproc_sum + $(echo "$pids" | wc -w) ))
    done
    local span=$(( t_b - t_a )) hz; hz=$(getconf CLK_TCK)
    # per node: the two nodes' sums halved; CPU normalised to ms per minute.
    record idle_cpu_per_node "ms CPU/min" "$impl" "$r" "$(awk -v t="$ticks" -v hz="$hz" -v s="$span" 'BEGIN { printf "%.1f", t * 1000 / hz / 2 * 60e6 / s }')"
    record idle_processes_per_node count "$impl" "$r" "$(( nproc_sum / 2 ))"
    record idle_rss_per_node kB "$impl" "$r" $(( rss / 2 ))
    record idle_pss_per_node kB "$impl" "$r" $(( pss / 2 ))
    record idle_packets_per_node "packets/s" "$impl" "$r" "$(awk -v p="$tx_p" -v s="$span" 'BEGIN { printf "%.2f", p / 2 * 1e6 / s }')"
    record idle_bytes_per_node "bytes/s" "$impl" "$r" "$(awk -v p="$tx_b" -v s="$span" 'BEGIN { printf "%.1f", p / 2 * 1e6 / s }')"
    progress "  $(label "$impl") run $r: idle ${IDLE_SECONDS}s: $ticks CPU ticks (2 nodes), RSS $rss kB, $tx_p packets sent"
    # Switchover: hb_standby on node1 -> web starts on node2. A request the daemon did not log
    # ("wants to go standby") within 3 s is repeated, timed from the repeat (and noted).
    tries=0
    while :; do
        tries=$(( tries + 1 ))
        local mark; mark=$(grep -c "node1 wants to go standby" "$WORK/node1/ha-log")
        t0=$(now_ns)
        standby "$impl"
        if wait_log_count 1 "node1 wants to go standby" "$mark" 3; then break; fi
        [ $tries -lt 3 ] || { fail_run "$impl" "$r" "hb_standby never reached the daemon"; return; }
    done
    [ $tries = 1 ] || note "$impl" "$(label "$impl")" "$r" "hb_standby asked $tries times (a request was lost)"
    s=$(wait_started 2 web 30) || { fail_run "$impl" "$r" "switchover: web not started on node2"; return; }
    record switchover s "$impl" "$r" "$(s3 $(( s - t0 )))"
    progress "  $(label "$impl") run $r: hb_standby -> web on node2 $(ms $(( s - t0 ))) ms"
    stop_all
}
# wait_log_count I PATTERN N TIMEOUT_S: until node I's log has more than N lines matching.
wait_log_count() {
    local deadline=$(( $(now_us) + $4 * 1000000 ))
    while [ "$(grep -c -- "$2" "$WORK/node$1/ha-log" 2>/dev/null)" -le "$3" ]; do
        [ "$(now_us)" -lt "$deadline" ] || return 1
        sleep 0.02
    done
}

# --- lone: node1 alone (node2 never comes) -> its group started.
run_lone() {
    local impl=$1 r=$2 t0 w
    configure 1 200ms 500ms 1 2; configure 2 200ms 500ms 1 2
    prepare "$impl" 1
    t0=$(now_ns)
    launch "$impl" 1
    w=$(wait_started 1 web 30) || { fail_run "$impl" "$r" "lone node did not start web"; return; }
    record startup_lone s "$impl" "$r" "$(s3 $(( w - t0 )))"
    progress "  $(label "$impl") run $r: lone node -> web started $(ms $(( w - t0 ))) ms after the launch (initdead 2 s)"
    stop_all
}

# --- failover: kill -9 of node1 (or its link cut) -> web started on node2.
run_failover() {
    local impl=$1 r=$2 how=$3 ka=$4 dt=$5 wt it kp t0 s tcp last dt_ms
    dt_ms=$(secs_to_ms "$dt")
    wt="$(( ($(secs_to_ms "$ka") + dt_ms) / 2 ))ms"
    it=$(( dt_ms > 2000 ? (dt_ms + 999) / 1000 : 2 ))
    local fig="failover_${how}_${ka}_${dt}"
    boot_pair "$impl" "$ka" "$wt" "$dt" "$it" || { fail_run "$impl" "$r" "$fig: groups not started"; return; }
    settle
    [ -z "$(started_ns 2 web)" ] || { fail_run "$impl" "$r" "$fig: web started on node2 before the $how"; return; }
    if [ -n "$HAVE_TCPDUMP" ]; then
        tcp=$WORK/tcpdump
        ip netns exec "${PREFIX}-2" tcpdump -tt -n -l -i eth0 "udp port 694 and src host 10.77.0.1" >"$tcp.out" 2>"$tcp.err" &
        local tpid=$!; PIDS+=("$tpid")
        local deadline=$(( $(now_us) + 5000000 ))
        until grep -q "listening on" "$tcp.err" 2>/dev/null || [ "$(now_us)" -gt "$deadline" ]; do sleep 0.02; done
        # Two heartbeats captured, then a random part of a keepalive: the kill falls at a
        # uniformly random phase of the heartbeat cycle, for both implementations alike.
        deadline=$(( $(now_us) + (3 * $(secs_to_ms "$ka") + 3000) * 1000 ))
        until [ "$(grep -c IP "$tcp.out" 2>/dev/null)" -ge 2 ] || [ "$(now_us)" -gt "$deadline" ]; do sleep 0.01; done
        sleep_until $(( $(now_us) + RANDOM % ($(secs_to_ms "$ka") * 1000) ))
    fi
    kp=$(kill_pids 1)
    t0=$(now_ns)
    if [ "$how" = kill ]; then
        # shellcheck disable=SC2086
        kill -9 $kp
    else
        ip -n "${PREFIX}-1" link set eth0 down
    fi
    s=$(wait_started 2 web $(( dt_ms * 3 / 1000 + 10 ))) || { fail_run "$impl" "$r" "$fig: web not started on node2"; return; }
    record "$fig" ms "$impl" "$r" "$(ms3 $(( s - t0 )))"
    local extra=""
    if [ -n "$HAVE_TCPDUMP" ]; then
        sleep 0.1
        kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null
        # tcpdump -tt: "<seconds>.<microseconds> IP 10.77.0.1.x > 10.77.0.2.694: UDP, length N"
        last=$(awk -v s="$s" '$1 ~ /^[0-9]+[.][0-9]+$/ { split($1, t, "[.]"); ns = t[1] * 1000000000 + t[2] * 1000; if (ns < s + 0) last = t[1] t[2] "000" } END { print last }' "$tcp.out")
        if [ -n "$last" ]; then
            record "${fig}_lasthb" ms "$impl" "$r" "$(ms3 $(( s - last )))"
            record "${fig}_overhead" ms "$impl" "$r" "$(ms3 $(( s - last - dt_ms * 1000000 )))"
            extra=", last heartbeat -> start $(ms $(( s - last ))) ms"
        else
            note "$impl" "$(label "$impl")" "$r" "$fig: no heartbeat from node1 captured"
        fi
    fi
    progress "  $(label "$impl") run $r: $how -> web on node2 $(ms $(( s - t0 ))) ms$extra (deadtime $dt_ms ms)"
    stop_all
}

# --- load: every core busy with a CPU hog; count false "is dead" and "Late heartbeat" lines.
run_load() {
    local impl=$1 r=$2 n hogs=() d0=0 l0=0 d1=0 l1=0 h
    boot_pair "$impl" 50ms 150ms 300ms 2 || { fail_run "$impl" "$r" "load: groups not started"; return; }
    settle
    for n in 1 2; do
        d0=$(( d0 + $(grep -c "is dead" "$WORK/node$n/ha-log") )); l0=$(( l0 + $(grep -c "Late heartbeat" "$WORK/node$n/ha-log") ))
    done
    for h in $(seq 1 "$(nproc)"); do
        # Bounded on its own too: it stops after LOAD_SECONDS + 5 s even if we are gone.
        bash -c "end=\$(( SECONDS + $LOAD_SECONDS + 5 )); while [ \$SECONDS -lt \$end ]; do :; done" &
        hogs+=($!); PIDS+=($!)
    done
    sleep "$LOAD_SECONDS"
    kill -9 "${hogs[@]}" 2>/dev/null; for h in "${hogs[@]}"; do wait "$h" 2>/dev/null; done
    sleep 1
    for n in 1 2; do
        d1=$(( d1 + $(grep -c "is dead" "$WORK/node$n/ha-log") )); l1=$(( l1 + $(grep -c "Late heartbeat" "$WORK/node$n/ha-log") ))
    done
    record load_false_dead count "$impl" "$r" $(( d1 - d0 ))
    record load_late_heartbeat count "$impl" "$r" $(( l1 - l0 ))
    progress "  $(label "$impl") run $r: ${LOAD_SECONDS}s of $(nproc) CPU hogs: $(( d1 - d0 )) 'is dead', $(( l1 - l0 )) 'Late heartbeat' (both nodes)"
    stop_all
}

make_namespaces
progress "bench: RUNS=$RUNS IDLE_SECONDS=$IDLE_SECONDS LOAD_SECONDS=$LOAD_SECONDS×$LOAD_RUNS, figures: $FIGURES; ours: $BIN"
for fig in $FIGURES; do
    case $fig in
        pair)
            progress "pair startup + idle cost (${IDLE_SECONDS}s) + switchover (keepalive 200 ms, deadtime 1 s, initdead 2 s)"
            for r in $(seq 1 "$RUNS"); do for impl in ours 306; do run_pair $impl "$r"; done; done ;;
        lone)
            progress "lone node startup (initdead 2 s)"
            for r in $(seq 1 "$RUNS"); do for impl in ours 306; do run_lone $impl "$r"; done; done ;;
        kill|cut)
            for p in $PROFILES; do
                progress "failover after $fig, keepalive ${p%/*} / deadtime ${p#*/}"
                for r in $(seq 1 "$RUNS"); do for impl in ours 306; do run_failover $impl "$r" "$fig" "${p%/*}" "${p#*/}"; done; done
            done ;;
        load)
            [ "$LOAD_SECONDS" -gt 0 ] || continue
            progress "load: $(nproc) CPU hogs for ${LOAD_SECONDS}s, keepalive 50 ms / deadtime 300 ms"
            for r in $(seq 1 "$LOAD_RUNS"); do for impl in ours 306; do run_load $impl "$r"; done; done ;;
        *) say "unknown figure $fig" ;;
    esac
done

# Results: the table, and the JSON file with the machine, the commit and every raw number.
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# BENCH_COMMIT: the commit the binaries were built from, when it is not the work tree's HEAD.
COMMIT=${BENCH_COMMIT:-$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)}
OUT=${OUT:-$ROOT/bench/results/$(date -u +%Y%m%d-%H%M%S)-${COMMIT:0:7}.json}
mkdir -p "$(dirname "$OUT")"
python3 "$ROOT/bench/summarize.py" "$RAW" "$NOTES" "$OUT" \
    date="$DATE" commit="$COMMIT" \
    sources_changed_in_work_tree="$(if [ -n "${BENCH_COMMIT:-}" ]; then echo n/a; else git -C "$ROOT" status --porcelain -- Sources Package.swift 2>/dev/null | wc -l; fi)" \
    binary="$BIN/heartbeat" binary_sha256="$(sha256sum "$BIN/heartbeat" | cut -d' ' -f1)" \
    uname="$(uname -a)" nproc="$(nproc)" \
    cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
    mem_total_kb="$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" \
    heartbeat_306="$(dpkg-query -W -f='${Version}' heartbeat 2>/dev/null)" \
    runs="$RUNS" idle_seconds="$IDLE_SECONDS" load_seconds="$LOAD_SECONDS" load_runs="$LOAD_RUNS" \
    figures="$FIGURES" profiles="$PROFILES" quick="${QUICK:-}" \
    duration_s="$(( ($(now_us) - T_BEGIN) / 1000000 ))"
