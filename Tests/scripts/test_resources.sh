# Resource scripts that need no root: Dummy, Delay, SendArp (with a fake arping), MailTo (with a
# fake sendmail), OCF (with a fake agent in a scratch OCF_ROOT).

test_dummy_start_stop_status_idempotent() {
    status_is "$RS/Dummy" web stopped
    run "$RS/Dummy" web start; expect_rc 0 "first start"
    run "$RS/Dummy" web start; expect_rc 0 "second start"
    status_is "$RS/Dummy" web running
    [ -f "$HA_RSCTMP/Dummy-web" ] || fail "state file in HA_RSCTMP"
    status_is "$RS/Dummy" db stopped
    run "$RS/Dummy" web stop; expect_rc 0 "first stop"
    run "$RS/Dummy" web stop; expect_rc 0 "second stop"
    status_is "$RS/Dummy" web stopped
    # One argument: the "default" instance; DUMMY_STATE_DIR wins over HA_RSCTMP.
    DUMMY_STATE_DIR=$T/dstate "$RS/Dummy" start >/dev/null || fail "Dummy start"
    [ -f "$T/dstate/Dummy-default" ] || fail "DUMMY_STATE_DIR not used"
}

test_dummy_rejects_bad_usage() {
    run "$RS/Dummy"; expect_rc 2 "no arguments"
    run "$RS/Dummy" a b c; expect_rc 2 "three arguments"
    run "$RS/Dummy" web restart; expect_rc 2 "unknown action"
    run "$RS/Dummy" ../x start; expect_rc 2 "instance with a slash"
}

test_dummy_instance_named_like_a_status_word() {
    local name
    for name in OK running NotRunning; do
        status_is "$RS/Dummy" "$name" stopped
        "$RS/Dummy" "$name" start >/dev/null || fail "start $name"
        status_is "$RS/Dummy" "$name" running
    done
}

test_dummy_log_and_hooks() {
    export DUMMY_LOG=$T/calls.log HA_CURHOST=nodeA
    "$RS/Dummy" web start >/dev/null
    "$RS/Dummy" web status >/dev/null
    "$RS/Dummy" web stop >/dev/null
    "$RS/Dummy" web status >/dev/null
    local lines
    mapfile -t lines < "$DUMMY_LOG"
    expect_eq "${#lines[@]}" 4 "log lines"
    expect_match "${lines[0]}" '^[0-9]{19} nodeA web start begin$'
    expect_match "${lines[1]}" '^[0-9]{19} nodeA web status running$'
    expect_match "${lines[2]}" '^[0-9]{19} nodeA web stop ok$'
    expect_match "${lines[3]}" '^[0-9]{19} nodeA web status stopped$'
    local t0=${lines[0]%% *} t2=${lines[2]%% *}
    [ "$t2" -gt "$t0" ] || fail "timestamps do not increase: $t0 then $t2"
    # A fail-<action> file breaks that action.
    mkdir -p "$HA_RSCTMP"
    touch "$HA_RSCTMP/Dummy-web.fail-start"
    run "$RS/Dummy" web start; expect_rc 1 "start with a fail file"
    status_is "$RS/Dummy" web stopped
    rm "$HA_RSCTMP/Dummy-web.fail-start"
    "$RS/Dummy" web start >/dev/null || fail "start after removing the fail file"
    touch "$HA_RSCTMP/Dummy-web.fail-stop"
    run "$RS/Dummy" web stop; expect_rc 1 "stop with a fail file"
    status_is "$RS/Dummy" web running
    # DUMMY_DELAY makes start slow.
    local t1 t3
    t1=$(now_ms)
    DUMMY_DELAY=0.3 "$RS/Dummy" slow start >/dev/null
    t3=$(now_ms)
    [ $((t3 - t1)) -ge 300 ] || fail "DUMMY_DELAY=0.3 took $((t3 - t1)) ms"
}

test_dummy_service_faults() {
    export HA_RSCTMP=$T/svc
    mkdir -p "$HA_RSCTMP"
    "$RS/Dummy" db start >/dev/null || fail "start"
    # fail-status: stopped while it exists, whatever the state file says.
    touch "$HA_RSCTMP/Dummy-db.fail-status"
    status_is "$RS/Dummy" db stopped
    rm "$HA_RSCTMP/Dummy-db.fail-status"
    status_is "$RS/Dummy" db running
    # flap-status K: every K-th status says stopped.
    echo 3 > "$HA_RSCTMP/Dummy-db.flap-status"
    status_is "$RS/Dummy" db running
    status_is "$RS/Dummy" db running
    status_is "$RS/Dummy" db stopped
    status_is "$RS/Dummy" db running
    # hang-status: status never answers; a start cures it unless it says persistent.
    touch "$HA_RSCTMP/Dummy-db.hang-status"
    run timeout 0.5 "$RS/Dummy" db status; expect_rc 124 "status of a hung service"
    "$RS/Dummy" db start >/dev/null || fail "start of a hung service"
    [ ! -e "$HA_RSCTMP/Dummy-db.hang-status" ] && [ ! -e "$HA_RSCTMP/Dummy-db.flap-status" ] \
        || fail "a start left hang-status or flap-status behind"
    echo persistent > "$HA_RSCTMP/Dummy-db.hang-status"
    "$RS/Dummy" db start >/dev/null || fail "start"
    [ -e "$HA_RSCTMP/Dummy-db.hang-status" ] || fail "a start removed a persistent hang-status"
    # A crash: the state file is gone, stopped until the next start.
    rm "$HA_RSCTMP/Dummy-db.hang-status" "$HA_RSCTMP/Dummy-db"
    status_is "$RS/Dummy" db stopped
    "$RS/Dummy" db start >/dev/null || fail "start after a crash"
    status_is "$RS/Dummy" db running
}

test_dummy_works_copied_alone() {
    mkdir -p "$T/alone/resource.d"
    cp "$RS/Dummy" "$T/alone/resource.d/"
    HA_DIR=$T/nothing HA_FUNCS='' status_is "$T/alone/resource.d/Dummy" x stopped
    HA_DIR=$T/nothing HA_FUNCS='' "$T/alone/resource.d/Dummy" x start >/dev/null || fail "start"
    HA_DIR=$T/nothing HA_FUNCS='' status_is "$T/alone/resource.d/Dummy" x running
}

test_scripts_refuse_foreign_shellfuncs() {
    # A copy of IPaddr2 without our shellfuncs nearby must not run on another one.
    mkdir -p "$T/copy/resource.d" "$T/fake"
    cp "$RS/IPaddr2" "$T/copy/resource.d/"
    echo 'ha_log() { :; }' > "$T/fake/shellfuncs"
    HA_FUNCS=$T/fake/shellfuncs HA_DIR=$T/fake run "$T/copy/resource.d/IPaddr2" 10.0.0.1 status
    expect_rc 5 "IPaddr2 without its shellfuncs"
    expect_contains "$OUT" "cannot find its shellfuncs"
}

test_delay() {
    local t0 t1
    status_is "$RS/Delay" 0.3 0.1 stopped
    t0=$(now_ms)
    run "$RS/Delay" 0.3 0.1 start; expect_rc 0 "start"
    t1=$(now_ms)
    [ $((t1 - t0)) -ge 300 ] || fail "start took $((t1 - t0)) ms, wanted >= 300"
    status_is "$RS/Delay" 0.3 0.1 running
    status_is "$RS/Delay" 0.3 0.2 stopped
    run "$RS/Delay" 0.3 0.1 stop; expect_rc 0 "stop"
    status_is "$RS/Delay" 0.3 0.1 stopped
    run "$RS/Delay" 0 start; expect_rc 0 "one number"
    status_is "$RS/Delay" 0 running
    run "$RS/Delay" abc start; expect_rc 2 "not a number"
    run "$RS/Delay" 1.2.3 start; expect_rc 2 "two dots"
    run "$RS/Delay" 1 2 3 start; expect_rc 2 "too many"
}

# A fake iputils arping that records its arguments.
fake_arping() {
    fake_bin arping 'if [ "$1" = -V ]; then echo "arping from iputils 20221126"; exit 0; fi
echo "$*" >> "'"$T"'/arping.calls"'
}

test_sendarp() {
    fake_arping
    status_is "$RS/SendArp" 10.9.8.7/eth9 stopped
    run "$RS/SendArp" 10.9.8.7/eth9 start; expect_rc 0 "start"
    wait_for 5 test -s "$T/arping.calls" || fail "arping was not run"
    expect_eq "$(cat "$T/arping.calls")" "-q -U -c 1 -I eth9 10.9.8.7" "arping arguments"
    status_is "$RS/SendArp" 10.9.8.7/eth9 running
    run "$RS/SendArp" 10.9.8.7/eth9 stop; expect_rc 0 "stop"
    run "$RS/SendArp" 10.9.8.7/eth9 stop; expect_rc 0 "second stop"
    status_is "$RS/SendArp" 10.9.8.7/eth9 stopped
    expect_eq "$(wc -l < "$T/arping.calls")" 1 "stop sends nothing"
    run "$RS/SendArp" 10.9.8/eth9 start; expect_rc 2 "bad address"
    run "$RS/SendArp" "10.9.8.7/eth9;x" start; expect_rc 2 "bad interface"
}

test_sendarp_without_arping_only_logs() {
    # Hide any real arping: a PATH holding only what the script needs.
    mkdir -p "$T/bin"
    local tool
    for tool in dirname grep date mkdir rm sed awk tr cat; do
        ln -s "$(command -v $tool)" "$T/bin/$tool"
    done
    run env PATH="$T/bin" /bin/sh "$RS/SendArp" 10.9.8.7/eth9 start
    if PATH=/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin command -v arping >/dev/null; then
        # shellfuncs appends the system directories to PATH; an installed arping is found there.
        expect_rc 0 "start"
        return 0
    fi
    expect_rc 0 "start without arping"
    expect_contains "$(cat "$HA_LOGFILE")" "arping not found"
}

test_mailto_with_fake_sendmail() {
    fake_bin sendmail 'echo "ARGS: $*" >> "'"$T"'/mail.out"; cat >> "'"$T"'/mail.out"; echo "--" >> "'"$T"'/mail.out"'
    status_is "$RS/MailTo" ops@example.com,dev@example.com WebCluster stopped
    run "$RS/MailTo" ops@example.com,dev@example.com WebCluster start; expect_rc 0 "start"
    status_is "$RS/MailTo" ops@example.com,dev@example.com WebCluster running
    run "$RS/MailTo" ops@example.com,dev@example.com WebCluster stop; expect_rc 0 "stop"
    status_is "$RS/MailTo" ops@example.com,dev@example.com WebCluster stopped
    local mail
    mail=$(cat "$T/mail.out")
    expect_contains "$mail" "ARGS: -oi -t"
    expect_contains "$mail" "To: ops@example.com,dev@example.com"
    expect_match "$mail" "Subject: \[WebCluster\] Takeover in progress at .* on $(uname -n)"
    expect_match "$mail" "Subject: \[WebCluster\] Migrating resource away at .* from $(uname -n)"
    # No subject argument: no brackets.
    "$RS/MailTo" solo@example.com start >/dev/null || fail "start without subject"
    expect_match "$(tail -n 4 "$T/mail.out")" "Subject: Takeover in progress"
}

test_mailto_failing_or_missing_sendmail_still_succeeds() {
    fake_bin sendmail 'cat >/dev/null; exit 75'
    run "$RS/MailTo" ops@example.com start; expect_rc 0 "start with a failing sendmail"
    expect_contains "$(cat "$HA_LOGFILE")" "failed; could not send"
    status_is "$RS/MailTo" ops@example.com running
    run "$RS/MailTo" "ops@example.com>x" start; expect_rc 2 "bad address list"
    if [ -x /usr/sbin/sendmail ] || [ -x /usr/lib/sendmail ]; then
        return 0    # a real MTA is installed; do not send real mail
    fi
    rm "$T/bin/sendmail"
    : > "$HA_LOGFILE"
    run "$RS/MailTo" ops@example.com stop; expect_rc 0 "stop without sendmail"
    expect_contains "$(cat "$HA_LOGFILE")" "no sendmail found; could not send"
}

# make_agent PROVIDER NAME: a fake OCF agent that logs its action and environment, and whose
# monitor exit code and output come from files.
make_agent() {
    export OCF_ROOT=$T/ocf
    mkdir -p "$OCF_ROOT/resource.d/$1"
    cat > "$OCF_ROOT/resource.d/$1/$2" <<EOF
#!/bin/sh
echo "\$1 instance=\$OCF_RESOURCE_INSTANCE type=\$OCF_RESOURCE_TYPE provider=\$OCF_RESOURCE_PROVIDER root=\$OCF_ROOT v=\$OCF_RA_VERSION_MAJOR.\$OCF_RA_VERSION_MINOR" >> "$T/agent.calls"
env | grep '^OCF_RESKEY_' | sort >> "$T/agent.calls"
case \$1 in
    monitor) cat "$T/monitor.out" 2>/dev/null; exit \$(cat "$T/monitor.rc" 2>/dev/null || echo 7) ;;
    stop) exit \$(cat "$T/stop.rc" 2>/dev/null || echo 0) ;;
    meta-data) echo "<resource-agent/>" ;;
esac
exit 0
EOF
    chmod +x "$OCF_ROOT/resource.d/$1/$2"
}

test_ocf_status_maps_monitor_codes() {
    make_agent heartbeat fake
    echo 0 > "$T/monitor.rc"
    status_is "$RS/OCF" fake running
    echo 7 > "$T/monitor.rc"
    # The agent's own chatter must not reach heartbeat's judgement.
    echo "fake is not OK, nothing running here" > "$T/monitor.out"
    status_is "$RS/OCF" fake stopped
    expect_eq "$OUT" "OCF heartbeat/fake: stopped" "status output"
    echo 8 > "$T/monitor.rc"
    status_is "$RS/OCF" fake running
    echo 1 > "$T/monitor.rc"
    runout "$RS/OCF" fake status
    expect_rc 1 "monitor exit 1"
    expect_eq "$(judge "$OUT")" stopped "failed monitor words [$OUT]"
    expect_contains "$OUT" "failed (monitor exit 1)"
}

test_ocf_passes_parameters_and_instance() {
    make_agent heartbeat fake
    run "$RS/OCF" fake ip=10.0.0.5 nic=eth0 label=a=b start
    expect_rc 0 "start"
    local calls
    calls=$(cat "$T/agent.calls")
    expect_contains "$calls" "start instance=fake_10.0.0.5 type=fake provider=heartbeat root=$T/ocf v=1.0"
    expect_contains "$calls" "OCF_RESKEY_ip=10.0.0.5"
    expect_contains "$calls" "OCF_RESKEY_nic=eth0"
    expect_contains "$calls" "OCF_RESKEY_label=a=b"
    # 3.0.6's instance form reads $HA_DIR/conf/OCF/AGENT/INSTANCE; arguments win over the file.
    mkdir -p "$HA_DIR/conf/OCF/fake"
    printf 'OCF_RESKEY_from_file=yes\nOCF_RESKEY_nic=eth1\n' > "$HA_DIR/conf/OCF/fake/web"
    : > "$T/agent.calls"
    run "$RS/OCF" fake web nic=eth2 stop
    expect_rc 0 "stop"
    calls=$(cat "$T/agent.calls")
    expect_contains "$calls" "stop instance=web "
    expect_contains "$calls" "OCF_RESKEY_from_file=yes"
    expect_contains "$calls" "OCF_RESKEY_nic=eth2"
    # Another provider.
    make_agent myco thing
    : > "$T/agent.calls"
    run "$RS/OCF" myco/thing start; expect_rc 0 "provider/agent"
    expect_contains "$(cat "$T/agent.calls")" "start instance=thing type=thing provider=myco"
    # Other actions go through untouched.
    run "$RS/OCF" fake meta-data; expect_rc 0 "meta-data"
    expect_eq "$OUT" "<resource-agent/>"
}

# Agents size their waits from the action's time limit (mysql: the clean-shutdown wait before
# SIGKILL): heartbeat's limits unless the resource gives its own.
test_ocf_tells_the_agent_its_time_limit() {
    make_agent heartbeat fake
    run "$RS/OCF" fake start; expect_rc 0 "start"
    expect_contains "$(cat "$T/agent.calls")" "OCF_RESKEY_CRM_meta_timeout=120000"
    : > "$T/agent.calls"
    run "$RS/OCF" fake stop; expect_rc 0 "stop"
    expect_contains "$(cat "$T/agent.calls")" "OCF_RESKEY_CRM_meta_timeout=120000"
    : > "$T/agent.calls"
    echo 0 > "$T/monitor.rc"
    status_is "$RS/OCF" fake running
    expect_contains "$(cat "$T/agent.calls")" "OCF_RESKEY_CRM_meta_timeout=30000"
    : > "$T/agent.calls"
    run "$RS/OCF" fake CRM_meta_timeout=45000 stop; expect_rc 0 "stop with its own limit"
    expect_contains "$(cat "$T/agent.calls")" "OCF_RESKEY_CRM_meta_timeout=45000"
    : > "$T/agent.calls"
    run "$RS/OCF" fake meta-data; expect_rc 0 "meta-data"
    case $(cat "$T/agent.calls") in *CRM_meta_timeout*) fail "meta-data got a time limit" ;; esac
}

test_ocf_stop_of_stopped_agent_and_errors() {
    make_agent heartbeat fake
    echo 7 > "$T/stop.rc"
    run "$RS/OCF" fake stop; expect_rc 0 "stop returning 7 (not running)"
    echo 1 > "$T/stop.rc"
    run "$RS/OCF" fake stop; expect_rc 1 "stop returning 1"
    run "$RS/OCF" nosuch start; expect_rc 5 "missing agent"
    runout "$RS/OCF" nosuch status
    expect_eq "$(judge "$OUT")" stopped "status of a missing agent [$OUT]"
    run "$RS/OCF" ../fake start; expect_rc 2 "agent with .."
    run "$RS/OCF" fake 9x=1 start; expect_rc 2 "bad parameter name"
    run "$RS/OCF" fake a b start; expect_rc 2 "two instance names"
    run "$RS/OCF" start; expect_rc 2 "no agent"
}

test_ocf_against_real_resource_agents_dummy() {
    [ -x /usr/lib/ocf/resource.d/heartbeat/Dummy ] || skip "resource-agents is not installed"
    export OCF_ROOT=/usr/lib/ocf
    local state=$T/ocf-dummy.state
    status_is "$RS/OCF" Dummy state="$state" stopped
    run "$RS/OCF" Dummy state="$state" start; expect_rc 0 "start"
    status_is "$RS/OCF" Dummy state="$state" running
    run "$RS/OCF" Dummy state="$state" stop; expect_rc 0 "stop"
    status_is "$RS/OCF" Dummy state="$state" stopped
}
