#!/usr/bin/env bash
# Broken configuration and state files (issue #9): the real `heartbeat -f` on each must refuse to
# start with a FILE:LINE diagnostic (exit 1), never crash, and leave no pidfile, socket, FIFO or
# process behind. Files edited on Windows (CRLF, BOM) start, with a warning. A generation that
# cannot be written (full disk, read-only state directory) stops the start; a broken one moves on
# to the clock, never back to a used generation.
source "$(dirname "$0")/lib.sh"
D=$WORK/node1
good_config() {
    rm -rf "$D"; mkdir -p "$D/etc" "$D/state" "$D/run"
    LOGFILE=$D/ha-log DEADTIME=2 WARNTIME=1 INITDEAD=4 ha_cf "bcast lo" > "$D/etc/ha.cf"   # 9 lines
    printf 'auth 1\n1 sha1 secret\n' > "$D/etc/authkeys"; chmod 600 "$D/etc/authkeys"
    printf 'node1 Dummy::web\n' > "$D/etc/haresources"
    mkdir -p "$D/etc/resource.d"; cp "$ROOT/ha.d/resource.d/Dummy" "$D/etc/resource.d/"
}
daemon() {
    HA_CONFIG_DIR="$D/etc" HA_STATE_DIR="$D/state" HA_RUN_DIR="$D/run" HA_NODE_NAME=node1 \
        timeout 10 "$BIN/heartbeat" -f -l
}
# refused NAME PATTERN: heartbeat exits 1 printing PATTERN, and leaves nothing running or behind.
refused() {
    local name=$1 pattern=$2 code=0
    daemon >"$WORK/out" 2>&1 || code=$?
    [ "$code" = 1 ] || fail "$name: exit $code, expected 1 (a refusal): $(head -5 "$WORK/out")"
    grep -qE -- "$pattern" "$WORK/out" || fail "$name: no diagnostic matching '$pattern' in: $(head -8 "$WORK/out")"
    for leftover in "$D/run/heartbeat.pid" "$D/run/control" "$D/state/fifo"; do
        [ ! -e "$leftover" ] || fail "$name: $leftover left behind"
    done
    checked=$((checked + 1))
}
checked=0
long_line=$(head -c 200000 /dev/zero | tr '\0' 'k')

good_config; rm "$D/etc/ha.cf";                         refused "ha.cf missing" "ha.cf"
good_config; : > "$D/etc/ha.cf";                        refused "ha.cf empty" "ha.cf.*error"
good_config; printf '\x7fELF\x02\x01\x01\x00\x00\xff\xfe\n\x00\x01node\x00 node1\n' > "$D/etc/ha.cf"; refused "ha.cf binary" "ha.cf:1: error"
good_config; rm "$D/etc/ha.cf"; mkdir "$D/etc/ha.cf";   refused "ha.cf a directory" "ha.cf.*(directory|error)"
good_config; sed -i '3i frobnicate yes' "$D/etc/ha.cf"; refused "unknown directive" "ha.cf:3: error: Illegal directive \[frobnicate\]"
good_config; sed -i 's/^deadtime 2/deadtime 100ms/' "$D/etc/ha.cf"; refused "deadtime below keepalive" "ha.cf:[0-9]+: error"
good_config; echo "keepalive banana" >> "$D/etc/ha.cf"; refused "unparsable time" "ha.cf:10: error"
good_config; echo "udpport $long_line" >> "$D/etc/ha.cf"; refused "200 kB line" "ha.cf:10: error"
good_config; head -c 1100000 /dev/zero | tr '\0' '#' >> "$D/etc/ha.cf"; refused "ha.cf over 1 MiB" "ha.cf.*larger than"
good_config; rm "$D/etc/authkeys";                       refused "authkeys missing" "authkeys"
good_config; chmod 644 "$D/etc/authkeys";                refused "authkeys readable by others" "authkeys.*600"
good_config; echo "1 md5 other" >> "$D/etc/authkeys";    refused "duplicate key" "authkeys:3: error"
good_config; printf '\xff\xd8\xff\xe0\x00\x10JFIF\n' > "$D/etc/authkeys"; refused "authkeys binary" "authkeys:1: error"
good_config; echo "node9 Dummy::x" >> "$D/etc/haresources"; refused "haresources unknown node" "haresources:2: error"
good_config; echo "node2 NoSuchScript::x" >> "$D/etc/haresources"; refused "haresources missing script" "haresources:2: error"
good_config; rm "$D/etc/haresources"; mkdir "$D/etc/haresources"; refused "haresources a directory" "haresources.*(directory|error)"
good_config; echo "Dummy::web stauts" > "$D/etc/monitors"; refused "monitors unknown check" "monitors:1: error: unknown check \[stauts\]"
good_config; printf 'Dummy::web status\ndummy::wbe status\n' > "$D/etc/monitors"; refused "monitors unknown group" "monitors:2: error: unknown group \[dummy::wbe\]"
good_config; echo "Dummy::web tcp:localhost:80 interval=0" > "$D/etc/monitors"; refused "monitors bad check" "monitors:1: error: tcp: needs an IP address"
good_config; printf '\x7fELF\x02\x01\x01\x00\x00\xff\xfe\n' > "$D/etc/monitors"; refused "monitors binary" "monitors:1: error"
good_config; mkdir "$D/etc/monitors";                    refused "monitors a directory" "monitors.*(directory|error)"
log "$checked broken configurations refused with a diagnostic, nothing left behind"

# hbctl check reads monitors with the other files: every error with FILE:LINE and exit 1; warnings
# alone pass.
hbctl_check() { "$BIN/hbctl" check --config-dir "$D/etc" --node-name node1 >"$WORK/out" 2>"$WORK/err"; }
good_config; printf 'Dummy::web status fall=0\nDummy::web exec:/no/such/check\nnothing status\n' > "$D/etc/monitors"
code=0; hbctl_check || code=$?
[ $code = 1 ] || fail "hbctl check of a broken monitors file: exit $code, expected 1: $(cat "$WORK/err")"
grep -q "$D/etc/monitors:1: error: invalid fall \[0\]" "$WORK/err" || fail "hbctl check: no error for line 1: $(cat "$WORK/err")"
grep -q "$D/etc/monitors:2: warning: check program \[/no/such/check\] is missing" "$WORK/err" || fail "hbctl check: no warning for line 2"
grep -q "$D/etc/monitors:3: error: unknown group \[nothing\]" "$WORK/err" || fail "hbctl check: no error for line 3"
grep -q ": 2 errors, " "$WORK/out" || fail "hbctl check summary: $(cat "$WORK/out")"
good_config; echo "Dummy::web status interval=2 timeout=2" > "$D/etc/monitors"
hbctl_check || fail "hbctl check refused a monitors file with a warning only: $(cat "$WORK/err")"
grep -q "monitors:1: warning: timeout \[2s\] is not shorter than interval \[2s\]" "$WORK/err" || fail "hbctl check: no timeout warning: $(cat "$WORK/err")"
log "hbctl check: monitors errors and warnings with FILE:LINE, exit 1 only on errors"

# Windows line ends and a BOM: accepted with a warning naming the file; the daemon starts.
good_config; sed -i 's/$/\r/' "$D/etc/ha.cf" "$D/etc/authkeys"; printf '\xef\xbb\xbf' | cat - "$D/etc/haresources" > "$WORK/h"
mv "$WORK/h" "$D/etc/haresources"
daemon >"$WORK/out" 2>&1 & pid=$!; track "$pid"
wait_log 1 "Configuration validated" 5000 >/dev/null || fail "CRLF/BOM configuration did not start: $(head "$WORK/out")"
grep -q "ha.cf:1: warning: Windows (CRLF)" "$WORK/out" || fail "no CRLF warning for ha.cf: $(head "$WORK/out")"
grep -q "authkeys:1: warning: Windows (CRLF)" "$WORK/out" || fail "no CRLF warning for authkeys"
grep -q "haresources:1: warning: UTF-8 byte-order mark" "$WORK/out" || fail "no BOM warning for haresources"
kill "$pid"; wait "$pid" 2>/dev/null
log "CRLF and BOM: started, with a warning naming each file"

# State: a broken generation moves on to the clock, a broken UUID is replaced (both said);
# a full or read-only state directory refuses.
good_config; printf '   12' > "$D/state/hb_generation"; printf 'short' > "$D/state/hb_uuid"
daemon >"$WORK/out" 2>&1 & pid=$!; track "$pid"
wait_log 1 "Heartbeat generation: " 5000 >/dev/null || fail "no start after a torn generation file"
generation=$(sed -n 's/.*Heartbeat generation: //p' "$D/ha-log" | head -1)
[ "$generation" -ge $(( $(date +%s) - 60 )) ] || fail "generation $generation after a torn file is not from the clock"
grep -q "BROKEN previous generation" "$D/ha-log" || fail "the torn generation file was not reported"
grep -q "BROKEN node UUID in $D/state/hb_uuid (5 bytes, not 16)" "$D/ha-log" || fail "the torn hb_uuid was not reported"
[ "$(stat -c %s "$D/state/hb_uuid")" = 16 ] || fail "the torn hb_uuid was not replaced by a 16-byte UUID"
kill "$pid"; wait "$pid" 2>/dev/null
log "torn hb_generation: generation from the clock; torn hb_uuid: replaced; each reported as BROKEN"
for mode in full read-only; do
    good_config; printf '%15d\n' 41 > "$D/state/hb_generation"
    if [ $mode = full ]; then
        fill='mount -t tmpfs -o size=16k tmpfs "$STATE" && head -c 1M /dev/zero > "$STATE/filler" 2>/dev/null; printf "%15d\n" 41 > "$STATE/hb_generation" || true'
    else
        fill='mount --bind "$STATE" "$STATE" && mount -o remount,bind,ro "$STATE"'
    fi
    code=0
    STATE=$D/state unshare -m bash -c "$fill
        HA_CONFIG_DIR='$D/etc' HA_STATE_DIR=\"\$STATE\" HA_RUN_DIR='$D/run' HA_NODE_NAME=node1 timeout 10 '$BIN/heartbeat' -f -l" \
        >"$WORK/out" 2>&1 || code=$?
    [ $code = 1 ] || fail "$mode state directory: exit $code, expected a refusal: $(cat "$WORK/out")"
    grep -q "hb_generation" "$WORK/out" || fail "$mode state directory: the error does not name hb_generation: $(cat "$WORK/out")"
    [ ! -e "$D/run/heartbeat.pid" ] || fail "$mode state directory: pidfile left behind"
    log "$mode state directory: $(grep hb_generation "$WORK/out" | head -1)"
done
