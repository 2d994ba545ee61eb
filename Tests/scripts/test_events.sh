# hb_standby, hb_takeover, harc and the rc.d event scripts.

# A FIFO in $T read by a background reader into $T/received, and a pidfile naming a live process
# (this test), so the tools believe heartbeat runs. cl_status is faked to say "stopped" so a real
# one on the machine cannot change the answer.
fake_heartbeat() {
    mkfifo "$T/fifo"
    export HA_FIFO=$T/fifo HA_PIDFILE=$T/heartbeat.pid
    echo $$ > "$HA_PIDFILE"
    fake_bin cl_status 'exit 1'
}

# tool_message TOOL ARGS...: runs the tool, returns what reached the FIFO in RECEIVED.
tool_message() {
    timeout 10 cat "$T/fifo" > "$T/received" &
    local reader=$!
    run "$@"
    [ "$RC" = 0 ] || { kill "$reader" 2>/dev/null; fail "$* exited $RC: $OUT"; }
    wait "$reader"
    RECEIVED=$(cat "$T/received")
}

test_hb_standby_messages() {
    fake_heartbeat
    local arg expected
    for arg in "" all local foreign failback; do
        case $arg in
            ""|all) expected=all ;;
            failback) expected=foreign ;;
            *) expected=$arg ;;
        esac
        tool_message "$TOOLS/hb_standby" $arg
        expect_eq "$RECEIVED" $'>>>\nt=ask_resources\nrsc_hold='"$expected"$'\ninfo=me\n<<<' "hb_standby $arg"
    done
    expect_contains "$(cat "$HA_LOGFILE")" "Going standby [foreign]."
}

test_hb_takeover_messages() {
    fake_heartbeat
    local arg
    for arg in "" all local foreign failback; do
        tool_message "$TOOLS/hb_takeover" $arg
        expect_eq "$RECEIVED" $'>>>\nt=hb_takeover\nrsc_hold='"${arg:-all}"$'\n<<<' "hb_takeover $arg"
    done
    expect_contains "$(cat "$HA_LOGFILE")" "Taking over [failback] resources."
}

test_tools_usage_and_not_running() {
    fake_heartbeat
    local tool
    for tool in hb_standby hb_takeover; do
        run "$TOOLS/$tool" bogus; expect_rc 1 "$tool bogus"
        expect_contains "$OUT" "wrong resources(bogus)."
        expect_contains "$OUT" "[all|foreign|local|failback]"
        run "$TOOLS/$tool" all local; expect_rc 1 "$tool with two arguments"
        expect_contains "$OUT" "too many arguments"
        run "$TOOLS/$tool" --help; expect_rc 1 "$tool --help"
        expect_contains "$OUT" "usage:"
        # No heartbeat: a pidfile naming no process, cl_status saying no.
        echo 999999999 > "$HA_PIDFILE"
        run "$TOOLS/$tool" all; expect_rc 1 "$tool without heartbeat"
        expect_contains "$OUT" "heartbeat is not running"
        rm -f "$HA_PIDFILE"
        run "$TOOLS/$tool" all; expect_rc 1 "$tool without a pidfile"
        echo $$ > "$HA_PIDFILE"
    done
}

test_tools_trust_cl_status() {
    fake_heartbeat
    rm -f "$HA_PIDFILE"
    fake_bin cl_status '[ "$1" = hbstatus ] && echo "Heartbeat is running on this machine." && exit 0; exit 1'
    tool_message "$TOOLS/hb_takeover" local
    expect_eq "$RECEIVED" $'>>>\nt=hb_takeover\nrsc_hold=local\n<<<'
}

# A scratch HA_DIR with rc.d/probe, which records its arguments and HA_ environment.
make_rcdir() {
    mkdir -p "$HA_DIR/rc.d"
    export HA_RCDIR=$HA_DIR/rc.d
    printf '#!/bin/sh\necho "args: $*" > "%s/probe.out"\nenv | grep "^HA_" | sort >> "%s/probe.out"\necho "probe output"\n' \
        "$T" "$T" > "$HA_RCDIR/probe"
    chmod +x "$HA_RCDIR/probe"
}

test_harc_runs_event_script() {
    make_rcdir
    HA_t=probe HA_src=bob run "$HAD/harc" probe
    expect_rc 0 "harc probe"
    expect_contains "$(cat "$T/probe.out")" "args: probe"
    expect_contains "$(cat "$T/probe.out")" "HA_src=bob"
    expect_contains "$(cat "$HA_LOGFILE")" "info: Running $HA_RCDIR/probe probe"
    # With HA_DEBUGLOG, output goes there.
    export HA_DEBUGLOG=$T/debug.log
    run "$HAD/harc" probe
    expect_eq "$OUT" "" "harc stdout with HA_DEBUGLOG"
    expect_contains "$(cat "$HA_DEBUGLOG")" "probe output"
}

test_harc_refuses_missing_and_unsafe_names() {
    make_rcdir
    run "$HAD/harc" nosuch; expect_rc 1 "missing script"
    expect_contains "$(cat "$HA_LOGFILE")" "rc.d/nosuch: not executable"
    cp "$HA_RCDIR/probe" "$T/outside"
    run "$HAD/harc" ../../outside; expect_rc 1 "path outside rc.d"
    run "$HAD/harc" .hidden; expect_rc 1 "dot name"
    run "$HAD/harc"; expect_rc 1 "no type"
    [ ! -e "$T/probe.out" ] || fail "a refused name ran something"
    HA_RCDIR=$T/nodir run "$HAD/harc" probe; expect_rc 1 "no rc.d"
}

# Fake 3.0.6 helpers in HA_NOARCHBIN that record their calls to $T/calls.
fake_noarchbin() {
    export HA_NOARCHBIN=$T/noarch
    mkdir -p "$HA_NOARCHBIN"
    local tool
    for tool in mach_down hb_standby; do
        printf '#!/bin/sh\necho "%s $*" >> "%s/calls"\n' "$tool" "$T" > "$HA_NOARCHBIN/$tool"
    done
    # ResourceManager: "status g1" says running; listkeys prints two keys.
    cat > "$HA_NOARCHBIN/ResourceManager" <<EOF
#!/bin/sh
echo "ResourceManager \$*" >> "$T/calls"
case \$1 in
    status) [ "\$2" = g1 ] ;;
    listkeys) echo g1; echo g2 ;;
esac
EOF
    chmod +x "$HA_NOARCHBIN"/*
    : > "$T/calls"
}

rcd() {
    run "$HAD/rc.d/$1"
    CALLS=$(cat "$T/calls")
}

test_rcd_stock_behaviour_without_the_daemon_marker() {
    fake_noarchbin
    mkfifo "$T/fifo"
    export HA_FIFO=$T/fifo HA_CURHOST=alice
    # status: only st=dead of another node runs mach_down (lower-cased name).
    HA_st=active HA_src=bob rcd status; expect_eq "$CALLS" "" "status active"
    HA_st=dead HA_src=alice rcd status; expect_eq "$CALLS" "" "our own death"
    HA_st=dead HA_src=Bob rcd status; expect_rc 0 "status dead"
    expect_eq "$CALLS" "mach_down bob"
    # ip-request for a group we run: givegroup, then the answer through the FIFO.
    : > "$T/calls"
    timeout 10 cat "$T/fifo" > "$T/received" &
    HA_t=ip-request HA_src=bob HA_ipaddr=g1 rcd ip-request
    expect_rc 0 "ip-request"
    wait
    expect_eq "$CALLS" $'ResourceManager status g1\nResourceManager givegroup g1'
    expect_eq "$(cat "$T/received")" $'>>>\nt=ip-request-resp\ndest=bob\nipaddr=g1\nweown=yes\nok=OK\n<<<'
    : > "$T/calls"
    timeout 10 cat "$T/fifo" > "$T/received" &
    HA_t=ip-request HA_src=bob HA_ipaddr=g2 rcd ip-request
    wait
    expect_eq "$CALLS" "ResourceManager status g2"
    expect_contains "$(cat "$T/received")" "weown=no"
    : > "$T/calls"
    HA_t=ip-request HA_src=alice HA_ipaddr=g1 rcd ip-request; expect_eq "$CALLS" "" "our own request"
    # ip-request-resp: only when addressed to us and ok=OK.
    HA_dest=bob HA_ipaddr=g1 HA_ok=OK rcd ip-request-resp; expect_eq "$CALLS" "" "answer for bob"
    HA_dest=alice HA_ipaddr=g1 HA_ok=NO rcd ip-request-resp; expect_eq "$CALLS" "" "not OK"
    HA_dest=alice HA_ipaddr=g1 HA_ok=OK HA_weown=yes rcd ip-request-resp
    expect_eq "$CALLS" "ResourceManager takegroup g1"
    # hb_takeover: the mirror image of the requester's set; failback fixed to foreign.
    local pair
    for pair in all:all local:foreign foreign:local failback:foreign; do
        : > "$T/calls"
        HA_src=bob HA_rsc_hold=${pair%%:*} rcd hb_takeover
        expect_eq "$CALLS" "hb_standby ${pair#*:}" "hb_takeover ${pair%%:*}"
    done
    : > "$T/calls"
    HA_src=alice HA_rsc_hold=all rcd hb_takeover; expect_eq "$CALLS" "" "our own takeover request"
    HA_src=bob HA_rsc_hold=bogus rcd hb_takeover; expect_rc 1 "bogus set"
    # ask_resources: take the asker's groups, then announce with auto_failback on/off.
    : > "$T/calls"
    timeout 10 cat "$T/fifo" > "$T/received" &
    HA_src=bob HA_NICEFAILBACK=yes rcd ask_resources
    wait
    expect_eq "$CALLS" $'ResourceManager listkeys bob\nResourceManager takegroup g1\nResourceManager takegroup g2'
    expect_eq "$(cat "$T/received")" $'>>>\nt=resource\nrsc_hold=foreign\ninfo=standby\n<<<'
}

test_rcd_internal_mode_changes_nothing() {
    fake_noarchbin
    export HA_RESOURCE_MANAGER=internal HA_CURHOST=alice HA_FIFO=$T/no-fifo
    HA_st=dead HA_src=bob rcd status; expect_rc 0 "status"
    HA_t=ip-request HA_src=bob HA_ipaddr=g1 rcd ip-request; expect_rc 0 "ip-request"
    HA_dest=alice HA_ipaddr=g1 HA_ok=OK rcd ip-request-resp; expect_rc 0 "ip-request-resp"
    HA_src=bob HA_rsc_hold=local rcd hb_takeover; expect_rc 0 "hb_takeover"
    HA_src=bob HA_NICEFAILBACK=yes rcd ask_resources; expect_rc 0 "ask_resources"
    expect_eq "$CALLS" "" "calls to 3.0.6 helpers"
}

test_rcd_missing_helpers_are_errors() {
    export HA_NOARCHBIN=$T/empty HA_CURHOST=alice
    HA_st=dead HA_src=bob run "$HAD/rc.d/status"; expect_rc 1 "no mach_down"
    expect_contains "$(cat "$HA_LOGFILE")" "mach_down not found"
    run "$HAD/rc.d/ip-request"; expect_rc 1 "ip-request without HA_ipaddr"
}
