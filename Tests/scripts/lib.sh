# Helpers for Tests/scripts (bash). Sourced by run.sh; ROOT is the repository.

RS=$ROOT/resource.d
HAD=$ROOT/ha.d
TOOLS=$ROOT/tools

# Every file we ship as a shell script.
shipped_scripts() {
    local f
    for f in "$RS"/* "$HAD"/shellfuncs "$HAD"/harc "$HAD"/rc.d/* "$TOOLS"/hb_standby "$TOOLS"/hb_takeover; do
        [ -f "$f" ] && echo "$f"
    done
}

# run_one NAME: runs test NAME in a scratch directory with a clean HA_* environment.
run_one() {
    T=$(mktemp -d /tmp/hbscripts.XXXXXX)
    # Cleanup hooks registered by the test run first (namespaces, mounts), then the directory.
    CLEANUPS=()
    trap 'run_cleanups' EXIT
    local v
    for v in $(env | sed -n 's/^\(HA_[A-Za-z_]*\)=.*/\1/p; s/^\(OCF_[A-Za-z_]*\)=.*/\1/p; s/^\(DUMMY_[A-Za-z_]*\)=.*/\1/p'); do
        unset "$v"
    done
    export HA_LOGFILE=$T/ha.log
    export HA_RSCTMP=$T/rsctmp
    export HA_DIR=$T/ha.d      # nothing there unless a test puts it there
    export HA_CURHOST=alice
    export HA_ARP_COUNT=1
    cd "$T" || exit 1
    "$1"
}

run_cleanups() {
    local i
    for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${CLEANUPS[i]}" >/dev/null 2>&1
    done
    rm -rf "$T"
}

# on_exit COMMAND: run COMMAND when the test ends, whatever happens (last registered runs first).
on_exit() {
    CLEANUPS+=("$1")
}

fail() {
    echo "FAILED: $*"
    if [ -s "${HA_LOGFILE:-/nonexistent}" ]; then
        echo "--- log:"
        tail -n 15 "$HA_LOGFILE"
    fi
    exit 1
}

# skip REASON: the test cannot run here (a package is missing). That fails it, unless the caller
# asked to skip such tests with SKIP_MISSING=1: then it exits 77, which run.sh counts as skipped.
skip() {
    echo "$*"
    [ -z "${SKIP_MISSING:-}" ] || exit 77
    echo "(SKIP_MISSING=1 skips instead)"
    exit 1
}

# skip_netns REASON: as skip, for tests that need root, namespaces or mounts (SKIP_NETNS=1).
skip_netns() {
    echo "$*"
    [ -z "${SKIP_NETNS:-}" ] || exit 77
    echo "(SKIP_NETNS=1 skips instead)"
    exit 1
}

need_root() {
    [ "$(id -u)" = 0 ] || skip_netns "needs root"
}

# run CMD...: OUT holds stdout+stderr, RC the exit code.
run() {
    OUT=$("$@" 2>&1)
    RC=$?
}

# runout CMD...: OUT holds stdout only (what heartbeat judges), RC the exit code.
runout() {
    OUT=$("$@" 2>/dev/null)
    RC=$?
}

expect_rc() {
    [ "$RC" = "$1" ] || fail "${2:-command}: exit $RC, expected $1; output: $OUT"
}

expect_eq() {
    [ "$1" = "$2" ] || fail "${3:-value}: got [$1], expected [$2]"
}

expect_match() {
    [[ $1 =~ $2 ]] || fail "${3:-value}: [$1] does not match /$2/"
}

expect_contains() {
    [[ $1 == *"$2"* ]] || fail "${3:-value}: [$1] does not contain [$2]"
}

# judge OUTPUT: heartbeat 3.0.6's status-by-output rule (spec §6.2), written independently of
# shellfuncs so the tests check the scripts against the rule, not against themselves.
judge() {
    case $1 in
        *[Nn][Oo][Tt]\ *[Rr]unning*) echo stopped ;;
        *[Rr]unning*|*OK*) echo running ;;
        *) echo stopped ;;
    esac
}

# status_is SCRIPT-AND-ARGS... EXPECTED: runs "... status" and checks both the words (by the
# rule) and the LSB exit code (0 running, 3 stopped).
status_is() {
    local expected=${*: -1}
    local cmd=("${@:1:$#-1}")
    runout "${cmd[@]}" status
    expect_eq "$(judge "$OUT")" "$expected" "status words of ${cmd[*]} [$OUT]"
    if [ "$expected" = running ]; then expect_rc 0 "${cmd[*]} status"; else expect_rc 3 "${cmd[*]} status"; fi
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s, at most SECONDS; fails when it never
# succeeds.
wait_for() {
    local limit=$1
    shift
    local tries=$((limit * 10))
    while [ $tries -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        tries=$((tries - 1))
    done
    return 1
}

# fake_bin NAME BODY: an executable $T/bin/NAME running BODY (sh); $T/bin goes first on PATH.
fake_bin() {
    mkdir -p "$T/bin"
    printf '#!/bin/sh\n%s\n' "$2" > "$T/bin/$1"
    chmod +x "$T/bin/$1"
    case ":$PATH:" in
        *":$T/bin:"*) ;;
        *) export PATH="$T/bin:$PATH" ;;
    esac
}

# now_ms: wall clock in milliseconds.
now_ms() {
    echo $(( $(date +%s%N) / 1000000 ))
}
