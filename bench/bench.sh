#!/usr/bin/env bash
# `make bench`: our heartbeat against the real Heartbeat 3.0.6, on the same configuration in the
# same network namespaces, and against Debian's keepalived on a floating address (`keepalived`). One cluster of each implementation runs at the same time, side by
# side on one bridge (different hosts and UDP ports), so machine noise hits both alike; the
# moments that are timed (a kill, a cut, a standby) never overlap between the two. Prints each
# figure's median/min/max and the ratio ours/3.0.6, and writes every run's raw numbers to
# bench/results/<date>-<commit>.json. A benchmark, not a test: it fails on nothing but a broken
# setup. See bench/README.md for what each figure means.
#
#   RUNS=5            runs per figure and implementation
#   IDLE_SECONDS=12   idle-cost window per run (5 runs: one minute in all)
#   LOAD_SECONDS=100  length of the CPU-hog window and of the I/O-hog window (0: skip them)
#   SCALE="4 8 16"    cluster sizes of the scale figure; SCALE_KILLS=3 deaths timed per size
#   SCALE_306_MAX=8   the largest size 3.0.6 runs at (its 16-node cluster forks without end here)
#   IMPLS="ours 306"  the implementations measured
#   BENCH_QUICK=1     2 runs, one failover profile, short windows, scale 4: about 5 minutes
#   SIM_NODES=64      nodes of the simulator's scale run (events per second, ours only)
#   CUT_SECONDS=10    how long the keepalived figure's link stays cut once the client has moved
#   MON_INTERVAL=1 MON_FALL=2 MON_TIMEOUT=1   the monitor figure's checks (whole seconds: keepalived's)
#   BUDGET_SECONDS=600  the budget figure's soak per budget (half CPU hogs, half I/O hogs)
#   BUDGETS_OURS="5ms/20ms 10ms/40ms 15ms/60ms 20ms/100ms 50ms/300ms 100ms/400ms 200ms/600ms"  BUDGETS_KEEPALIVED="0.02 0.05 0.1 0.2"
#   DB_FAULTS="standby:ocf kill:ocf ..."      the db figure's faults and modes (bench/db.sh)
#   FIGURES="pair lone failover load scale sim keepalived monitor budget db"   a subset, e.g. FIGURES=keepalived
#   PROFILES="200ms/1 50ms/200ms 1/5"         failover profiles (keepalive/deadtime)
#   HB_BIN=DIR        our binaries (default .build/release); OUT=FILE the JSON path
set -u
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=bench/vip.sh
source "$(dirname "$0")/vip.sh"
# shellcheck source=bench/budget.sh
source "$(dirname "$0")/budget.sh"
# shellcheck source=bench/monitor.sh
source "$(dirname "$0")/monitor.sh"
# shellcheck source=bench/db.sh
source "$(dirname "$0")/db.sh"
[ "$(id -u)" = 0 ] || { say "make bench needs root (network namespaces)"; exit 1; }
[ -x "$HB306" ] || { say "the real Heartbeat 3.0.6 ($HB306) is not installed: apt-get install heartbeat"; exit 1; }
[ -x "$BIN/heartbeat" ] || { say "no $BIN/heartbeat: build first (swift build -c release)"; exit 1; }
case " ${FIGURES:-keepalived} " in *" keepalived "*|*" budget "*|*" monitor "*)
    command -v keepalived >/dev/null || { say "the keepalived, budget and monitor figures need Debian's keepalived: apt-get install keepalived (or leave them out of FIGURES)"; exit 1; }
    command -v ping >/dev/null || { say "the keepalived figure's client needs ping: apt-get install iputils-ping"; exit 1; } ;;
esac
case " ${FIGURES:-monitor} " in *" monitor "*)
    [ -x /usr/bin/curl ] || { say "the monitor figure's checks need curl: apt-get install curl (or leave monitor out of FIGURES)"; exit 1; }
    [ -w "$CGROOT" ] || { say "the monitor figure counts CPU with cgroup v1's cpuacct ($CGROOT), which this machine lacks (leave monitor out of FIGURES)"; exit 1; } ;;
esac
case " ${FIGURES:-db} " in *" db "*)
    [ -x /usr/sbin/mariadbd ] || { say "the db figure needs MariaDB: apt-get install mariadb-server python3-pymysql (or leave db out of FIGURES)"; exit 1; } ;;
esac
# The web services of the monitor figure run in their own sessions: ended by their pid files.
# shellcheck disable=SC2317 # run by the EXIT trap
bench_cleanup() {
    local i
    services_stop
    cleanup
    for i in $(seq 1 100); do cg_remove && break; sleep 0.02; done
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

QUICK=${BENCH_QUICK:-${QUICK:-}}
if [ -n "$QUICK" ]; then
    RUNS=${RUNS:-2}; IDLE_SECONDS=${IDLE_SECONDS:-5}; LOAD_SECONDS=${LOAD_SECONDS:-5}
    PROFILES=${PROFILES:-200ms/1}; SCALE=${SCALE:-4}; SCALE_KILLS=${SCALE_KILLS:-1}; SIM_NODES=${SIM_NODES:-16}
    BUDGET_SECONDS=${BUDGET_SECONDS:-20}
fi
RUNS=${RUNS:-5}
IDLE_SECONDS=${IDLE_SECONDS:-12}
LOAD_SECONDS=${LOAD_SECONDS:-100}
FIGURES=${FIGURES:-pair lone failover load scale sim keepalived monitor budget db}
PROFILES=${PROFILES:-200ms/1 50ms/200ms 1/5}
SCALE=${SCALE:-4 8 16}
SCALE_306_MAX=${SCALE_306_MAX:-8}
SCALE_KILLS=${SCALE_KILLS:-3}
SIM_NODES=${SIM_NODES:-64}
RAW=$WORK/raw.tsv; : > "$RAW"
NOTES=$WORK/notes.tsv; : > "$NOTES"
T_BEGIN=$(now_us)
IMPLS=${IMPLS:-ours 306}

# The two-node clusters: ours on hosts 1 and 2, 3.0.6 on hosts 3 and 4, each on its own port.
pair_hosts() { if [ "$1" = ours ]; then echo "1 2"; else echo "3 4"; fi; }
pair_port() { if [ "$1" = ours ]; then echo 694; else echo 695; fi; }

# The peer's last received heartbeat needs tcpdump; without it that sub-figure is skipped.
HAVE_TCPDUMP=
if command -v tcpdump >/dev/null; then HAVE_TCPDUMP=1
elif [ -z "${NO_INSTALL:-}" ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q tcpdump >/dev/null 2>&1; then HAVE_TCPDUMP=1
else say "tcpdump is missing: the 'last heartbeat -> start' figures are skipped"; fi

progress() { printf '[%5ds] %s\n' $(( ($(now_us) - T_BEGIN) / 1000000 )) "$*"; }
# record FIGURE UNIT IMPL RUN VALUE (one short line: appends from parallel workers stay whole)
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RAW"; }
note() { printf '%s\t%s\t%s\t%s\n' "$1" "$(label "$1")" "$2" "$3" >> "$NOTES"; progress "  note: $(label "$1") run $2: $3"; }
ms() { echo $(( ($1 + 500000) / 1000000 )); }               # ns -> ms (rounded)
ms3() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e6 }'; }   # ns -> ms, 3 decimals
s3() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e9 }'; }    # ns -> s, 3 decimals
secs_to_ms() { case $1 in *ms) echo "${1%ms}" ;; *) echo $(( $1 * 1000 )) ;; esac; }
# measured FIGURE PREFIX: a figure that measured nothing of ours fails the bench (after the JSON
# is written): it says why in the notes, and a table without it must not pass for a result.
STATUS=0
measured() {
    awk -F'\t' -v p="$2" 'index($1, p) == 1 && $3 == "ours" { found = 1 } END { exit !found }' "$RAW" && return 0
    say "the $1 figure measured nothing of ours: see its notes"; STATUS=1
}
label() { case $1 in ours) echo ours ;; 306) echo 3.0.6 ;; *) echo "$1" ;; esac; }
max() { echo $(( $1 > $2 ? $1 : $2 )); }

stop_pair() {
    local h
    for h in $(pair_hosts "$1"); do stop_node "$h"; ip -n "${PREFIX}-$h" link set eth0 up 2>/dev/null; done
}
fail_run() {  # fail_run IMPL RUN WHAT: a run that did not complete is noted and left out
    local h
    note "$1" "$2" "FAILED: $3"
    for h in $(pair_hosts "$1"); do
        [ -f "$WORK/node$h/ha-log" ] && tail -5 "$WORK/node$h/ha-log" | sed "s/^/          host $h: /" >&2
    done
    stop_pair "$1"
    return 1
}

# launch_pair IMPL K W D I: configure and launch both nodes of IMPL's pair; T0[IMPL] = launch (ns).
declare -A T0 READY
launch_pair() {
    local impl=$1 h
    # shellcheck disable=SC2046
    for h in $(pair_hosts "$impl"); do
        configure "$h" "node$(( (h - 1) % 2 + 1 ))" "$(pair_port "$impl")" ucast "$2" "$3" "$4" "$5" $(pair_hosts "$impl")
        prepare "$impl" "$h"
    done
    T0[$impl]=$(now_ns)
    for h in $(pair_hosts "$impl"); do launch "$impl" "$h"; done
}
# await_pair IMPL: until web runs on node1 and db on node2; READY[IMPL] = the later start (ns).
await_pair() {
    local a b w d
    read -r a b <<< "$(pair_hosts "$1")"
    w=$(wait_started "$a" web 90) || return 1
    d=$(wait_started "$b" db 90) || return 1
    READY[$1]=$(max "$w" "$d")
}
# settle IMPL: at least 8 s since the launch (nodes advertise deadtime + 2 s for their first 5 s)
# and 3 s since the groups started.
settle() { sleep_until "$(max $(( T0[$1] / 1000 + 8000000 )) $(( READY[$1] / 1000 + 3000000 )))"; }

# standby IMPL: hb_standby all on node1 (ours: tools/hb_standby over the FIFO; 3.0.6: its own).
standby() {
    local a; a=$(pair_hosts "$1"); a=${a% *}
    if [ "$1" = ours ]; then
        HA_CONFIG_DIR=$ROOT/ha.d HA_FIFO=$WORK/node$a/state/fifo HA_PIDFILE=$WORK/node$a/run/heartbeat.pid \
            "$ROOT/tools/hb_standby" all >/dev/null 2>&1
    else
        in_306 "$a" /usr/share/heartbeat/hb_standby all >/dev/null 2>&1
    fi
}

# idle_begin IMPL / idle_end IMPL RUN PREFIX: CPU (ns, every thread of every process), memory
# and packets sent of every host of IMPL's cluster over the window; recorded per node.
declare -A IDLE_CPU IDLE_TX IDLE_RX IDLE_T
received_packets() { local c; read -r _ _ c _ <<< "$(link_counters "$1")"; echo "$c"; }
idle_begin() {
    local h pids
    IDLE_T[$1]=$(now_us); IDLE_CPU[$1]=0; IDLE_TX[$1]="0 0"; IDLE_RX[$1]=0
    for h in ${HOSTS[$1]}; do
        pids=$(node_pids "$h")
        # shellcheck disable=SC2086
        IDLE_CPU[$1]=$(( IDLE_CPU[$1] + $(cpu_ns $pids) ))
        IDLE_TX[$1]=$(add_pairs "${IDLE_TX[$1]}" "$(link_counters "$h")")
        IDLE_RX[$1]=$(( IDLE_RX[$1] + $(received_packets "$h") ))
    done
}
idle_end() {
    local impl=$1 r=$2 fig=$3 h pids cpu=0 tx="0 0" rx=0 rss=0 pss=0 procs=0 a0 a1 span n
    span=$(( $(now_us) - IDLE_T[$impl] ))
    n=$(echo "${HOSTS[$impl]}" | wc -w)
    for h in ${HOSTS[$impl]}; do
        pids=$(node_pids "$h")
        # shellcheck disable=SC2086
        cpu=$(( cpu + $(cpu_ns $pids) ))
        # shellcheck disable=SC2086
        read -r a0 a1 <<< "$(mem_kb $pids)"; rss=$(( rss + a0 )); pss=$(( pss + a1 ))
        tx=$(add_pairs "$tx" "$(link_counters "$h")")
        rx=$(( rx + $(received_packets "$h") ))
        procs=$(( procs + $(echo "$pids" | wc -w) ))
    done
    read -r a0 a1 <<< "$(sub_pairs "$tx" "${IDLE_TX[$impl]}")"
    cpu=$(( cpu - IDLE_CPU[$impl] )); rx=$(( rx - IDLE_RX[$impl] ))
    # per node: the cluster's sums divided by its size; CPU normalised to ms per minute.
    record "${fig}_cpu_per_node" "ms CPU/min" "$impl" "$r" "$(awk -v c="$cpu" -v n="$n" -v s="$span" 'BEGIN { printf "%.2f", c / 1e6 / n * 60e6 / s }')"
    record "${fig}_processes_per_node" count "$impl" "$r" "$(( procs / n ))"
    record "${fig}_rss_per_node" kB "$impl" "$r" $(( rss / n ))
    record "${fig}_pss_per_node" kB "$impl" "$r" $(( pss / n ))
    record "${fig}_packets_per_node" "packets/s" "$impl" "$r" "$(awk -v p="$a0" -v n="$n" -v s="$span" 'BEGIN { printf "%.2f", p / n * 1e6 / s }')"
    # The cluster's CPU over the packets its nodes sent, and over those they received (µs): a
    # node that only sends or only listens (a VRRP master, a backup) shows its cost per packet
    # in one of them; each of ours sends and receives one heartbeat per interval.
    [ "$a0" -gt 0 ] && record "${fig}_us_per_sent" "µs CPU/packet" "$impl" "$r" "$(awk -v c="$cpu" -v p="$a0" 'BEGIN { printf "%.1f", c / 1e3 / p }')"
    [ "$rx" -gt 0 ] && record "${fig}_us_per_received" "µs CPU/packet" "$impl" "$r" "$(awk -v c="$cpu" -v p="$rx" 'BEGIN { printf "%.1f", c / 1e3 / p }')"
    record "${fig}_bytes_per_node" "bytes/s" "$impl" "$r" "$(awk -v p="$a1" -v n="$n" -v s="$span" 'BEGIN { printf "%.1f", p / n * 1e6 / s }')"
    progress "  $(label "$impl") run $r: idle $(( span / 1000000 ))s: $(ms "$cpu") ms CPU ($n nodes), RSS $rss kB, $a0 packets sent"
}
add_pairs() { local a b c d; read -r a b _ <<< "$1"; read -r c d _ <<< "$2"; echo "$(( a + c )) $(( b + d ))"; }
sub_pairs() { local a b c d; read -r a b _ <<< "$1"; read -r c d _ <<< "$2"; echo "$(( a - c )) $(( b - d ))"; }
declare -A HOSTS

# --- pair: both implementations' pairs launched together; startup, idle cost, then switchover
# (keepalive 200 ms, deadtime 1 s, initdead 2 s).
run_pair() {
    local r=$1 impl ok="" a s t0 tries mark
    for impl in $IMPLS; do launch_pair "$impl" 200ms 500ms 1 2; HOSTS[$impl]=$(pair_hosts "$impl"); done
    for impl in $IMPLS; do
        if await_pair "$impl"; then
            ok="$ok $impl"
            record startup_pair s "$impl" "$r" "$(s3 $(( READY[$impl] - T0[$impl] )))"
            progress "  $(label "$impl") run $r: both groups started $(ms $(( READY[$impl] - T0[$impl] ))) ms after the launch"
        else fail_run "$impl" "$r" "pair startup: groups not started"; fi
    done
    for impl in $ok; do settle "$impl"; done
    for impl in $ok; do idle_begin "$impl"; done
    sleep "$IDLE_SECONDS"
    for impl in $ok; do idle_end "$impl" "$r" idle; done
    # Switchover: hb_standby on node1 -> web starts on node2. A request the daemon did not log
    # ("wants to go standby") within 3 s is repeated, timed from the repeat (and noted).
    for impl in $ok; do
        read -r a _ <<< "$(pair_hosts "$impl")"
        tries=0
        while :; do
            tries=$(( tries + 1 ))
            mark=$(count_log "$a" "node1 wants to go standby")
            t0=$(now_ns)
            standby "$impl"
            if wait_log_count "$a" "node1 wants to go standby" "$mark" 3; then break; fi
            [ $tries -lt 3 ] || { fail_run "$impl" "$r" "hb_standby never reached the daemon"; continue 2; }
        done
        [ $tries = 1 ] || note "$impl" "$r" "hb_standby asked $tries times (a request was lost)"
        s=$(wait_started $(( a + 1 )) web 30) || { fail_run "$impl" "$r" "switchover: web not started on node2"; continue; }
        record switchover s "$impl" "$r" "$(s3 $(( s - t0 )))"
        progress "  $(label "$impl") run $r: hb_standby -> web on node2 $(ms $(( s - t0 ))) ms"
    done
    for impl in $IMPLS; do stop_pair "$impl"; done
}

# --- lone: node1 of each implementation alone (node2 never comes) -> its group started.
run_lone() {
    local r=$1 impl a w
    for impl in $IMPLS; do
        read -r a _ <<< "$(pair_hosts "$impl")"
        # shellcheck disable=SC2046
        configure "$a" node1 "$(pair_port "$impl")" ucast 200ms 500ms 1 2 $(pair_hosts "$impl")
        prepare "$impl" "$a"
        T0[$impl]=$(now_ns)
        launch "$impl" "$a"
    done
    for impl in $IMPLS; do
        read -r a _ <<< "$(pair_hosts "$impl")"
        if w=$(wait_started "$a" web 30); then
            record startup_lone s "$impl" "$r" "$(s3 $(( w - T0[$impl] )))"
            progress "  $(label "$impl") run $r: lone node -> web started $(ms $(( w - T0[$impl] ))) ms after the launch (initdead 2 s)"
        else note "$impl" "$r" "FAILED: lone node did not start web"; fi
        stop_node "$a"
    done
}

# --- failover: one worker per implementation, in parallel. A worker boots its pair once per
# profile, then alternates kill -9 of node1 and a cut of node1's link, RUNS times each; after
# each it kills node1 (if still running), restores its link, restarts it and waits until web is
# back on node1 (auto_failback on) and node1 has run for 6 s. A worker waits for the other's
# SLOT file to be free before it kills or cuts, so the timed moments never overlap.
failover_worker() {
    local impl=$1 ka=$2 dt=$3 wt it dt_ms a b r how ok=""
    read -r a b <<< "$(pair_hosts "$impl")"
    dt_ms=$(secs_to_ms "$dt")
    wt="$(( ($(secs_to_ms "$ka") + dt_ms) / 2 ))ms"
    it=$(( dt_ms > 2000 ? (dt_ms + 999) / 1000 : 2 ))
    for r in $(seq 1 "$RUNS"); do
        for how in kill cut; do
            if [ -z "$ok" ]; then
                launch_pair "$impl" "$ka" "$wt" "$dt" "$it"
                await_pair "$impl" || { fail_run "$impl" "$r" "failover_${how}_${ka}_${dt}: groups not started"; continue; }
                settle "$impl"; ok=1
            fi
            measure_failover "$impl" "$r" "$how" "$ka" "$dt_ms" "failover_${how}_${ka}_${dt}" || { ok=""; continue; }
            restart_node1 "$impl" "$r" || { ok=""; stop_pair "$impl"; }
        done
    done
    stop_pair "$impl"
}

# take_slot / free_slot: the timed moment of one worker at a time (mkdir is atomic).
take_slot() { until mkdir "$WORK/slot" 2>/dev/null; do sleep 0.05; done; }
free_slot() { rmdir "$WORK/slot" 2>/dev/null; }

# measure_failover IMPL RUN HOW KEEPALIVE DEADTIME_MS FIGURE
measure_failover() {
    local impl=$1 r=$2 how=$3 ka=$4 dt_ms=$5 fig=$6 a b kp t0 s tcp tpid last deadline extra=""
    read -r a b <<< "$(pair_hosts "$impl")"
    ! running "$b" web || { fail_run "$impl" "$r" "$fig: web running on node2 before the $how"; return 1; }
    take_slot
    if [ -n "$HAVE_TCPDUMP" ]; then
        tcp=$WORK/tcpdump-$impl
        ip netns exec "${PREFIX}-$b" tcpdump -tt -n -l -i eth0 "udp port $(pair_port "$impl") and src host 10.77.0.$a" >"$tcp.out" 2>"$tcp.err" &
        tpid=$!; track "$tpid"
        deadline=$(( $(now_us) + 5000000 ))
        until grep -q "listening on" "$tcp.err" 2>/dev/null || [ "$(now_us)" -gt "$deadline" ]; do sleep 0.02; done
        # Two heartbeats captured, then a random part of a keepalive: the kill falls at a
        # uniformly random phase of the heartbeat cycle, for both implementations alike.
        deadline=$(( $(now_us) + (3 * $(secs_to_ms "$ka") + 3000) * 1000 ))
        until [ "$(grep -c IP "$tcp.out" 2>/dev/null)" -ge 2 ] || [ "$(now_us)" -gt "$deadline" ]; do sleep 0.01; done
        sleep_until $(( $(now_us) + RANDOM % ($(secs_to_ms "$ka") * 1000) ))
    fi
    kp=$(kill_pids "$a")
    t0=$(now_ns)
    if [ "$how" = kill ]; then
        # shellcheck disable=SC2086
        kill -9 $kp
    else
        ip -n "${PREFIX}-$a" link set eth0 down
    fi
    s=$(wait_started "$b" web $(( dt_ms * 3 / 1000 + 10 )) "$t0")
    free_slot
    [ -n "$s" ] || { [ -z "${tpid:-}" ] || kill "$tpid" 2>/dev/null; fail_run "$impl" "$r" "$fig: web not started on node2"; return 1; }
    record "$fig" ms "$impl" "$r" "$(ms3 $(( s - t0 )))"
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
            note "$impl" "$r" "$fig: no heartbeat from node1 captured"
        fi
    fi
    progress "  $(label "$impl") run $r: $how -> web on node2 $(ms $(( s - t0 ))) ms$extra (deadtime $dt_ms ms)"
}

# restart_node1 IMPL RUN: node1 killed (if still running), its link restored, relaunched; wait
# until web is back on it and it has run 6 s (past the first 5 s of a raised advertised deadtime).
restart_node1() {
    local impl=$1 r=$2 a t w
    read -r a _ <<< "$(pair_hosts "$impl")"
    stop_node "$a"
    ip -n "${PREFIX}-$a" link set eth0 up
    prepare "$impl" "$a"
    t=$(now_ns)
    launch "$impl" "$a"
    w=$(wait_started "$a" web 60 "$t") || { note "$impl" "$r" "node1 restarted but web did not come back"; return 1; }
    sleep_until "$(max $(( t / 1000 + 6000000 )) $(( w / 1000 + 3000000 )))"
}

# hog cpu|io SECONDS: nproc busy loops (cpu) or nproc writers of 64 MB files with fsync (io) on
# the disk the daemons log to, for SECONDS; then ended by PID.
hog() {
    local kind=$1 seconds=$2 h hogs=()
    for h in $(seq 1 "$(nproc)"); do
        # Bounded on its own too: each hog stops after SECONDS + 5 s even if we are gone.
        if [ "$kind" = cpu ]; then
            bash -c "end=\$(( SECONDS + $seconds + 5 )); while [ \$SECONDS -lt \$end ]; do :; done" &
        else
            bash -c "end=\$(( SECONDS + $seconds + 5 )); while [ \$SECONDS -lt \$end ]; do
                dd if=/dev/zero of=$WORK/iohog$h bs=1M count=64 conv=fsync status=none; rm -f $WORK/iohog$h; done" &
        fi
        hogs+=($!); track $!
    done
    sleep "$seconds"
    kill -9 "${hogs[@]}" 2>/dev/null; for h in "${hogs[@]}"; do wait "$h" 2>/dev/null; done
    rm -f "$WORK"/iohog*
}

# --- load: both pairs at keepalive 50 ms / deadtime 300 ms (realtime on, the default) under a
# CPU hog on every core, then under an I/O hog; counts false "is dead" and "Late heartbeat" lines.
count_pair() {  # count_pair IMPL PATTERN: matching log lines on both nodes
    local h n=0
    for h in $(pair_hosts "$1"); do n=$(( n + $(count_log "$h" "$2") )); done
    echo "$n"
}
run_load() {
    local impl ok="" kind
    declare -A dead late
    for impl in $IMPLS; do launch_pair "$impl" 50ms 150ms 300ms 2; done
    for impl in $IMPLS; do
        if await_pair "$impl"; then ok="$ok $impl"; else fail_run "$impl" 1 "load: groups not started"; fi
    done
    for impl in $ok; do settle "$impl"; done
    for kind in cpu io; do
        for impl in $ok; do dead[$impl]=$(count_pair "$impl" "is dead"); late[$impl]=$(count_pair "$impl" "Late heartbeat"); done
        hog "$kind" "$LOAD_SECONDS"
        sleep 1
        for impl in $ok; do
            record "load_${kind}_false_dead" count "$impl" 1 $(( $(count_pair "$impl" "is dead") - dead[$impl] ))
            record "load_${kind}_late_heartbeat" count "$impl" 1 $(( $(count_pair "$impl" "Late heartbeat") - late[$impl] ))
            progress "  $(label "$impl"): ${LOAD_SECONDS}s of $(nproc) $kind hogs: $(( $(count_pair "$impl" "is dead") - dead[$impl] )) 'is dead', $(( $(count_pair "$impl" "Late heartbeat") - late[$impl] )) 'Late heartbeat' (both nodes)"
        done
    done
    for impl in $IMPLS; do stop_pair "$impl"; done
}

# --- scale: N nodes of each implementation (bcast, keepalive 200 ms, deadtime 1 s, no
# resources: 3.0.6 has no multi-node v1 resource semantics, so this compares membership only).
# Idle cost per node, then SCALE_KILLS nodes killed one after the other: kill -> the last of the
# survivors logs "is dead" (all), and the median survivor.
run_scale() {
    local n=$1 impl i h base port formed name t0 left pending kp got all impls=$IMPLS deadline
    # 3.0.6 forks a script for every status change: at 16 nodes on 2 cores its cluster spawned
    # over 2000 processes and never formed (measured); past SCALE_306_MAX only ours runs.
    [ "$n" -le "$SCALE_306_MAX" ] || impls=${IMPLS//306/}
    for impl in $impls; do
        if [ "$impl" = ours ]; then base=4; port=696; else base=$(( 4 + n )); port=697; fi
        HOSTS[$impl]=$(seq $(( base + 1 )) $(( base + n )) | tr '\n' ' ')
        i=0
        for h in ${HOSTS[$impl]}; do
            i=$(( i + 1 ))
            # shellcheck disable=SC2086
            configure "$h" "node$i" "$port" bcast 200ms 500ms 1 2 ${HOSTS[$impl]}
            prepare "$impl" "$h"
        done
        T0[$impl]=$(now_ns)
        for h in ${HOSTS[$impl]}; do launch "$impl" "$h"; done
    done
    for impl in $impls; do
        formed=1
        deadline=$(( $(now_us) + 60000000 ))
        for h in ${HOSTS[$impl]}; do
            wait_log_count "$h" "Status update for node node[0-9]*: status active" $(( n - 2 )) \
                $(( (deadline - $(now_us)) / 1000000 + 1 )) || { formed=""; break; }
        done
        [ -n "$formed" ] || note "$impl" 1 "scale $n: not every node saw every other active within 60 s"
        READY[$impl]=$(now_ns)
        progress "  $(label "$impl"): $n nodes formed the cluster in $(ms $(( READY[$impl] - T0[$impl] ))) ms"
    done
    for impl in $impls; do settle "$impl"; done
    for impl in $impls; do idle_begin "$impl"; done
    sleep "$IDLE_SECONDS"
    for impl in $impls; do idle_end "$impl" 1 "scale${n}"; done
    for i in $(seq 1 "$SCALE_KILLS"); do
        for impl in $impls; do
            # shellcheck disable=SC2206
            left=(${HOSTS[$impl]}); h=${left[$(( i - 1 ))]}; name=node$i
            pending=("${left[@]:$i}")
            kp=$(kill_pids "$h")
            t0=$(now_ns)
            # shellcheck disable=SC2086
            kill -9 $kp
            got=(); all=""
            local deadline=$(( $(now_us) + 10000000 ))
            while [ ${#pending[@]} -gt 0 ] && [ "$(now_us)" -lt "$deadline" ]; do
                local still=() p
                for p in "${pending[@]}"; do
                    if grep -q "node $name: is dead" "$WORK/node$p/ha-log"; then got+=($(( $(now_ns) - t0 ))); else still+=("$p"); fi
                done
                pending=("${still[@]}")
                [ ${#pending[@]} = 0 ] || sleep 0.005
            done
            rm -f "$WORK/node$h/pid"
            if [ ${#pending[@]} -gt 0 ]; then note "$impl" "$i" "scale $n: ${#pending[@]} nodes never declared $name dead"; continue; fi
            all=$(printf '%s\n' "${got[@]}" | sort -n | tail -1)
            record "scale${n}_detect_all" ms "$impl" "$i" "$(ms3 "$all")"
            record "scale${n}_detect_median" ms "$impl" "$i" "$(ms3 "$(printf '%s\n' "${got[@]}" | sort -n | sed -n "$(( (${#got[@]} + 1) / 2 ))p")")"
            progress "  $(label "$impl"): kill $name of $n -> all $(( ${#got[@]} )) survivors declared it dead in $(ms "$all") ms"
        done
    done
    for impl in $impls; do for h in ${HOSTS[$impl]}; do stop_node "$h"; done; done
}

NEED=4
for n in $SCALE; do case " $FIGURES " in *" scale "*) NEED=$(max "$NEED" $(( 4 + 2 * n ))) ;; esac; done
case " $FIGURES " in *" keepalived "*|*" budget "*|*" monitor "*) NEED=$(max "$NEED" "$VIP_CLIENT") ;; esac
make_namespaces "$NEED"
progress "bench: RUNS=$RUNS IDLE_SECONDS=$IDLE_SECONDS LOAD_SECONDS=$LOAD_SECONDS SCALE=\"$SCALE\", figures: $FIGURES; ours: $BIN"
for fig in $FIGURES; do
    case $fig in
        pair)
            progress "pair startup + idle cost (${IDLE_SECONDS}s) + switchover (keepalive 200 ms, deadtime 1 s, initdead 2 s)"
            for r in $(seq 1 "$RUNS"); do run_pair "$r"; done ;;
        lone)
            progress "lone node startup (initdead 2 s)"
            for r in $(seq 1 "$RUNS"); do run_lone "$r"; done ;;
        failover)
            for p in $PROFILES; do
                progress "failover after kill and after link cut, keepalive ${p%/*} / deadtime ${p#*/}"
                pids=()
                for impl in $IMPLS; do failover_worker "$impl" "${p%/*}" "${p#*/}" & pids+=($!); track $!; done
                wait "${pids[@]}"
            done ;;
        load)
            [ "$LOAD_SECONDS" -gt 0 ] || continue
            progress "load: $(nproc) CPU hogs, then $(nproc) I/O hogs, ${LOAD_SECONDS}s each, keepalive 50 ms / deadtime 300 ms"
            run_load ;;
        scale)
            for n in $SCALE; do progress "scale: $n nodes of each (bcast, keepalive 200 ms, deadtime 1 s)"; run_scale "$n"; done ;;
        sim)
            # The simulator (ours only): SIM_NODES pure nodes boot, converge and see one die.
            progress "simulator: $SIM_NODES nodes"
            if line=$("$BIN/hbsim" --scale "$SIM_NODES"); then
                progress "  $line"
                # "64 nodes: E events, 14.0 seconds simulated in W s: R events/s"
                record "sim${SIM_NODES}_events_per_s" "events/s" ours 1 "$(echo "$line" | awk '{ print $(NF-1) }')"
                record "sim${SIM_NODES}_wall" s ours 1 "$(echo "$line" | awk '{ for (i = 1; i < NF; i++) if ($(i+1) == "s:") printf "%.3f", $i }')"
            else note ours 1 "FAILED: hbsim --scale $SIM_NODES: $line"; fi ;;
        keepalived)
            progress "floating address, ours vs keepalived $(keepalived --version 2>&1 | awk 'NR == 1 { print $2 }'): idle (${IDLE_SECONDS}s), cut link, heal, node loss, lone idle (keepalive 200 ms / deadtime 600 ms, advert_int 0.2)"
            for r in $(seq 1 "$RUNS"); do run_vip "$r"; done ;;
        monitor)
            progress "service health, ours vs keepalived: checks every ${MON_INTERVAL} s, fall $MON_FALL, timeout ${MON_TIMEOUT} s; idle CPU with 0 and 4 checks (${IDLE_SECONDS}s), service killed -> restarted in place (ours), -> moved to the peer"
            for r in $(seq 1 "$RUNS"); do run_monitor "$r"; done
            measured monitor mon_move_ ;;
        budget)
            progress "safe detection budget, ours vs keepalived: ${BUDGET_SECONDS}s under hogs per budget (ours $BUDGETS_OURS; advert_int $BUDGETS_KEEPALIVED), then $RUNS node losses at each one's safe budget"
            run_budget
            measured budget budget_safe_ ;;
        db)
            progress "MariaDB on a shared disk with fencing (Tests/lib/db_fault.sh, a fresh cluster per run): $DB_FAULTS"
            for r in $(seq 1 "$RUNS"); do run_db "$r"; done
            measured db db_ ;;
        *) say "unknown figure $fig" ;;
    esac
done

# Results: the table, and the JSON file with the machine, the commit and every raw number.
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# BENCH_COMMIT: the commit the binaries were built from, when it is not the work tree's HEAD.
COMMIT=${BENCH_COMMIT:-$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)}
OUT=${OUT:-$ROOT/bench/results/$(date -u +%Y%m%d-%H%M%S)-${COMMIT:0:7}${QUICK:+-quick}.json}
mkdir -p "$(dirname "$OUT")"
python3 "$ROOT/bench/summarize.py" "$RAW" "$NOTES" "$OUT" \
    date="$DATE" commit="$COMMIT" \
    sources_changed_in_work_tree="$(if [ -n "${BENCH_COMMIT:-}" ]; then echo n/a; else git -C "$ROOT" status --porcelain -- Sources Package.swift 2>/dev/null | wc -l; fi)" \
    binary="$BIN/heartbeat" binary_sha256="$(sha256sum "$BIN/heartbeat" | cut -d' ' -f1)" \
    uname="$(uname -a)" nproc="$(nproc)" \
    cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
    mem_total_kb="$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" \
    heartbeat_306="$(dpkg-query -W -f='${Version}' heartbeat 2>/dev/null)" \
    keepalived="$(dpkg-query -W -f='${Version}' keepalived 2>/dev/null)" \
    sim_nodes="$SIM_NODES" runs="$RUNS" idle_seconds="$IDLE_SECONDS" load_seconds="$LOAD_SECONDS" scale="$SCALE" scale_kills="$SCALE_KILLS" \
    figures="$FIGURES" profiles="$PROFILES" quick="$QUICK" \
    mon_interval="$MON_INTERVAL" mon_fall="$MON_FALL" mon_timeout="$MON_TIMEOUT" \
    budget_seconds="$BUDGET_SECONDS" budgets_ours="$BUDGETS_OURS" budgets_keepalived="$BUDGETS_KEEPALIVED" \
    db_faults="$DB_FAULTS" mariadb="$(dpkg-query -W -f='${Version}' mariadb-server 2>/dev/null)" \
    mha_planned_switch_s="0.5-2 (MHA's published write block of an online master switch)" \
    duration_s="$(( ($(now_us) - T_BEGIN) / 1000000 ))"
exit "$STATUS"
