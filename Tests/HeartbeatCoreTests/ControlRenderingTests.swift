import Testing
@testable import HeartbeatCore

@Suite struct ControlRenderingTests {
    @Test func jsonEscapesStrings() {
        #expect(JSONWriter.quoted("plain") == "\"plain\"")
        #expect(JSONWriter.quoted("q\"b\\s/") == "\"q\\\"b\\\\s/\"")
        #expect(JSONWriter.quoted("\n\r\t\u{08}\u{0C}") == "\"\\n\\r\\t\\b\\f\"")
        #expect(JSONWriter.quoted("\u{00}\u{1F}\u{7F}") == "\"\\u0000\\u001f\u{7F}\"")
        #expect(JSONWriter.quoted("é🚀\u{2028}") == "\"é🚀\\u2028\"")
    }

    @Test func jsonShape() {
        let report = StatusReport(
            localNode: "a\"b",
            nodes: [
                .init(name: "alice", status: .active, generation: 7, links: [.init(name: "eth0", status: .up)],
                      lateHeartbeat: .init(maxIntervalMs: 1010, p99IntervalMs: 1002), lastHeardAgeMs: 3),
                .init(name: "ping1", type: .ping, status: .dead),
            ],
            resources: .transition,
            parameters: ["udpport": "694", "keepalive": "1000ms"],
            rejectedPackets: ["replay": 1, "auth": 2],
            clients: [.init(node: "alice", client: "ipfail", status: .online)])
        #expect(report.json() == """
            {"schema":2,"schema_version":2,"version":"3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)",\
            "localNode":"a\\"b","managedBy":"haresources","keepaliveMs":1000,"deadtimeMs":30000,\
            "resources":"transition","nodes":[\
            {"name":"alice","type":"normal","status":"active","weight":100,"site":"","generation":7,\
            "links":[{"name":"eth0","status":"up"}],"lateHeartbeat":{"maxMs":1010,"p99Ms":1002},"lastHeardAgeMs":3,\
            "configDigest":null},\
            {"name":"ping1","type":"ping","status":"dead","weight":100,"site":"","generation":null,\
            "links":[],"lateHeartbeat":null,"lastHeardAgeMs":null,"configDigest":null}],"groups":[],"configMismatches":[],\
            "parameters":{"keepalive":"1000ms","udpport":"694"},"rejectedPackets":{"auth":2,"replay":1},\
            "clients":[{"node":"alice","client":"ipfail","status":"online"}]}

            """)
        let empty = StatusReport(localNode: "solo").json()
        #expect(empty.contains("\"nodes\":[],\"groups\":[],\"configMismatches\":[],\"parameters\":{},\"rejectedPackets\":{},\"clients\":[]}"))
    }

    @Test func humanTableShowsNodesLinksLatenessAndCounters() {
        let table = sampleReport().humanTable()
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "Heartbeat 3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)")
        #expect(lines[2] == "This node holds: local")
        #expect(lines[4].hasPrefix("NODE        TYPE    STATE   GENERATION  LINKS"))
        #expect(lines[5] == "alice       normal  active  7           eth0:up eth1:up    1010 ms   1002 ms   3 ms ago")
        #expect(lines[6].hasPrefix("bob         normal  dead    3           eth0:dead eth1:up  -         -         never"))
        #expect(table.contains("\nRejected packets:\n  auth  2\n"))
        #expect(table.contains("\nClients:\n  alice  ipfail  online\n"))
        var quiet = sampleReport()
        quiet.rejectedPackets = [:]
        quiet.nodes[0].name = "evil\nname"
        #expect(quiet.humanTable().contains("Rejected packets: none"))
        #expect(quiet.humanTable().contains("evil\\nname"))
    }

    @Test func groupsAndConfigMismatchesAreShownAndRoundTrip() throws {
        let report = StatusReport(
            localNode: "alice",
            nodes: [
                .init(name: "alice", status: .active, configDigest: "0000abcd"),
                .init(name: "bob", status: .active, configDigest: "1234ffff"),
                .init(name: "carol", status: .active),
            ],
            resources: .local,
            groups: [
                .init(key: "IPaddr2::10.0.0.5", preferredNode: "alice", owner: "alice", state: "running",
                      reason: "initial acquisition", lastTransitionAgeMs: 1500, lastScriptsMs: 42),
                .init(key: "Dummy::db", preferredNode: "bob", owner: nil, state: "stopped", reason: "released"),
            ])
        // carol (a 3.0.6 node) sends no digest: only bob disagrees.
        #expect(report.configMismatches == ["bob"])
        let table = report.humanTable()
        #expect(table.contains("CONFIGURATION MISMATCH: bob advertises haresources/auth digest 1234ffff, ours is 0000abcd"))
        #expect(table.contains("IPaddr2::10.0.0.5  alice"))
        #expect(table.contains("1500 ms ago"))
        let json = report.json()
        #expect(json.contains(#""groups":[{"key":"IPaddr2::10.0.0.5","preferredNode":"alice","owner":"alice","state":"running","reason":"initial acquisition","lastTransitionAgeMs":1500,"lastScriptsMs":42,"health":{"state":"unmonitored","consecutiveFailures":0,"failCount":0,"restartsLeft":null,"holddownLeftMs":null,"restarts":0,"moves":0,"eligibility":[],"checks":[]}},{"key":"Dummy::db","preferredNode":"bob","owner":null,"state":"stopped","reason":"released","lastTransitionAgeMs":null,"lastScriptsMs":null,"health":{"state":"unmonitored","consecutiveFailures":0,"failCount":0,"restartsLeft":null,"holddownLeftMs":null,"restarts":0,"moves":0,"eligibility":[],"checks":[]}}],"configMismatches":["bob"]"#))
        #expect(try StatusReport(decoding: Array(report.encoded().utf8)) == report)
    }
}
