# shellcheck shell=bash
# Test clusters of real daemons in network namespaces, for Tests/integration, the scenarios' netns
# driver, bench/ and demo/: configuration files, start and kill of our daemon or Debian's
# Heartbeat 3.0.6, waits that end on a condition (and fail when it never comes), cleanup.
#
# Node I runs in namespace ${PREFIX}-I (built by Tests/lib/netns.sh) with its files in $WORK/nodeI:
# etc/ (ha.cf, authkeys, haresources, resource.d, monitors), state/, run/, rsc/ (Dummy's instances),
# env (settings of its own scripts, optional), ha-log, out (stdout and stderr), pid. Its cluster
# name is nodeI unless $WORK/nodeI/name says otherwise.
# The caller may set PREFIX and WORK before sourcing; every process started is listed in
# $WORK/pids, so that cleanup also ends those started by background subshells.
# Traffic stays inside the namespaces built here (10.77-10.79.x.x); nothing leaves the machine.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${HB_BIN:-$ROOT/.build/release}
HB306=/usr/libexec/heartbeat/heartbeat
PREFIX=${PREFIX:-hbt$$}            # namespace and link prefix, unique per run
WORK=${WORK:-$(mktemp -d /tmp/hb-test.XXXXXX)}
NAMESPACES=()

log() { printf '    %s\n' "$*"; }
fail() { printf '    FAIL: %s\n' "$*"; exit 1; }
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }   # bash's own clock: no fork
track() { echo "$1" >> "$WORK/pids"; }

# shellcheck source=Tests/lib/netns.sh
source "$ROOT/Tests/lib/netns.sh"

# require WHAT CMD...: CMD must succeed (a package or tool the test needs). Otherwise the test
# fails, unless the caller asked to skip what cannot run (SKIP_MISSING=1): then it exits 77,
# which the runners count and print as skipped.
require() {
    local what=$1; shift
    "$@" >/dev/null 2>&1 && return 0
    if [ -n "${SKIP_MISSING:-}" ]; then printf '    SKIP: %s\n' "$what"; exit 77; fi
    fail "$what (SKIP_MISSING=1 skips instead)"
}

# child_pids PID: its direct children (from /proc, no pattern matching on names).
child_pids() { cat "/proc/$1/task/"*/children 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' || true; }
# tree_pids PID: PID and all its descendants.
tree_pids() {
    local p todo=("$1") found=()
    while [ ${#todo[@]} -gt 0 ]; do
        p=${todo[0]}; todo=("${todo[@]:1}")
        [ -d "/proc/$p" ] || continue
        found+=("$p")
        # shellcheck disable=SC2207
        todo+=($(child_pids "$p"))
        [ ${#found[@]} -lt 200 ] || break
    done
    echo "${found[@]}"
}

# Functions cleanup runs first (Tests/lib/machines.sh adds its own); one that fails (something
# is left) makes the test fail.
CLEANUP_HOOKS=()

cleanup() {
    local pid hook status=0
    for hook in "${CLEANUP_HOOKS[@]}"; do "$hook" || status=1; done
    while read -r pid; do
        # A 3.0.6 node is `unshare` plus the PID 1 of its namespace, a `timeout` has its command:
        # end both.
        # shellcheck disable=SC2046 # a list of PIDs
        kill -9 $(child_pids "$pid") "$pid" 2>/dev/null
    done < <(cat "$WORK/pids" 2>/dev/null)
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
    if [ -n "${KEEP_WORK:-}" ]; then echo "    work dir kept: $WORK"; else rm -rf "$WORK"; fi
    [ "$status" = 0 ] || exit 1
}

# ha_cf MEDIA [EXTRA]: ha.cf text. MEDIA and EXTRA are lines (printf %b: "\n" separates them).
# The one layout of every generated ha.cf (Sources/hbctl/ScenarioNetns.swift writes the same):
#   logfile, debugfile, udpport, keepalive, warntime, deadtime, initdead, MEDIA, auto_failback,
#   node, EXTRA
# from LOGFILE, DEBUGFILE, UDPPORT (694), KEEPALIVE (200ms), WARNTIME (600ms), DEADTIME (1),
# INITDEAD (3), AUTO_FAILBACK (on), NODES (node1 node2); a line whose value is set empty is left out.
ha_cf() {
    setting logfile "${LOGFILE-}"
    setting debugfile "${DEBUGFILE-}"
    setting udpport "${UDPPORT-694}"
    setting keepalive "${KEEPALIVE-200ms}"
    setting warntime "${WARNTIME-600ms}"
    setting deadtime "${DEADTIME-1}"
    setting initdead "${INITDEAD-3}"
    printf '%b\n' "$1"
    setting auto_failback "${AUTO_FAILBACK-on}"
    setting node "${NODES-node1 node2}"
    [ -z "${2:-}" ] || printf '%b\n' "$2"
}
setting() { [ -z "$2" ] || echo "$1 $2"; }

# write_config I MEDIA AUTH [EXTRA]: nodeI's ha.cf (logging to its own directory), authkeys with
# key 1 = AUTH ("sha1 secret", "crc", ...), and an empty haresources.
write_config() {
    local dir=$WORK/node$1
    mkdir -p "$dir/etc" "$dir/state" "$dir/run"
    LOGFILE=$dir/ha-log DEBUGFILE=$dir/ha-debug ha_cf "$2" "${4:-}" > "$dir/etc/ha.cf"
    printf 'auth 1\n1 %s\n' "$3" > "$dir/etc/authkeys"
    chmod 600 "$dir/etc/authkeys"
    : > "$dir/etc/haresources"
}

# use_dummy I HARESOURCES: nodeI's haresources (printf %b), with the repository's resource.d
# (Dummy, Delay, ...) as its scripts and rsc/ as Dummy's state directory.
use_dummy() {
    local dir=$WORK/node$1
    printf '%b\n' "$2" > "$dir/etc/haresources"
    ln -sfn "$ROOT/resource.d" "$dir/etc/resource.d"
    mkdir -p "$dir/rsc"
}

# node_name I: nodeI's name in its cluster.
node_name() { if [ -f "$WORK/node$1/name" ]; then cat "$WORK/node$1/name"; else echo "node$1"; fi; }

# The environment of nodeI's daemon (and so of its resource scripts): Dummy's state in rsc/, its
# call log in RESOURCE_LOG when set, the words of nodeI/env (its own scripts' settings), then
# NODE_ENV's words (which win).
node_env() {
    echo "DUMMY_STATE_DIR=$WORK/node$1/rsc ${RESOURCE_LOG:+DUMMY_LOG=$RESOURCE_LOG} $(cat "$WORK/node$1/env" 2>/dev/null) ${NODE_ENV:-}"
}

# start_ours I: our daemon for nodeI in namespace I, or inside machine I when it is one
# (Tests/lib/machines.sh). `ip netns exec` and `env` exec: the PID recorded is the daemon's own.
start_ours() {
    local i=$1 dir=$WORK/node$1 daemon
    # shellcheck disable=SC2207 # node_env is words
    daemon=(env HA_CONFIG_DIR="$dir/etc" HA_STATE_DIR="$dir/state" HA_RUN_DIR="$dir/run" \
        HA_NODE_NAME="$(node_name "$i")" $(node_env "$i") "$BIN/heartbeat" -f)
    if [ -f "$dir/machine.pid" ]; then
        spawn_on_machine "$i" "$dir/out" "${daemon[@]}" || return 1
        started ours "$i" "$SPAWNED"
        return
    fi
    ip netns exec "${PREFIX}-$i" "${daemon[@]}" >>"$dir/out" 2>&1 &
    started ours "$i" $!
}

# prepare_306 I: 3.0.6's own /etc/ha.d (Debian's scripts, our config files, the test's resource
# scripts) and /var/lib/heartbeat for nodeI; the latter is kept across restarts, so that a restart
# bumps the generation as on a real machine.
prepare_306() {
    local dir=$WORK/node$1
    rm -rf "$dir/ha.d"; mkdir -p "$dir/ha.d"
    cp -a /etc/ha.d/harc /etc/ha.d/rc.d /etc/ha.d/resource.d /etc/ha.d/shellfuncs "$dir/ha.d/"
    cp "$dir/etc/ha.cf" "$dir/etc/haresources" "$dir/etc/authkeys" "$dir/ha.d/"
    if [ -e "$dir/etc/resource.d" ]; then cp -L "$dir/etc/resource.d"/* "$dir/ha.d/resource.d/"; fi
    [ -d "$dir/varlib" ] || { mkdir -p "$dir/varlib"; cp -a /var/lib/heartbeat/. "$dir/varlib/"; }
}

# launch_306 I: the real Heartbeat 3.0.6 for nodeI (prepared), in namespace I plus its own UTS,
# mount and PID namespaces: its hostname, /etc/ha.d, /var/lib/heartbeat and /run.
launch_306() {
    local i=$1 dir=$WORK/node$1
    # shellcheck disable=SC2046 # node_env is words
    ip netns exec "${PREFIX}-$i" env $(node_env "$i") unshare --uts --mount --pid --fork --mount-proc bash -c "
        hostname $(node_name "$i")
        mount --bind $dir/ha.d /etc/ha.d
        mount --bind $dir/varlib /var/lib/heartbeat
        mount -t tmpfs tmpfs /run
        # /run/lock (= /var/lock) holds the uucp lock files of its serial medium.
        mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/resource-agents /run/lock
        chown -R hacluster:haclient /run/heartbeat
        chmod 750 /run/heartbeat
        ulimit -l unlimited
        exec $HB306 -f" >>"$dir/out" 2>&1 &
    started 306 "$i" $!
}

start_306() { prepare_306 "$1"; launch_306 "$1"; }

# started IMPL I PID: record nodeI's process (pid, impl, start time in ms).
started() {
    local dir=$WORK/node$2
    track "$3"
    # No "Killed" job reports; kills wait on /proc instead. A machine's daemon is no job of ours.
    disown "$3" 2>/dev/null || true
    echo "$3" > "$dir/pid"
    echo "$1" > "$dir/impl"
    now_ms > "$dir/started_ms"
}

# in_306 I CMD...: run a command inside the 3.0.6 node's namespaces (e.g. cl_status).
in_306() {
    local i=$1 inner; shift
    inner=$(child_pids "$(cat "$WORK/node$i/pid")" | head -1)
    nsenter --target "$inner" --mount --uts --net --pid "$@"
}

# kill_pids I: the PIDs whose SIGKILL ends nodeI's daemon as a crash would (for 3.0.6, the PID 1
# of its PID namespace takes the rest with it).
kill_pids() {
    local pid
    pid=$(cat "$WORK/node$1/pid")
    if [ "$(cat "$WORK/node$1/impl")" = ours ]; then tree_pids "$pid"
    else echo "$(child_pids "$pid" | head -1) $pid"; fi
}

# gone PIDS...: none of PIDS runs any more (a zombie counts as gone).
gone() {
    local p stat
    for p in "$@"; do
        { read -r stat < "/proc/$p/stat"; } 2>/dev/null || continue
        stat=${stat##*) }   # the state follows the command name, which may hold spaces
        [ "${stat%% *}" = Z ] || return 1
    done
    return 0
}

# kill_node I: kill -9 nodeI's daemon and wait until its processes are gone (fails after 4 s).
kill_node() {
    local pids
    [ -f "$WORK/node$1/pid" ] || return 0
    pids=$(kill_pids "$1")
    # shellcheck disable=SC2086 # a list of PIDs
    kill -9 $pids 2>/dev/null
    # shellcheck disable=SC2086
    wait_until 4000 gone $pids >/dev/null || fail "node$1 (PIDs $pids) survived kill -9"
}

# stop_node I TIMEOUT_MS: SIGTERM to nodeI's daemon; wait until it has exited (fails after TIMEOUT_MS).
stop_node() {
    local pid
    pid=$(cat "$WORK/node$1/pid")
    kill -TERM "$pid"
    wait_until "$2" gone "$pid" >/dev/null || fail "node$1 did not stop within $2 ms of SIGTERM"
}

# wait_until TIMEOUT_MS CMD...: run CMD every 10 ms until it succeeds; prints the ms waited.
# Fails (returns 1) when TIMEOUT_MS pass first.
wait_until() {
    local timeout=$1 start; shift
    start=$(now_ms)
    until "$@"; do
        [ $(( $(now_ms) - start )) -lt "$timeout" ] || return 1
        sleep 0.01
    done
    echo $(( $(now_ms) - start ))
}

# count_log I PATTERN: how many lines of nodeI's log match PATTERN (grep).
count_log() { local n; n=$(grep -c -- "$2" "$WORK/node$1/ha-log" 2>/dev/null); echo "${n:-0}"; }
# has_lines I PATTERN COUNT: nodeI's log has COUNT lines matching (one grep when COUNT is 1: this
# is polled while detection times are measured).
has_lines() {
    if [ "$3" = 1 ]; then grep -q -- "$2" "$WORK/node$1/ha-log" 2>/dev/null
    else [ "$(count_log "$1" "$2")" -ge "$3" ]; fi
}

# wait_log I PATTERN TIMEOUT_MS [COUNT]: wait until nodeI's log has COUNT (1) lines matching
# PATTERN; prints the ms waited. On timeout it shows the end of the log and returns 1.
wait_log() {
    local i=$1 pattern=$2 timeout=$3
    wait_until "$timeout" has_lines "$i" "$pattern" "${4:-1}" && return 0
    log "node$i log has no '$pattern' (${4:-1}) after ${timeout} ms; its log ends with:"
    tail -15 "$WORK/node$i/ha-log" 2>/dev/null | sed 's/^/      /'
    tail -5 "$WORK/node$i/out" 2>/dev/null | sed 's/^/      /'
    return 1
}

# rscstatus I: nodeI's `cl_status rscstatus` (none, local, foreign, all, or transition).
rscstatus() {
    if [ "$(cat "$WORK/node$1/impl")" = 306 ]; then in_306 "$1" cl_status rscstatus
    else HA_RUN_DIR=$WORK/node$1/run "$BIN/cl_status" rscstatus; fi 2>/dev/null
}
# settled I...: no nodeI has resources in flight, its own or (ours) a peer's: what a daemon waits
# for before it honours hb_standby. Used with wait_until instead of a pause "to let things settle".
settled() {
    local i
    for i in "$@"; do case $(rscstatus "$i") in ""|transition) return 1 ;; esac; done
}

# until_logged I PATTERN TIMEOUT_MS CMD...: run CMD (an admin request such as hb_standby) until
# nodeI's log gains a line matching PATTERN: a daemon ignores such requests while resources are in
# flux (and says so), so a request is repeated rather than timed after a guessed pause.
until_logged() {
    local i=$1 pattern=$2 timeout=$3 before start; shift 3
    before=$(count_log "$i" "$pattern")
    start=$(now_ms)
    while true; do
        "$@" || return 1
        wait_until 1000 has_lines "$i" "$pattern" $(( before + 1 )) >/dev/null && return 0
        [ $(( $(now_ms) - start )) -lt "$timeout" ] || return 1
    done
}

# holds_for MS CMD...: a negative check, that nothing changes for MS milliseconds: CMD stays true
# throughout (checked every 20 ms); returns 1 as soon as it does not.
holds_for() {
    local ms=$1 start; shift
    start=$(now_ms)
    while [ $(( $(now_ms) - start )) -lt "$ms" ]; do
        "$@" || return 1
        sleep 0.02
    done
}

# assert_absent_for MS PATTERN FILE...: for MS milliseconds no new line of the FILEs matches
# PATTERN (grep -E); returns 1, naming the line, as soon as one does.
assert_absent_for() {
    local ms=$1 pattern=$2 before start; shift 2
    before=$(cat "$@" 2>/dev/null | grep -cE -- "$pattern")
    start=$(now_ms)
    while [ $(( $(now_ms) - start )) -lt "$ms" ]; do
        if [ "$(cat "$@" 2>/dev/null | grep -cE -- "$pattern")" != "$before" ]; then
            log "'$pattern' appeared within $ms ms: $(cat "$@" 2>/dev/null | grep -E -- "$pattern" | tail -1)"
            return 1
        fi
        sleep 0.02
    done
}

# STARTUP_BONUS_MS: for its first 5 s a node advertises deadtime + 2 s (spec §5.4), as 3.0.6
# does; timing checks of its death must wait until its heartbeats carry the plain deadtime.
STARTUP_BONUS_MS=5000
# past_startup I...: wait until each nodeI has run for the startup bonus and one more second for
# its next heartbeats to arrive. A timer of the protocol, not an event: nothing to poll for.
past_startup() {
    local i left
    for i in "$@"; do
        left=$(( $(cat "$WORK/node$i/started_ms") + STARTUP_BONUS_MS + 1000 - $(now_ms) ))
        [ "$left" -le 0 ] || sleep "$(printf '%d.%03d' $(( left / 1000 )) $(( left % 1000 )))"
    done
}

# dummy_running I INSTANCE: Dummy::INSTANCE runs on nodeI (asked without DUMMY_LOG: the test's
# question is not a call of the cluster's).
dummy_running() {
    env -u DUMMY_LOG DUMMY_STATE_DIR="$WORK/node$1/rsc" "$ROOT/resource.d/Dummy" "$2" status 2>/dev/null | grep -q ": running"
}
dummy_stopped() { ! dummy_running "$@"; }

# wait_dummy I INSTANCE yes|no TIMEOUT_MS: until Dummy::INSTANCE runs (yes) or not (no) on nodeI;
# prints the ms waited. On timeout it shows the end of both nodes' logs on stderr (callers drop
# the ms with >/dev/null, not the reason of a failure) and returns 1.
wait_dummy() {
    local check=dummy_running n
    [ "$3" = yes ] || check=dummy_stopped
    wait_until "$4" "$check" "$1" "$2" && return 0
    {
        log "node$1 $2 running=$3 not reached in $4 ms"
        for n in "$WORK"/node*/ha-log; do echo "      --- $n"; tail -20 "$n" | sed 's/^/      /'; done
    } >&2
    return 1
}

# Service health monitoring (issue #17).
# write_monitors I TEXT: nodeI's monitors file (printf %b), next to its ha.cf.
write_monitors() { printf '%b\n' "$2" > "$WORK/node$1/etc/monitors"; }

# hbctl_on I ARGS...: hbctl talking to nodeI's daemon.
hbctl_on() { local i=$1; shift; HA_RUN_DIR=$WORK/node$i/run "$BIN/hbctl" "$@"; }

# heartbeat_on I ARGS...: `heartbeat ARGS` (-r, -k, -s) as an admin runs it for nodeI.
heartbeat_on() {
    local i=$1; shift
    HA_CONFIG_DIR=$WORK/node$i/etc HA_STATE_DIR=$WORK/node$i/state HA_RUN_DIR=$WORK/node$i/run \
        HA_NODE_NAME="$(node_name "$i")" "$BIN/heartbeat" "$@"
}

# status_value I EXPR: EXPR (Python over `r`, nodeI's `hbctl status --json`), printed (a tuple as
# its values separated by spaces); fails when the daemon does not answer or EXPR raises.
status_value() {
    local json
    json=$(hbctl_on "$1" status --json 2>/dev/null) || return 1
    printf '%s' "$json" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
v = eval(sys.argv[1])
print(" ".join(map(str, v)) if isinstance(v, tuple) else v)' "$2" 2>/dev/null
}

# use_http_service I: nodeI's resource.d becomes a directory of the repository's scripts plus
# `httpd` (Tests/integration/httpd: python3's http.server as an LSB-style resource), with its
# state, call log and served files in $WORK/nodeI/httpd (the page `whoami` names the node); every
# server it starts is listed in $WORK/pids for cleanup.
use_http_service() {
    local dir=$WORK/node$1 script
    rm -f "$dir/etc/resource.d"; mkdir -p "$dir/etc/resource.d" "$dir/httpd/www"
    for script in "$ROOT"/resource.d/*; do ln -sfn "$script" "$dir/etc/resource.d/"; done
    ln -sfn "$ROOT/Tests/integration/httpd" "$dir/etc/resource.d/httpd"
    node_name "$1" > "$dir/httpd/www/whoami"
    echo "HTTPD_STATE_DIR=$dir/httpd HTTPD_PIDS=$WORK/pids HTTPD_NODE=$(node_name "$1")" > "$dir/env"
}

# prints TEXT CMD...: CMD's output is TEXT. at_least N CMD...: CMD prints a number of at least N.
# Conditions on a command's output, for wait_until and holds_for.
prints() { local want=$1; shift; [ "$("$@")" = "$want" ]; }
at_least() { local least=$1 n; shift; n=$("$@") && [ "${n:-0}" -ge "$least" ]; }
