#!/usr/bin/env bash
# The Prometheus endpoint (metrics_listen): node1 on loopback TCP, node2 on a Unix socket, scraped
# with curl and read with the Python client's own parser. The scrape reflects membership, links,
# heartbeat intervals, a failover with its script durations and packets rejected by reason; idle
# and malformed connections neither block heartbeats nor the next scrape. A few seconds.
set -u
source "$(dirname "$0")/lib.sh"
make_namespaces 2
for i in 1 2; do
    write_config "$i" "bcast eth0" "sha1 secret"
    use_dummy "$i" 'node1 Dummy::web\nnode2 Dummy::db'
done
echo "metrics_listen 127.0.0.1:9873" >> "$WORK/node1/etc/ha.cf"
echo "metrics_listen $WORK/node2/run/metrics.sock" >> "$WORK/node2/etc/ha.cf"
for i in 1 2; do start_ours "$i"; done
wait_log 1 "Status update for node node2: status active" 8000 > /dev/null || fail "node1 never saw node2 active"
wait_log 1 "Metrics served on 127.0.0.1:9873" 1000 > /dev/null || fail "node1 does not serve metrics"

scrape1() { ip netns exec "${PREFIX}-1" curl -sS --max-time 5 -D "$WORK/headers" http://127.0.0.1:9873/metrics; }
scrape2() { curl -sS --max-time 5 --unix-socket "$WORK/node2/run/metrics.sock" http://localhost/metrics; }
# check FILE PYTHON-ASSERTIONS: parse FILE with prometheus_client's parser; `value(name, **labels)`.
check() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
families = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
def value(name, **labels):
    for family in families.values():
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    raise AssertionError(f"no sample {name} {labels}")
exec(sys.argv[2])
PY
}

# Rejected packets: garbage and an unsigned status to node1's port.
ip netns exec "${PREFIX}-2" bash -c 'for n in 1 2 3; do echo garbage > /dev/udp/10.77.0.1/694; done'
wait_dummy 1 web yes 10000 >/dev/null || fail "node1 did not start web"
wait_dummy 2 db yes 10000 >/dev/null || fail "node2 did not start db"
# a few heartbeat intervals of node2's measured on node1
intervals_counted() {
    [ "$(scrape1 | awk '/^heartbeat_heartbeat_interval_seconds_count\{node="node2"\}/ { print int($2) }')" -ge 3 ] 2>/dev/null
}
wait_until 5000 intervals_counted >/dev/null || fail "node1 counted no 3 heartbeat intervals of node2"
scrape1 > "$WORK/m1.txt" || fail "scrape of node1 failed"
grep -qi '^content-type: text/plain; version=0.0.4' "$WORK/headers" || fail "wrong content type: $(cat "$WORK/headers")"
check "$WORK/m1.txt" '
assert families["heartbeat_node_up"].type == "gauge"
assert value("heartbeat_node_up", node="node2", type="normal") == 1
assert value("heartbeat_node_status", node="node2", status="active") == 1
assert value("heartbeat_link_up", node="node2", link="eth0") == 1
assert families["heartbeat_heartbeat_interval_seconds"].type == "histogram"
count = value("heartbeat_heartbeat_interval_seconds_count", node="node2")
assert count >= 3, count
assert value("heartbeat_heartbeat_interval_seconds_bucket", node="node2", le="0.25") == count, "keepalive 200 ms: intervals <= 250 ms"
assert sum(s.value for s in families["heartbeat_rejected_packets"].samples) >= 3
assert value("heartbeat_group_held", group="Dummy::web", node="node1") == 1
assert value("heartbeat_script_duration_seconds_count", operation="start") >= 1
' || fail "node1 metrics wrong: $(cat "$WORK/m1.txt")"
log "node1 over TCP: node, link, interval histogram, rejected packets, group and script metrics parse and match"

# Idle connections and a junk request while heartbeats go on: node2 never warns, scrapes still answer.
ip netns exec "${PREFIX}-1" /usr/bin/python3 -c '
import socket, time
idle = [socket.create_connection(("127.0.0.1", 9873)) for _ in range(8)]
junk = socket.create_connection(("127.0.0.1", 9873)); junk.sendall(b"X" * 9000)
assert b" 431 " in junk.recv(200), "oversized request not refused"
bad = socket.create_connection(("127.0.0.1", 9873)); bad.sendall(b"POST /metrics HTTP/1.0\r\n\r\n")
assert b" 405 " in bad.recv(200)
time.sleep(1.5)
' || fail "bad requests not refused"
scrape1 > /dev/null || fail "scrape failed while idle clients were connected"
! grep -q "Late heartbeat" "$WORK/node2/ha-log" "$WORK/node1/ha-log" || fail "heartbeats were late while the endpoint was busy"
log "idle and malformed clients: refused or timed out, no late heartbeat"

# Failover: node1 dies, node2 takes Dummy::web; node2's Unix-socket endpoint counts it.
scrape2 > "$WORK/m2-before.txt" || fail "scrape of node2 failed"
check "$WORK/m2-before.txt" 'assert value("heartbeat_failovers_total", group="Dummy::web") == 0' || fail "failover counted too early"
kill_node 1
wait_log 2 "node node1: is dead" 5000 > /dev/null || fail "node2 did not declare node1 dead"
# Logged once web's start script has ended (group_held turns 1 when the start begins).
wait_log 2 "mach_down takeover complete" 5000 > /dev/null || fail "node2 did not complete the takeover"
scrape2 > "$WORK/m2.txt" || fail "scrape of node2 failed after the failover"
check "$WORK/m2.txt" '
assert value("heartbeat_node_up", node="node1", type="normal") == 0
assert value("heartbeat_link_up", node="node1", link="eth0") == 0
assert value("heartbeat_failovers_total", group="Dummy::web") == 1
assert value("heartbeat_group_held", group="Dummy::web", node="node2") == 1
assert value("heartbeat_script_duration_seconds_count", operation="start") >= 2
' || fail "node2 metrics after failover wrong: $(grep -E 'failover|held|node_up' "$WORK/m2.txt")"
log "node2 over a Unix socket: node1 down, one failover of Dummy::web, start scripts timed"

# hbctl status --json against docs/status-json.md: every field printed is documented, every
# documented field is printed (clients[] is empty here), and the doc's example command works.
HA_RUN_DIR=$WORK/node2/run "$BIN/hbctl" status --json > "$WORK/status.json" || fail "hbctl status --json failed"
python3 - "$WORK/status.json" "$ROOT/docs/status-json.md" <<'PY' || fail "docs/status-json.md and the daemon disagree"
import json, re, sys
status = json.load(open(sys.argv[1]))
documented = set(re.findall(r"^\| `([^`]+)` \|", open(sys.argv[2]).read(), re.M))
printed = set()
def walk(value, path):
    if path and not path.endswith("[]"): printed.add(path)
    if isinstance(value, dict) and path not in ("parameters", "rejectedPackets"):
        for key, item in value.items(): walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value: walk(item, path + "[]")
walk(status, "")
assert status["schema_version"] == 2
assert printed <= documented, f"undocumented: {sorted(printed - documented)}"
# No client, no monitors file here: clients[] and a monitored group's eligibility and checks stay empty.
missing = {f for f in documented - printed if not f.startswith(("clients[].", "groups[].health.eligibility[].", "groups[].health.checks[]."))}
assert not missing, f"documented but not printed: {sorted(missing)}"
PY
command=$(grep '^hbctl status --json |' "$ROOT/docs/status-json.md")
dead=$(PATH=$BIN:$PATH HA_RUN_DIR=$WORK/node2/run bash -c "$command") || fail "the doc's command failed"
[ "$dead" = "['node1']" ] || fail "the doc's command printed $dead, want ['node1']"
log "hbctl status --json matches docs/status-json.md field for field; the doc's example command works"
