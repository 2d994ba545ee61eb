# Syntax of everything we ship, and the helpers in ha.d/shellfuncs.

test_syntax_posix_sh() {
    local f n=0
    command -v dash >/dev/null || skip "dash is not installed"
    while read -r f; do
        n=$((n + 1))
        dash -n "$f" || fail "dash -n $f"
        sh -n "$f" || fail "sh -n $f"
        if [ "${f##*/}" != shellfuncs ]; then
            [ -x "$f" ] || fail "$f is not executable"
            expect_eq "$(head -n 1 "$f")" "#!/bin/sh" "shebang of $f"
        fi
    done < <(shipped_scripts)
    [ $n -ge 17 ] || fail "only $n scripts found"
}

test_syntax_shellcheck() {
    command -v shellcheck >/dev/null || skip "shellcheck is not installed (apt-get install shellcheck)"
    local files
    mapfile -t files < <(shipped_scripts)
    run shellcheck -s sh "${files[@]}"
    expect_rc 0 "shellcheck -s sh"
}

# The judge in lib.sh is the yardstick for every status test; pin it to spec §6.2 first.
test_judge_rule() {
    expect_eq "$(judge "running")" running
    expect_eq "$(judge "INFO:  Running OK")" running
    expect_eq "$(judge "OK")" running
    expect_eq "$(judge "apache is not running")" stopped
    expect_eq "$(judge "NOT  Running either")" stopped
    expect_eq "$(judge "stopped")" stopped
    expect_eq "$(judge "INFO:  Resource is stopped")" stopped
    expect_eq "$(judge "")" stopped
    expect_eq "$(judge "ok")" stopped "lower-case ok"
}

test_status_words_resist_tricky_labels() {
    . "$HAD/shellfuncs"
    local label
    for label in "Filesystem /srv/running" "MailTo OK" "x OKAY" "Dummy Running"; do
        expect_eq "$(judge "$(ha_status_stopped "$label")")" stopped "stopped line for [$label]"
    done
    for label in "Filesystem /data" "x not running-ish" "a not Running b"; do
        expect_eq "$(judge "$(ha_status_running "$label")")" running "running line for [$label]"
    done
}

test_ha_log_format_and_levels() {
    . "$HAD/shellfuncs"
    export HA_DEBUGLOG=$T/debug.log
    HA_LOGTAG="tester[42]"
    ha_log "plain words"
    ha_log "ERROR: something broke"
    ha_log "WARN: careful"
    ha_debug "only for the debug file"
    local lines
    mapfile -t lines < "$HA_LOGFILE"
    expect_eq "${#lines[@]}" 3 "lines in HA_LOGFILE"
    expect_match "${lines[0]}" '^[0-9]{4}/[0-9]{2}/[0-9]{2}_[0-9]{2}:[0-9]{2}:[0-9]{2} tester\[42\]: info: plain words$'
    expect_match "${lines[1]}" ' tester\[42\]: ERROR: something broke$'
    expect_match "${lines[2]}" ' tester\[42\]: WARN: careful$'
    mapfile -t lines < "$HA_DEBUGLOG"
    expect_eq "${#lines[@]}" 4 "lines in HA_DEBUGLOG"
    expect_match "${lines[3]}" ' tester\[42\]: debug: only for the debug file$'
}

test_ha_log_default_tag_is_script_and_pid() {
    printf '#!/bin/sh\n. "%s"\nha_log "hello"\necho $$\n' "$HAD/shellfuncs" > "$T/myscript"
    chmod +x "$T/myscript"
    local pid
    pid=$("$T/myscript")
    expect_match "$(cat "$HA_LOGFILE")" " myscript\[$pid\]: info: hello$"
}

test_ha_log_syslog_through_logger() {
    fake_bin logger 'echo "$*" >> "'"$T"'/logger.out"'
    . "$HAD/shellfuncs"
    unset HA_LOGFILE
    export HA_LOGFACILITY=local7
    ha_log "ERROR: to syslog"
    ha_log "fine"
    expect_eq "$(sed -n 1p "$T/logger.out")" "-t ${0##*/}[$$] -p local7.err -- ERROR: to syslog"
    expect_contains "$(sed -n 2p "$T/logger.out")" "-p local7.info -- info: fine"
    # With no file and no facility, lines go to stderr.
    unset HA_LOGFACILITY
    expect_match "$(ha_log "to stderr" 2>&1)" ': info: to stderr$'
}

test_ha_parameter() {
    mkdir -p "$HA_DIR"
    cat > "$HA_DIR/ha.cf" <<'EOF'
# comment keepalive 9
KeepAlive   2   # trailing comment
node alice bob
node  carol
udpport 694
EOF
    . "$HAD/shellfuncs"
    expect_eq "$(ha_parameter keepalive)" 2
    expect_eq "$(ha_parameter node)" "alice bob carol"
    expect_eq "$(ha_parameter UDPPORT)" 694
    expect_eq "$(ha_parameter deadtime)" 30 "compiled-in default"
    expect_eq "$(ha_parameter nosuch)" ""
}

test_ha_defaults_follow_overrides() {
    (
        unset HA_DIR
        export HA_CONFIG_DIR=/srv/conf HA_STATE_DIR=/srv/state HA_RUN_DIR=/srv/run
        . "$HAD/shellfuncs"
        expect_eq "$HA_DIR" /srv/conf
        expect_eq "$HA_RCDIR" /srv/conf/rc.d
        expect_eq "$HA_FUNCS" /srv/conf/shellfuncs
        expect_eq "$HA_FIFO" /srv/state/fifo
        expect_eq "$HA_PIDFILE" /srv/run/heartbeat.pid
    ) || exit 1
    (
        unset HA_DIR
        . "$HAD/shellfuncs"
        expect_eq "$HA_DIR" /etc/ha.d
        expect_eq "$HA_RESOURCEDIR" /etc/ha.d/resource.d
        expect_eq "$HA_FIFO" /var/lib/heartbeat/fifo
        expect_eq "$HA_PIDFILE" /run/heartbeat.pid
        expect_eq "$HA_NOARCHBIN" /usr/share/heartbeat
        expect_eq "$OCF_ROOT" /usr/lib/ocf
    ) || exit 1
}

test_ip_helpers() {
    . "$HAD/shellfuncs"
    local good bad
    for good in 10.0.0.5 0.0.0.0 255.255.255.255 192.168.1.10; do
        ha_ip_valid "$good" || fail "$good should be valid"
    done
    for bad in 10.0.0 10.0.0.256 10..0.1 a.b.c.d 10.0.0.5. "" 1.2.3.4.5 1000.1.1.1; do
        ! ha_ip_valid "$bad" || fail "[$bad] should be invalid"
    done
    expect_eq "$(ha_ip_to_int 10.0.0.1)" 167772161
    expect_eq "$(ha_netmask_bits 24)" 24
    expect_eq "$(ha_netmask_bits 255.255.255.0)" 24
    expect_eq "$(ha_netmask_bits 255.255.255.255)" 32
    expect_eq "$(ha_netmask_bits 255.255.128.0)" 17
    ! ha_netmask_bits 255.0.255.0 >/dev/null || fail "255.0.255.0 is no netmask"
    ! ha_netmask_bits 33 >/dev/null || fail "33 bits"
    ha_ip_in_subnet 10.0.0.77 10.0.0.1 24 || fail "10.0.0.77 in 10.0.0.1/24"
    ! ha_ip_in_subnet 10.0.1.77 10.0.0.1 24 || fail "10.0.1.77 not in 10.0.0.1/24"
    ha_ip_in_subnet 10.0.1.77 10.0.0.1 16 || fail "10.0.1.77 in 10.0.0.1/16"
}

# A FIFO and a background reader that copies what arrives to $T/received.
start_fifo_reader() {
    mkfifo "$T/fifo"
    export HA_FIFO=$T/fifo
    timeout 10 cat "$T/fifo" > "$T/received" &
    READER=$!
}

test_clustermsg_writes_classic_message() {
    . "$HAD/shellfuncs"
    start_fifo_reader
    printf '\tt=resource\n\n  rsc_hold=foreign\ninfo=a=b\n' | ha_clustermsg || fail "ha_clustermsg failed"
    wait "$READER"
    expect_eq "$(cat "$T/received")" $'>>>\nt=resource\nrsc_hold=foreign\ninfo=a=b\n<<<'
    expect_eq "$(tail -c 1 "$T/received" | od -An -c | tr -d ' ')" '\n' "last byte"
}

test_clustermsg_refuses_bad_messages() {
    . "$HAD/shellfuncs"
    start_fifo_reader
    local long
    long=$(head -c 600 /dev/zero | tr '\0' x)
    ! printf 't=x\nbig=%s\n' "$long" | ha_clustermsg || fail "a 600-byte line was accepted"
    ! printf 't=x\nno equals sign\n' | ha_clustermsg || fail "a line without = was accepted"
    ! printf 't=x\nbad name=1\n' | ha_clustermsg || fail "a name with a blank was accepted"
    ! printf '=x\n' | ha_clustermsg || fail "an empty name was accepted"
    ! printf '\n\n' | ha_clustermsg || fail "an empty message was accepted"
    local many="" i
    for i in $(seq 1 20); do many+="f$i=$(head -c 300 /dev/zero | tr '\0' y)"$'\n'; done
    ! printf '%s' "$many" | ha_clustermsg || fail "a 6 KB message was accepted"
    expect_contains "$(cat "$HA_LOGFILE")" "limit 512"
    expect_contains "$(cat "$HA_LOGFILE")" "limit 4096"
    # Nothing reached the FIFO: the reader still waits. Give it one good message to finish.
    printf 't=end\n' | ha_clustermsg || fail "good message"
    wait "$READER"
    expect_eq "$(cat "$T/received")" $'>>>\nt=end\n<<<'
}

test_clustermsg_without_reader_is_bounded() {
    . "$HAD/shellfuncs"
    export HA_FIFO=$T/nosuch
    ! printf 't=x\n' | ha_clustermsg || fail "no FIFO: should fail"
    expect_contains "$(cat "$HA_LOGFILE")" "is not a FIFO"
    mkfifo "$T/fifo"
    export HA_FIFO=$T/fifo HA_FIFO_TIMEOUT=1
    local t0 t1
    t0=$(now_ms)
    ! printf 't=x\n' | ha_clustermsg || fail "no reader: should fail"
    t1=$(now_ms)
    [ $((t1 - t0)) -lt 5000 ] || fail "took $((t1 - t0)) ms with HA_FIFO_TIMEOUT=1"
}

# A failback within the gratuitous-ARP window: stopping the address must end this node's sender,
# or it keeps telling neighbours the address is here. A stand-in arping (named arping, sleeping)
# plays the sender: a script, so that its process is named arping.
test_ha_stop_arp_ends_the_sender() {
    mkdir -p "$T/bin"
    printf '#!/bin/sh\n[ "$1" = -V ] && { echo "arping from iputils-s20221126"; exit 0; }\ni=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done\n' > "$T/bin/arping"
    chmod +x "$T/bin/arping"
    (
        PATH=$T/bin:$PATH
        . "$HAD/shellfuncs"
        ha_send_arp eth9 10.99.0.1
        for _ in $(seq 1 50); do [ -s "$HA_RSCTMP/send_arp-alice-10.99.0.1" ] && break; sleep 0.02; done
        pid=$(cat "$HA_RSCTMP/send_arp-alice-10.99.0.1")
        [ -d "/proc/$pid" ] || fail "the sender is not running"
        for _ in $(seq 1 50); do [ "$(cat "/proc/$pid/comm")" = arping ] && break; sleep 0.02; done
        ha_stop_arp 10.99.0.1
        for _ in $(seq 1 50); do [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat")" != Z ] || break; sleep 0.02; done
        [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat")" != Z ] && fail "ha_stop_arp left the sender running"
        [ ! -e "$HA_RSCTMP/send_arp-alice-10.99.0.1" ] || fail "ha_stop_arp left its pid file"
        ha_stop_arp 10.99.0.1 || fail "a second ha_stop_arp failed"
    ) || fail "ha_stop_arp"
}
