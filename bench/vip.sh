# shellcheck shell=bash
# The `keepalived` figure of bench/bench.sh: a floating address held by two nodes of ours and, in
# the same run, by two of Debian's keepalived (VRRPv3), as a client sees it. Ours on hosts 1-2
# (keepalive 200 ms, deadtime 600 ms, `node1 IPaddr2::10.77.0.100/24/eth0`), keepalived on hosts
# 3-4 (advert_int 0.2, priorities 150/100, unicast, 10.77.0.101), the client on host 5 pinging
# both addresses every 20 ms. Per run: idle cost by role, then a cut link, its heal, and a node
# loss, each timed as the longest gap between two answers the client got. See bench/README.md.

VIP_CLIENT=5
CUT_SECONDS=${CUT_SECONDS:-10}
vip_hosts() { if [ "$1" = ours ]; then echo "1 2"; else echo "3 4"; fi; }
vip_address() { if [ "$1" = ours ]; then echo 10.77.0.100; else echo 10.77.0.101; fi; }

# holds H ADDRESS: host H has ADDRESS on eth0.
holds() { ip -n "${PREFIX}-$1" -4 -o addr show dev eth0 | grep -q " $2/"; }
releases() { ! holds "$@"; }
# detach H / attach H: host H's port leaves / rejoins the bridge. The node's own link stays up
# (keepalived would go to FAULT on a link down); to both sides this is a switch that lost them.
detach() { ip -n "${PREFIX}-br" link set "p$1" nomaster; }
attach() { ip -n "${PREFIX}-br" link set "p$1" master br0; }

# keepalived_launch H PRIORITY PEER [ADVERT_INT]: keepalived (VRRP only) in namespace H with its
# own configuration and pid files, none of the host's. KA_SCRIPTS (vrrp_script blocks) and
# KA_TRACK (lines inside the instance, e.g. its track_script) add a health check; KA_RT_PRIORITY
# sets vrrp_rt_priority (keepalived's default is none: its VRRP process is not realtime).
keepalived_launch() {
    local h=$1 dir=$WORK/node$1
    rm -rf "$dir"; mkdir -p "$dir"
    cat > "$dir/keepalived.conf" <<EOF
global_defs {
    router_id node$h
    vrrp_version 3
    script_user root
    enable_script_security${KA_RT_PRIORITY:+
    vrrp_rt_priority $KA_RT_PRIORITY}
}
${KA_SCRIPTS:-}
vrrp_instance bench {
    state BACKUP
    interface eth0
    virtual_router_id 77
    priority $2
    advert_int ${4:-0.2}
    unicast_src_ip 10.77.0.$h
    unicast_peer {
        10.77.0.$3
    }
    virtual_ipaddress {
        $(vip_address keepalived)/24 dev eth0
    }
${KA_TRACK:-}
}
EOF
    ip netns exec "${PREFIX}-$h" keepalived --dont-fork --log-console --no-syslog --vrrp \
        --use-file="$dir/keepalived.conf" --pid="$dir/keepalived.pid" --vrrp_pid="$dir/vrrp.pid" \
        --checkers_pid="$dir/checkers.pid" --bfd_pid="$dir/bfd.pid" >>"$dir/out" 2>&1 &
    started keepalived "$h" $!
}

# vip_launch IMPL [BUDGET]: both nodes of IMPL; node1 (the first host) is the preferred owner.
# BUDGET: ours "KEEPALIVE/DEADTIME" (200ms/600ms; warntime halfway), keepalived its advert_int
# (0.2). Ours' haresources line is VIP_HARESOURCES (the address alone unless a figure sets it),
# its monitors file VIP_MONITORS (none unless set); its hosts' page for BenchHTTP names the node.
vip_launch() {
    local a b k d h
    read -r a b <<< "$(vip_hosts "$1")"
    T0[$1]=$(now_ns)
    if [ "$1" = ours ]; then
        k=${2:-200ms/600ms}; d=${k#*/}; k=${k%/*}
        for h in $a $b; do
            configure "$h" "node$(( h - a + 1 ))" 694 ucast "$k" "$(( ($(secs_to_ms "$k") + $(secs_to_ms "$d")) / 2 ))ms" "$d" 2 "$a" "$b"
            use_dummy "$h" "${VIP_HARESOURCES:-node1 IPaddr2::$(vip_address ours)/24/eth0}"
            # The repository's resource scripts and the bench's (BenchHTTP), linked one by one.
            rm "$WORK/node$h/etc/resource.d"; mkdir "$WORK/node$h/etc/resource.d"
            ln -s "$ROOT"/resource.d/* "$ROOT"/bench/resource.d/* "$WORK/node$h/etc/resource.d/"
            prepare ours "$h"
            mkdir -p "$WORK/node$h/rsc/www"; echo "node$(( h - a + 1 ))" > "$WORK/node$h/rsc/www/node"
            [ -z "${VIP_MONITORS:-}" ] || printf '%s\n' "$VIP_MONITORS" > "$WORK/node$h/etc/monitors"
        done
        launch ours "$a"; launch ours "$b"
    else
        keepalived_launch "$a" 150 "$b" "${2:-}"; keepalived_launch "$b" 100 "$a" "${2:-}"
    fi
}

# vip_up IMPL RUN: wait until node1 holds IMPL's address and 8 s have passed since the launch
# (our nodes advertise deadtime + 2 s for their first 5 s).
vip_up() {
    local a
    read -r a _ <<< "$(vip_hosts "$1")"
    wait_until 30000 holds "$a" "$(vip_address "$1")" >/dev/null || { note "$1" "$2" "FAILED: node1 never held the address"; return 1; }
    sleep_until $(( T0[$1] / 1000 + 8000000 ))
}

# client_ping IMPL: the client pings IMPL's address every 20 ms; replies with their receive time
# (ping -D) go to $WORK/ping-IMPL. `ip netns exec` execs: the PID is ping's.
declare -A PINGS
client_ping() {
    ip netns exec "${PREFIX}-$VIP_CLIENT" ping -D -n -i 0.02 -W 1 "$(vip_address "$1")" > "$WORK/ping-$1" 2>&1 &
    PINGS[$1]=$!; track $!
}
# answered_after IMPL US: the client got an answer later than US (µs since the epoch).
answered_after() {
    awk -v t="$2" '/bytes from/ { s = substr($1, 2, length($1) - 2); if (s * 1e6 > t + 0) { found = 1; exit } } END { exit !found }' "$WORK/ping-$1"
}
# longest_gap_ms IMPL FROM_US: the longest time between two consecutive answers since FROM_US
# (the answer just before FROM_US included), in ms.
longest_gap_ms() {
    awk -v t="$2" '/bytes from/ { s = substr($1, 2, length($1) - 2) * 1e6
        if (s <= t + 0) { last = s; next }
        if (last != "" && s - last > gap) gap = s - last; last = s }
        END { printf "%.1f", gap / 1000 }' "$WORK/ping-$1"
}

# vip_event IMPL RUN FIGURE ACTION WAIT_S CHECK H: ACTION at t0, then wait (WAIT_S at most) until
# CHECK H ADDRESS holds and the client was answered after that; record the longest gap.
vip_event() {
    local impl=$1 r=$2 fig=$3 action=$4 wait_s=$5 check=$6 h=$7 t0 settled
    take_slot
    t0=$(now_us)
    eval "$action"
    if wait_until $(( wait_s * 1000 )) "$check" "$h" "$(vip_address "$impl")" >/dev/null; then
        settled=$(now_us)
        if wait_until $(( wait_s * 1000 )) answered_after "$impl" "$settled" >/dev/null; then
            sleep 0.3
            record "$fig" ms "$impl" "$r" "$(longest_gap_ms "$impl" "$t0")"
            progress "  $(label "$impl") run $r: $fig: client without answer for $(longest_gap_ms "$impl" "$t0") ms"
            free_slot; return 0
        fi
        note "$impl" "$r" "FAILED: $fig: the client got no answer within ${wait_s}s"
    else
        note "$impl" "$r" "FAILED: $fig: host $h never reached $check"
    fi
    free_slot; return 1
}

# vip_idle_begin HOSTS / vip_idle_end IMPL RUN HOSTS ROLES: CPU, memory and (ours) heartbeats per
# host over the window; ROLES names each host's role in order ("owner standby", or "lone").
declare -A VIP_CPU VIP_UDP VIP_T
udp_counters() {  # udp_counters H: "InDatagrams OutDatagrams" of namespace H
    # shellcheck disable=SC2016 # awk's fields
    ip netns exec "${PREFIX}-$1" awk '/^Udp:/ && ++n == 2 { print $2, $5 }' /proc/net/snmp
}
vip_idle_begin() {
    local h
    for h in $1; do
        VIP_T[$h]=$(now_us)
        # shellcheck disable=SC2046
        VIP_CPU[$h]=$(cpu_ns $(node_pids "$h"))
        VIP_UDP[$h]=$(udp_counters "$h")
    done
}
declare -A VIP_RATE   # ours' ms CPU/min by role, and heartbeats its standby received per second
vip_idle_end() {
    local impl=$1 r=$2 hosts=$3 roles=$4 h role span cpu rss pss sent received rate hb=""
    # shellcheck disable=SC2086 # the roles are words
    set -- $roles
    for h in $hosts; do
        role=$1; shift
        span=$(( $(now_us) - VIP_T[$h] ))
        # shellcheck disable=SC2046
        cpu=$(( $(cpu_ns $(node_pids "$h")) - VIP_CPU[$h] ))
        # shellcheck disable=SC2046
        read -r rss pss <<< "$(mem_kb $(node_pids "$h"))"
        read -r received sent <<< "$(sub_pairs "$(udp_counters "$h")" "${VIP_UDP[$h]}")"
        rate=$(awk -v c="$cpu" -v s="$span" 'BEGIN { printf "%.2f", c / 1e6 * 60e6 / s }')
        record "vip_idle_cpu_$role" "ms CPU/min" "$impl" "$r" "$rate"
        [ "$role" = lone ] || { record "vip_rss_$role" kB "$impl" "$r" "$rss"; record "vip_pss_$role" kB "$impl" "$r" "$pss"; }
        if [ "$impl" = ours ]; then
            VIP_RATE[$role]=$rate
            hb=", $sent heartbeats sent, $received received"
            if [ "$role" = lone ]; then
                # A lone node only sends: all its CPU is the cost of sending (timers included).
                record vip_cpu_per_hb_sent "µs" ours "$r" "$(awk -v c="$cpu" -v n="$sent" 'BEGIN { printf "%.1f", c / 1e3 / n }')"
                # What a peer adds to the standby, per heartbeat received from it.
                record vip_cpu_per_hb_received "µs" ours "$r" "$(awk -v p="${VIP_RATE[standby]}" -v l="$rate" -v n="${VIP_RATE[received]}" \
                    'BEGIN { printf "%.1f", (p - l) * 1e3 / 60 / n }')"
            elif [ "$role" = standby ]; then
                VIP_RATE[received]=$(awk -v n="$received" -v s="$span" 'BEGIN { printf "%.3f", n * 1e6 / s }')   # per s
            fi
        fi
        progress "  $(label "$impl") run $r: idle $role: $rate ms CPU/min, RSS $rss kB, PSS $pss kB$hb"
    done
}

# run_vip RUN: one boot of both pairs, then idle, cut, heal, node loss, lone idle; all torn down.
run_vip() {
    local r=$1 impl a b ok=""
    for impl in ours keepalived; do vip_launch "$impl"; client_ping "$impl"; done
    for impl in ours keepalived; do
        read -r a b <<< "$(vip_hosts "$impl")"
        if wait_until 30000 holds "$a" "$(vip_address "$impl")" >/dev/null &&
           wait_until 10000 answered_after "$impl" "$(now_us)" >/dev/null; then ok="$ok $impl"
        else note "$impl" "$r" "FAILED: keepalived figure: node1 never held the address"; fi
    done
    # 8 s after the launch: our nodes advertise deadtime + 2 s for their first 5 s.
    local launched=${T0[ours]}
    sleep_until $(( launched / 1000 + 8000000 ))
    for impl in $ok; do vip_idle_begin "$(vip_hosts "$impl")"; done
    sleep "$IDLE_SECONDS"
    for impl in $ok; do vip_idle_end "$impl" "$r" "$(vip_hosts "$impl")" "owner standby"; done
    for impl in $ok; do
        read -r a b <<< "$(vip_hosts "$impl")"
        vip_event "$impl" "$r" vip_cut "detach $a" 10 holds "$b" || continue
        # A cut that lasts: the client has since re-confirmed node2's MAC (ARP entry REACHABLE).
        sleep "$CUT_SECONDS"
        # Healed: the peer releases its copy; ARP must lead the client back to node1.
        vip_event "$impl" "$r" vip_heal "attach $a" 90 releases "$b" || continue
        wait_until 5000 holds "$a" "$(vip_address "$impl")" >/dev/null || { note "$impl" "$r" "FAILED: node1 lost the address after the heal"; continue; }
        sleep 1
        # The node dies: its daemon killed (PIDs looked up before the clock) and its port gone.
        vip_event "$impl" "$r" vip_node_loss "kill -9 $(kill_pids "$a"); detach $a" 10 holds "$b" || continue
        sleep 1
        vip_idle_begin "$b"
        sleep "$IDLE_SECONDS"
        vip_idle_end "$impl" "$r" "$b" lone
    done
    vip_teardown
}

# vip_teardown: every daemon of both pairs killed, every port back on the bridge, the addresses
# removed and the client's pings ended: the next boot starts as from a reboot.
vip_teardown() {
    local impl h
    for impl in ours keepalived; do
        for h in $(vip_hosts "$impl"); do
            stop_node "$h"; attach "$h" 2>/dev/null
            ip -n "${PREFIX}-$h" addr del "$(vip_address "$impl")/24" dev eth0 2>/dev/null
        done
    done
    for h in "${PINGS[@]:-}"; do [ -z "$h" ] || kill "$h" 2>/dev/null; done
    PINGS=()
}
