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
            {"schema":1,"version":"3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)",\
            "localNode":"a\\"b","managedBy":"haresources","keepaliveMs":1000,"deadtimeMs":30000,\
            "resources":"transition","nodes":[\
            {"name":"alice","type":"normal","status":"active","weight":100,"site":"","generation":7,\
            "links":[{"name":"eth0","status":"up"}],"lateHeartbeat":{"maxMs":1010,"p99Ms":1002},"lastHeardAgeMs":3},\
            {"name":"ping1","type":"ping","status":"dead","weight":100,"site":"","generation":null,\
            "links":[],"lateHeartbeat":null,"lastHeardAgeMs":null}],\
            "parameters":{"keepalive":"1000ms","udpport":"694"},"rejectedPackets":{"auth":2,"replay":1},\
            "clients":[{"node":"alice","client":"ipfail","status":"online"}]}

            """)
        let empty = StatusReport(localNode: "solo").json()
        #expect(empty.contains("\"nodes\":[],\"parameters\":{},\"rejectedPackets\":{},\"clients\":[]}"))
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
}
