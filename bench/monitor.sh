# shellcheck shell=bash
# The `monitor` figure of bench/bench.sh: a real web service (python3's http.server, through
# bench/resource.d/BenchHTTP) beside the floating address of the keepalived figure, checked every
# MON_INTERVAL s by ours (a `monitors` line: http://, fall MON_FALL, timeout MON_TIMEOUT) and by
# keepalived (a vrrp_script running curl with the same interval, fall and timeout, tracked with a
# weight that drops the master below its backup). Ours runs the service in the address's group
# (`node1 IPaddr2::… BenchHTTP::8080`); keepalived's admin runs it on both nodes. Per run: idle
# CPU without checks and with four checks, then the service killed: restarted in place (ours,
# first failure: restarts=1) and moved to the peer (ours, second failure; keepalived). A client
# (bench/http_poll.py) asks each address for the page that names the node every 20 ms.

MON_INTERVAL=${MON_INTERVAL:-1}
MON_FALL=${MON_FALL:-2}
MON_TIMEOUT=${MON_TIMEOUT:-1}
MON_PORT=8080
MON_KEY=IPaddr2::$(vip_address ours)/24/eth0
HTTPD=$ROOT/bench/resource.d/BenchHTTP

# mon_lines 1|4|4sockets: the checks of ours' group, one monitors line each; the first is the
# one that is timed. 4sockets: four checks the daemon makes itself (http and tcp, each to the
# address and to 127.0.0.1), no process started.
mon_lines() {
    local o="interval=${MON_INTERVAL}s timeout=${MON_TIMEOUT}s fall=$MON_FALL" url
    url=http://$(vip_address ours):$MON_PORT/node
    echo "$MON_KEY  $url  $o"
    [ "$1" = 1 ] && return
    if [ "$1" = 4sockets ]; then
        echo "$MON_KEY  tcp:$(vip_address ours):$MON_PORT  $o"
        echo "$MON_KEY  http://127.0.0.1:$MON_PORT/node  $o"
        echo "$MON_KEY  tcp:127.0.0.1:$MON_PORT  $o"
        return
    fi
    echo "$MON_KEY  tcp:$(vip_address ours):$MON_PORT  $o"
    echo "$MON_KEY  status  $o"
    echo "$MON_KEY  exec:/usr/bin/curl  args=\"-sf -o /dev/null -m $MON_TIMEOUT $url\"  $o"
}
# ka_scripts H N / ka_track N: keepalived's N checks (1 or 4), the same kinds as ours' (each one a
# process: curl for http, bash's /dev/tcp for tcp, BenchHTTP's status, curl for exec).
ka_script() {  # ka_script NAME COMMAND
    printf 'vrrp_script %s {\n    script "%s"\n    interval %s\n    timeout %s\n    fall %s\n    rise 1\n    weight -60\n}\n' \
        "$1" "$2" "$MON_INTERVAL" "$MON_TIMEOUT" "$MON_FALL"
}
# With one check (the timed boot) the check is a wrapper that stamps each result in
# $WORK/ka-nodeH/checks.log ("<epoch ns> <exit code>"), and notify_master stamps the moment the
# node becomes master in master.log: keepalived's own log has whole seconds only.
ka_scripts() {
    local url=http://127.0.0.1:$MON_PORT/node dir=$WORK/ka-node$1
    if [ "$2" = 1 ]; then
        mkdir -p "$dir"
        # shellcheck disable=SC2016 # the wrapper's own expansions
        printf '#!/bin/sh\n/usr/bin/curl -sf -o /dev/null -m %s %s\nrc=$?\necho "$(date +%%s%%N) $rc" >> %s/checks.log\nexit $rc\n' \
            "$MON_TIMEOUT" "$url" "$dir" > "$dir/check-http"
        printf '#!/bin/sh\ndate +%%s%%N >> %s/master.log\n' "$dir" > "$dir/became-master"
        chmod 755 "$dir/check-http" "$dir/became-master"
        ka_script chk_http "$dir/check-http"
        return
    fi
    ka_script chk_http "/usr/bin/curl -sf -o /dev/null -m $MON_TIMEOUT $url"
    ka_script chk_tcp "/bin/bash -c '</dev/tcp/127.0.0.1/$MON_PORT'"
    ka_script chk_status "/usr/bin/env BENCH_HTTP_DIR=$WORK/node$1/rsc $HTTPD $MON_PORT status"
    ka_script chk_exec "/usr/bin/curl -sf -o /dev/null -m $MON_TIMEOUT $url"
}
ka_track() {  # ka_track H N
    printf '    track_script {\n        chk_http\n'
    [ "$2" = 1 ] || printf '        chk_tcp\n        chk_status\n        chk_exec\n'
    printf '    }\n'
    [ "$2" != 1 ] || printf '    notify_master %s\n' "$WORK/ka-node$1/became-master"
}

# mon_launch CHECKS: both pairs with the service and CHECKS checks (0, 1, 4 or 4sockets: then
# keepalived has none) per node; every host joins its cgroup. keepalived's hosts start the
# service themselves (on both nodes).
mon_launch() {
    local n=$1 a b h scripts="" track="" k=keepalived
    read -r a b <<< "$(vip_hosts $k)"
    # shellcheck disable=SC2034,SC2004 # bench.sh's launch times, keyed by implementation (vip_up reads them)
    T0[$k]=$(now_ns)
    for h in $a $b; do
        case $n in 0|4sockets) ;; *) scripts=$(ka_scripts "$h" "$n"); track=$(ka_track "$h" "$n") ;; esac
        KA_SCRIPTS=$scripts KA_TRACK=$track keepalived_launch "$h" $(( h == a ? 150 : 100 )) $(( h == a ? b : a ))
        mkdir -p "$WORK/node$h/rsc/www"; echo "node$(( h - a + 1 ))" > "$WORK/node$h/rsc/www/node"
        ip netns exec "${PREFIX}-$h" env BENCH_HTTP_DIR="$WORK/node$h/rsc" "$HTTPD" "$MON_PORT" start ||
            say "host $h: the web service did not start"
    done
    VIP_HARESOURCES="node1 $MON_KEY BenchHTTP::$MON_PORT" VIP_MONITORS=$([ "$n" = 0 ] || mon_lines "$n") vip_launch ours
    for h in $(vip_hosts ours) $a $b; do
        # shellcheck disable=SC2046 # PIDs
        cg_join "$h" $(tree_pids "$(cat "$WORK/node$h/pid")") $(cat "$WORK/node$h/rsc/http-$MON_PORT.pid" 2>/dev/null)
    done
}

# services_stop: every web service the bench or a group started (setsid: none is a daemon's
# child); a PID is ended only while it still runs http.server.
services_stop() {
    local f pid
    for f in "$WORK"/node*/rsc/http-*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        grep -qa http.server "/proc/$pid/cmdline" 2>/dev/null && kill -9 "$pid"
        rm -f "$f"
    done
    return 0
}
mon_teardown() { vip_teardown; services_stop; for h in "${POLLS[@]:-}"; do [ -z "$h" ] || kill "$h" 2>/dev/null; done; POLLS=(); }

# http_poll IMPL: the client asks IMPL's address for the page every 20 ms ($WORK/http-IMPL).
declare -A POLLS
http_poll() {
    ip netns exec "${PREFIX}-$VIP_CLIENT" python3 "$ROOT/bench/http_poll.py" "http://$(vip_address "$1"):$MON_PORT/node" 600 > "$WORK/http-$1" 2>&1 &
    POLLS[$1]=$!; track $!
}
# answered_by IMPL NODE AFTER_US: the client got the page from NODE later than AFTER_US.
answered_by() { awk -v n="$2" -v t="$3" '$2 == n && $1 * 1e6 > t + 0 { found = 1; exit } END { exit !found }' "$WORK/http-$1"; }
# first_answer_us IMPL NODE AFTER_US: when that answer came (µs).
first_answer_us() { awk -v n="$2" -v t="$3" '$2 == n && $1 * 1e6 > t + 0 { printf "%.0f", $1 * 1e6; exit }' "$WORK/http-$1"; }
# http_gap_ms IMPL FROM_US: the longest time between two answers since FROM_US (the answer just
# before it included), in ms.
http_gap_ms() {
    awk -v t="$2" 'NF == 2 { s = $1 * 1e6; if (s <= t + 0) { last = s; next }
        if (last != "" && s - last > gap) gap = s - last; last = s } END { printf "%.1f", gap / 1000 }' "$WORK/http-$1"
}

# Stamps (ns) taken where things happen, not by polling logs:
# detection_ns IMPL H AFTER_NS: when host H acted on the dead service. Ours: BenchHTTP's stop
# begins (the group's stop, after the fall-th failure; for a move, after node2 answered the
# standby request). keepalived: the fall-th failed check ended (it drops its priority then).
detection_ns() {
    if [ "$1" = ours ]; then
        awk -v t="$3" '$2 == "stop" && $1 > t + 0 { print $1; exit }' "$WORK/node$2/rsc/http-$MON_PORT.calls" 2>/dev/null
    else
        awk -v t="$3" -v fall="$MON_FALL" '$2 != 0 && $1 > t + 0 && ++n == fall { print $1; exit }' "$WORK/ka-node$2/checks.log" 2>/dev/null
    fi
}
# takeover_ns IMPL H AFTER_NS: when host H had taken the address over. Ours: BenchHTTP's start
# begins there (the address, the group's first resource, is up). keepalived: notify_master runs.
takeover_ns() {
    if [ "$1" = ours ]; then
        awk -v t="$3" '$2 == "start" && $1 > t + 0 { print $1; exit }' "$WORK/node$2/rsc/http-$MON_PORT.calls" 2>/dev/null
    else
        awk -v t="$3" '$1 > t + 0 { print $1; exit }' "$WORK/ka-node$2/master.log" 2>/dev/null
    fi
}
stamped() { [ -n "$("$@")" ]; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }   # ns, ns -> ms

# mon_kill IMPL RUN WHAT NODE: kill -9 the service on IMPL's node1; then its detection, and the
# client's next answer from NODE (node1: restarted in place; node2: moved). Records
# mon_WHAT_detect (kill -> detection), mon_WHAT_recover (detection -> NODE answers),
# mon_WHAT_outage (the longest time between two answers), for a move mon_move_address
# (detection -> node2 has the address).
mon_kill() {
    local impl=$1 r=$2 what=$3 node=$4 a b pid t0 td ta tm="" limit
    read -r a b <<< "$(vip_hosts "$impl")"
    pid=$(cat "$WORK/node$a/rsc/http-$MON_PORT.pid" 2>/dev/null)
    [ -n "$pid" ] || { note "$impl" "$r" "FAILED: mon_$what: no web service runs on node1"; return 1; }
    # The detection bound: fall x interval + timeout, twice, plus 5 s.
    limit=$(( (2 * (MON_FALL * MON_INTERVAL + MON_TIMEOUT) + 5) * 1000 ))
    take_slot
    t0=$(now_ns)
    kill -9 "$pid"
    if ! wait_until "$limit" stamped detection_ns "$impl" "$a" "$t0" >/dev/null; then
        free_slot; note "$impl" "$r" "FAILED: mon_$what: node1 did not act on the dead service within $(( limit / 1000 )) s (does this build run the monitors file?)"; return 1
    fi
    td=$(detection_ns "$impl" "$a" "$t0")
    if [ "$what" = move ]; then
        wait_until 30000 stamped takeover_ns "$impl" "$b" "$td" >/dev/null && tm=$(takeover_ns "$impl" "$b" "$td")
    fi
    if ! wait_until 30000 answered_by "$impl" "$node" $(( td / 1000 )) >/dev/null; then
        free_slot; note "$impl" "$r" "FAILED: mon_$what: $node did not answer within 30 s of the detection"; return 1
    fi
    sleep 0.3
    free_slot
    ta=$(first_answer_us "$impl" "$node" $(( td / 1000 )))000
    record "mon_${what}_detect" ms "$impl" "$r" "$(ms_between "$t0" "$td")"
    record "mon_${what}_recover" ms "$impl" "$r" "$(ms_between "$td" "$ta")"
    record "mon_${what}_outage" ms "$impl" "$r" "$(http_gap_ms "$impl" $(( t0 / 1000 )))"
    [ -z "$tm" ] || record mon_move_address ms "$impl" "$r" "$(ms_between "$td" "$tm")"
    progress "  $(label "$impl") run $r: service killed -> detected $(ms_between "$t0" "$td") ms${tm:+, node2 has the address $(ms_between "$td" "$tm") ms later}, answered by $node $(ms_between "$td" "$ta") ms after the detection; client without answer for $(http_gap_ms "$impl" $(( t0 / 1000 ))) ms"
}

# checks_served H: requests the service on host H answered from anyone but the client: its checks.
checks_served() { grep -vc "^10\.77\.0\.$VIP_CLIENT " "$WORK/node$1/rsc/http-$MON_PORT.log" 2>/dev/null || true; }

# mon_idle RUN 0|4|4sockets: both pairs with those checks per node, idle for IDLE_SECONDS once
# the groups run. The owner's monitoring cost is the CPU of its cgroup once its web service has
# left it for a cgroup of its own (H"svc"): the daemon and every check it started (processes that
# exited included), as mon_idle_cpu_owner_{0checks,4checks,4sockets} (4sockets: ours only). The
# service's own CPU (answering the checks, which any monitor costs it alike) is
# mon_idle_cpu_service_*. With checks, a window in which the owner's service served none is no
# figure (the build ignores them).
mon_idle() {
    local r=$1 n=$2 impl h c0 s0 t0 cpu="" service served fig=${2}checks impls="ours keepalived"
    declare -A before service_before requests
    [ "$n" != 4sockets ] || { fig=4sockets; impls=ours; }
    mon_launch "$n"
    for impl in ours keepalived; do vip_up "$impl" "$r" || { mon_teardown; return 1; }; done
    for impl in $impls; do
        read -r h _ <<< "$(vip_hosts "$impl")"
        cg_join "${h}svc" "$(cat "$WORK/node$h/rsc/http-$MON_PORT.pid" 2>/dev/null)"
    done
    sleep 2
    t0=$(now_us)
    for impl in $impls; do
        read -r h _ <<< "$(vip_hosts "$impl")"
        before[$impl]=$(cg_cpu_ns "$h"); service_before[$impl]=$(cg_cpu_ns "${h}svc"); requests[$impl]=$(checks_served "$h")
    done
    sleep "$IDLE_SECONDS"
    for impl in $impls; do
        read -r h _ <<< "$(vip_hosts "$impl")"
        c0=$(( $(cg_cpu_ns "$h") - before[$impl] ))
        s0=$(( $(cg_cpu_ns "${h}svc") - service_before[$impl] ))
        served=$(( $(checks_served "$h") - requests[$impl] ))
        if [ "$n" != 0 ] && [ "$served" = 0 ]; then
            note "$impl" "$r" "FAILED: mon_idle: the owner's service answered no check in ${IDLE_SECONDS}s (does this build run the monitors file?)"
            continue
        fi
        read -r cpu service <<< "$(awk -v c="$c0" -v v="$s0" -v s=$(( $(now_us) - t0 )) 'BEGIN { printf "%.2f %.2f", c / 1e6 * 60e6 / s, v / 1e6 * 60e6 / s }')"
        record "mon_idle_cpu_owner_$fig" "ms CPU/min" "$impl" "$r" "$cpu"
        record "mon_idle_cpu_service_$fig" "ms CPU/min" "$impl" "$r" "$service"
        MON_IDLE[$impl$fig]=$cpu
        progress "  $(label "$impl") run $r: owner idle, $fig at ${MON_INTERVAL} s: $cpu ms CPU/min (daemon and checks), the service $service ms CPU/min, $served requests from checks"
    done
    mon_teardown
}
declare -A MON_IDLE

# run_monitor RUN: idle without checks, with four, with four of ours' socket checks; then one
# boot with one check each: ours' service killed twice (restarted in place, then moved),
# keepalived's once (moved).
run_monitor() {
    local r=$1 impl ok="" a fig
    MON_IDLE=()
    if mon_idle "$r" 0; then
        mon_idle "$r" 4; mon_idle "$r" 4sockets
        for fig in 4checks 4sockets; do
            for impl in ours keepalived; do
                [ -n "${MON_IDLE[$impl$fig]:-}" ] || continue
                record "mon_idle_cpu_${fig}_vs_0" ratio "$impl" "$r" "$(awk -v a="${MON_IDLE[$impl$fig]}" -v b="${MON_IDLE[${impl}0checks]}" 'BEGIN { printf "%.2f", a / b }')"
            done
        done
    fi
    mon_launch 1
    for impl in ours keepalived; do http_poll "$impl"; done
    for impl in ours keepalived; do
        vip_up "$impl" "$r" && wait_until 10000 answered_by "$impl" node1 "$(now_us)" >/dev/null && ok="$ok $impl"
    done
    case $ok in *ours*)
        if mon_kill ours "$r" restart node1; then
            # Healthy again for the monitor (rise 1) before the second failure, which moves it.
            sleep $(( 2 * MON_INTERVAL + 1 ))
            mon_kill ours "$r" move node2
        fi ;;
    esac
    case $ok in *keepalived*) mon_kill keepalived "$r" move node2 ;; esac
    mon_teardown
}
