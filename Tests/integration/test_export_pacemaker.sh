#!/usr/bin/env bash
# hbctl export pacemaker on five haresources/ha.cf fixtures, checked by Pacemaker's own tools:
# crm_verify accepts every CIB, crm_simulate places each group on its preferred node, crmsh
# loads the crm output into the same resources as the CIB, and every unmapped item is reported.
# No daemons, no namespaces: about 10 s.
set -u
source "$(dirname "$0")/lib.sh"
FIX=$ROOT/Tests/integration/fixtures/pacemaker
require "crm_verify missing (Debian package pacemaker-cli-utils)" command -v crm_verify
require "crm missing (Debian package crmsh)" command -v crm

export_fixture() {  # export_fixture NAME FORMAT: output in $WORK/NAME.FORMAT, stderr in $WORK/NAME.FORMAT.err
    "$BIN/hbctl" export pacemaker --config-dir "$FIX/$1" --initd-dir /nonexistent --format "$2" \
        > "$WORK/$1.$2" 2> "$WORK/$1.$2.err"
    echo $?
}

# Expected exit status and number of unmapped items per fixture.
declare -A want_unmapped=([web]=0 [drbd-nfs]=1 [ping]=2 [stonith]=3 [three-nodes]=2)
for name in web drbd-nfs ping stonith three-nodes; do
    rc=$(export_fixture "$name" cib)
    count=$(grep -c ': not mapped: ' "$WORK/$name.cib.err")
    [ "$count" = "${want_unmapped[$name]}" ] || fail "$name: $count unmapped items, want ${want_unmapped[$name]}: $(cat "$WORK/$name.cib.err")"
    want_rc=0; [ "$count" = 0 ] || want_rc=3
    [ "$rc" = "$want_rc" ] || fail "$name: exit $rc, want $want_rc"
    # The same list is in the XML, as comments.
    [ "$(grep -c '^<!-- .*: not mapped: ' "$WORK/$name.cib")" = "$count" ] || fail "$name: unmapped items missing from the XML"
    crm_verify --xml-file "$WORK/$name.cib" -V > "$WORK/$name.verify" 2>&1 || fail "$name: crm_verify: $(cat "$WORK/$name.verify")"
    log "$name: crm_verify accepts the CIB; $count unmapped"
done

# The scheduler's answer: with every node up, each group starts on its preferred node.
placement() {  # placement NAME NODE...: crm_simulate's transition with these nodes online
    local name=$1; shift
    python3 - "$WORK/$name.cib" "$WORK/$name.nodes.xml" "$@" <<'PY'
import sys, xml.etree.ElementTree as ET
tree = ET.parse(sys.argv[1])
nodes = tree.getroot().find("configuration/nodes")
for index, uname in enumerate(sys.argv[3:], 1):
    ET.SubElement(nodes, "node", id=str(index), uname=uname)
tree.write(sys.argv[2])
PY
    local args=()
    for node in "$@"; do args+=(-u "$node"); done
    crm_simulate --xml-file "$WORK/$name.nodes.xml" "${args[@]}" --simulate 2>&1
}
out=$(placement web alpha beta)
grep -Eq 'Start +ip_10\.0\.0\.10 .*alpha' <<<"$out" || fail "web: group 1 not started on alpha: $out"
grep -Eq 'Start +apache .*alpha' <<<"$out" || fail "web: apache not started on alpha: $out"
grep -Eq 'Start +ip_10\.0\.0\.11 .*beta' <<<"$out" || fail "web: group 2 not started on beta: $out"
out=$(placement drbd-nfs alpha beta)
# DRBD starts on both nodes; the group waits for the agent to ask for promotion (its promotion
# score), which a simulation without the agent never does.
grep -Eq 'Start +drbd_r0:0 ' <<<"$out" && grep -Eq 'Start +drbd_r0:1 ' <<<"$out" || fail "drbd-nfs: DRBD not started on both: $out"
if grep -Eq 'Start +fs_srv_nfs' <<<"$out"; then fail "drbd-nfs: filesystem started before DRBD was promoted: $out"; fi
grep -Eq 'Start +fs_srv_backup .*beta' <<<"$out" || fail "drbd-nfs: beta's group not on beta: $out"
out=$(placement three-nodes alpha beta gamma)
grep -Eq 'Start +ip_10\.0\.0\.51 .*gamma' <<<"$out" || fail "three-nodes: gamma's group elsewhere: $out"
# Without ping attributes no node is connected, so the ping rule keeps the groups stopped.
out=$(placement ping alpha beta)
grep -Eq 'Start +ping:[01]' <<<"$out" || fail "ping: ping clone not started: $out"
if grep -Eq 'Start +ip_10\.0\.0\.30' <<<"$out"; then fail "ping: group started with no connectivity: $out"; fi
log "crm_simulate places groups on their preferred nodes (and none without connectivity)"

# crm output: crmsh loads it offline into an empty CIB; the primitives match the CIB export's.
# crmsh takes about 3 s per load, so three fixtures that cover every kind of crm line.
primitives() {  # primitives FILE: "id class:provider:type name=value..." per primitive, sorted
    python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
for p in ET.parse(sys.argv[1]).getroot().iter("primitive"):
    params = sorted(f"{n.get('name')}={n.get('value')}" for n in p.findall("instance_attributes/nvpair"))
    print(p.get("id"), ":".join(filter(None, [p.get("class"), p.get("provider"), p.get("type")])), *params)
PY
}
sorted_primitives() { primitives "$1" | sort
}
pids=()
for name in drbd-nfs ping stonith; do
    export_fixture "$name" crm >/dev/null
    printf '<cib validate-with="pacemaker-3.0" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>\n' > "$WORK/$name.crm.xml"
    # Each crm has its own HOME: on a first run they race to create ~/.cache/crm.
    mkdir -p "$WORK/home-$name"
    HOME=$WORK/home-$name CIB_file=$WORK/$name.crm.xml crm -F configure load update "$WORK/$name.crm" > "$WORK/$name.crm.log" 2>&1 &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
for name in drbd-nfs ping stonith; do
    [ "$(sorted_primitives "$WORK/$name.crm.xml")" = "$(sorted_primitives "$WORK/$name.cib")" ] \
        || fail "$name: crm load differs: $(diff <(sorted_primitives "$WORK/$name.crm.xml") <(sorted_primitives "$WORK/$name.cib")) $(cat "$WORK/$name.crm.log")"
    [ "$(grep -c '<rsc_location\|<rsc_colocation\|<rsc_order' "$WORK/$name.crm.xml")" = "$(grep -c '<rsc_location\|<rsc_colocation\|<rsc_order' "$WORK/$name.cib")" ] \
        || fail "$name: crm load has other constraints"
    crm_verify --xml-file "$WORK/$name.crm.xml" > /dev/null 2>&1 || fail "$name: crm_verify rejects the crm result"
done
log "crmsh loads the crm output into the same primitives and constraints"

# pcs output: a script a shell accepts, one pcs line per resource and constraint.
for name in web drbd-nfs stonith; do
    export_fixture "$name" pcs >/dev/null
    sh -n "$WORK/$name.pcs" || fail "$name: pcs script is not valid shell"
    want=$(( $(grep -c '<primitive' "$WORK/$name.cib") + $(grep -c '<rsc_location\|<rsc_colocation\|<rsc_order' "$WORK/$name.cib") ))
    got=$(grep -c '^pcs -f heartbeat-import.xml \(resource create\|stonith create\|constraint\)' "$WORK/$name.pcs")
    [ "$got" = "$want" ] || fail "$name: $got pcs commands for $want primitives and constraints"
done
log "pcs scripts parse and cover every primitive and constraint"

# The README's migration commands, as written, on the web fixture instead of /etc/ha.d.
mkdir -p "$WORK/readme"
awk '/^## Migrating from 3.0.6/ { section = 1 } section && /^```sh/ { block = 1; next } block && /^```/ { exit } block' \
    "$ROOT/README.md" | sed "s#/etc/ha.d#$FIX/web#g" > "$WORK/readme/commands.sh"
[ "$(grep -c . "$WORK/readme/commands.sh")" = 4 ] || fail "README migration block not found: $(cat "$WORK/readme/commands.sh")"
printf '<cib validate-with="pacemaker-3.0" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>\n' > "$WORK/readme/cib.xml"
(cd "$WORK/readme" && PATH=$BIN:$PATH CIB_file=$WORK/readme/cib.xml bash -e commands.sh) > "$WORK/readme/out" 2>&1 \
    || fail "README migration commands failed: $(cat "$WORK/readme/out")"
grep -q 'type="IPaddr2"' "$WORK/readme/cib.xml" || fail "README commands did not load the groups"
log "README's migration commands run as written"
