#!/usr/bin/env bash
# The man pages render without a groff or man warning, and document what the programs accept:
# every hbctl subcommand and option (from hbctl's own --help), every cl_status subcommand (from
# its parser), every heartbeat flag (from its usage text). (ha.cf directives: ManPageTests.)
# About 3 s.
set -u
source "$(dirname "$0")/lib.sh"
MAN=$ROOT/man
for page in heartbeat.8 ha.cf.5 authkeys.5 haresources.5 monitors.5 cl_status.1 hbctl.8; do
    [ -f "$MAN/$page" ] || fail "man/$page missing"
    warnings=$(groff -ww -z -man "$MAN/$page" 2>&1)
    [ -z "$warnings" ] || fail "groff warns about $page: $warnings"
    warnings=$(MANWIDTH=80 man --warnings -l -Tutf8 "$MAN/$page" 2>&1 >/dev/null)
    [ -z "$warnings" ] || fail "man warns about $page: $warnings"
done
log "seven pages render without warnings"

# hbctl: subcommands as `.B hbctl SUB ...` entries, every --option somewhere in hbctl.8.
subcommands() { "$BIN/hbctl" "$@" --help | sed -n '/^SUBCOMMANDS:/,/^$/p' | awk 'NR > 1 && /^  [a-z]/ { print $1 }'; }
commands=()
for sub in $(subcommands); do
    nested=$(subcommands "$sub")
    if [ -n "$nested" ]; then for n in $nested; do commands+=("$sub $n"); done; else commands+=("$sub"); fi
done
[ "${#commands[@]}" -ge 4 ] || fail "found only ${#commands[@]} hbctl commands: ${commands[*]}"
for command in "${commands[@]}"; do
    grep -q "^\.B hbctl $(sed 's/-/\\\\-/g' <<<"$command")\( \|$\)" "$MAN/hbctl.8" || fail "hbctl.8 does not document 'hbctl $command'"
    # shellcheck disable=SC2086
    for option in $("$BIN/hbctl" $command --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        [ "$option" = --help ] && continue
        grep -qF -- "$(sed 's/-/\\-/g' <<<"$option")" "$MAN/hbctl.8" || fail "hbctl.8 does not document 'hbctl $command $option'"
    done
done
log "hbctl.8 documents ${#commands[@]} commands and their options: ${commands[*]}"

# cl_status: every subcommand its parser dispatches on.
clsubs=$(grep -o 'case "[a-z]*": [a-z]*(report)' "$ROOT/Sources/HeartbeatCore/Control/ClStatus.swift" | cut -d'"' -f2)
clsubs="hbstatus $clsubs"
for sub in $clsubs; do
    grep -Eq "^\.(B|BI|BR) \"?$sub( |\"|$)" "$MAN/cl_status.1" || fail "cl_status.1 does not document '$sub'"
done
log "cl_status.1 documents $(wc -w <<<"$clsubs") subcommands"

# heartbeat: every flag of its usage text.
flags=$("$BIN/heartbeat" -h | sed -n 's/^  \(-[a-zA-Z]\) .*/\1/p')
[ "$(wc -w <<<"$flags")" -ge 9 ] || fail "could not read heartbeat's flags: $flags"
for flag in $flags --release-held --config-dir --state-dir --run-dir --pidfile; do
    grep -q "^\.BI\? $(sed 's/-/\\\\-/g' <<<"$flag")\( \|$\)" "$MAN/heartbeat.8" || fail "heartbeat.8 does not document $flag"
done
log "heartbeat.8 documents $(wc -w <<<"$flags") flags and the path options"
