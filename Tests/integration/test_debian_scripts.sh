#!/usr/bin/env bash
# Debian's own resource scripts (heartbeat's resource.d wrappers over resource-agents) and a plain
# LSB init script run unchanged under our daemon: the group starts on its preferred node, the
# address really appears (ip addr), and kill -9 of the owner moves both to the peer.
source "$(dirname "$0")/lib.sh"
require "Debian's heartbeat/resource-agents scripts are not installed" test -x /etc/ha.d/resource.d/IPaddr2 -a -d /usr/lib/ocf/resource.d/heartbeat
make_namespaces 2
VIP=10.77.0.100
for i in 1 2; do
    write_config $i "ucast eth0 10.77.0.1\nucast eth0 10.77.0.2" "sha1 secret"
    ln -sfn /etc/ha.d/resource.d "$WORK/node$i/etc/resource.d"
    # A plain LSB init script, found in the init.d directory after resource.d (spec §6.2).
    mkdir -p "$WORK/node$i/initd" "$WORK/node$i/lsb"
    cat > "$WORK/node$i/initd/lsbdemo" <<EOS
#!/bin/sh
state=$WORK/node$i/lsb/running
case "\$1" in
    start) touch "\$state" ;;
    stop) rm -f "\$state" ;;
    status) if [ -f "\$state" ]; then echo "lsbdemo is running"; exit 0; else echo "lsbdemo is stopped"; exit 3; fi ;;
    *) exit 2 ;;
esac
EOS
    chmod 755 "$WORK/node$i/initd/lsbdemo"
    echo "node1 IPaddr2::$VIP/24/eth0 lsbdemo" > "$WORK/node$i/etc/haresources"
done
boot() { NODE_ENV="HA_INITD_DIR=$WORK/node$1/initd" start_ours "$1"; }
has_vip() { ip -n "${PREFIX}-$1" -br addr show eth0 | grep -q "$VIP/24"; }
boot 1; boot 2
t=$(wait_until 15000 has_vip 1) || { tail -20 "$WORK/node1/ha-log"; fail "Debian's IPaddr2 did not add $VIP on node1"; }
wait_until 5000 test -f "$WORK/node1/lsb/running" >/dev/null || fail "the LSB init script was not started on node1"
log "Debian's IPaddr2 + an LSB init script started on node1 (${t} ms)"
! has_vip 2 || fail "$VIP is on both nodes"
past_startup 1 2
kill_node 1
ip -n "${PREFIX}-1" addr del "$VIP/24" dev eth0   # what a dead machine's address would do
t=$(wait_until 8000 has_vip 2) || { tail -20 "$WORK/node2/ha-log"; fail "node2 did not take $VIP over"; }
wait_until 5000 test -f "$WORK/node2/lsb/running" >/dev/null || fail "node2 did not start the LSB script"
log "kill -9 node1 -> $VIP on node2 after ${t} ms, LSB service started there"
# A clean shutdown releases in reverse order: the address is gone afterwards.
HA_CONFIG_DIR=$WORK/node2/etc HA_STATE_DIR=$WORK/node2/state HA_RUN_DIR=$WORK/node2/run "$BIN/heartbeat" -k || fail "heartbeat -k failed"
! has_vip 2 || fail "$VIP still on node2 after heartbeat -k"
[ ! -f "$WORK/node2/lsb/running" ] || fail "the LSB service still runs on node2 after heartbeat -k"
log "heartbeat -k released the address and stopped the LSB service"
