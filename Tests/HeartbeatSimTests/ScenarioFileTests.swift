import Glibc
import HeartbeatCore
import HeartbeatSim
import Testing

/// The scenario file format: parse errors at FILE:LINE with the fix, and the committed scenarios
/// passing in the simulator; expectations that do not hold must fail.
@Suite struct ScenarioFileTests {
    static let cluster = """
        nodes node1 node2
        keepalive 200ms
        deadtime 1s
        haresources node1 web db
        haresources node2 mail

        """

    static func run(_ text: String) throws -> ScenarioResult {
        let scenario = try Scenario.parse(text, file: "test.scenario")
        var backend = SimScenarioBackend(scenario)
        return try ScenarioRunner.run(scenario, on: &backend, pollInterval: .milliseconds(10))
    }

    @Test(arguments: [
        ("nodes node1\nat 0s start all\n", 1, "at least two nodes"),
        ("nodes node1 alpha\n", 1, "write node2 instead of alpha"),
        (cluster + "at 0s start all\nkeepalive 1s\n", 7, "move it above the first step"),
        (cluster + "at 2s start all\nat 1s kill node1\n", 7, "time order"),
        (cluster + "at 1x start all\n", 6, "write 2s, 1.5s or 300ms"),
        (cluster + "at 0s start all\nat 1s kill node3\n", 7, "no node node3"),
        (cluster + "at 0s start all\nwithin 1s group nosuch on node1\n", 7, "no group nosuch"),
        (cluster + "at 0s start all\nat 1s partition {node1}\n", 7, "partition {node1} {node2}"),
        (cluster + "at 0s start all\nwithin 1s log node1 \"unterminated\n", 7, "unterminated quote"),
        (cluster + "at 0s start all\nat 1s cut link node1 eth1\n", 7, "no medium eth1"),
        (cluster + "at 0s start all\nnever cl_status node1 rscstatus = all\n", 7, "use at or within"),
        (cluster + "at 0s start all\n", 6, "no expectations"),
        (cluster + "at 0s start all\nfrobnicate\n", 7, "unknown line 'frobnicate'"),
        (cluster + "at 0s start all\nat 6s lose ping node1\n", 7, "add a 'ping_node' line"),
        (cluster + "ping_node\nat 0s start all\nat 6s lose ping node3\n", 8, "no node node3"),
        (cluster + "ping_node\nat 0s start all\nat 6s restore ping\n", 8, "restore ping node1"),
        (cluster + "ping_node 10.0.0.9\n", 6, "'ping_node' takes nothing"),
        (cluster + "deadping 600ms\nat 0s start all\nat end group web on node1\n", 8, "add a 'ping_node' line"),
        (cluster + "ping_node\ndeadping 400ms\nat 0s start all\nat end group web on node1\n", 9, "more than twice keepalive"),
        (cluster + "arbitration maybe\n", 6, "on, off or ipfail"),
        (cluster + "at 0s start all\nat 6s fence fails on node2\n", 7, "add a 'stonith' line"),
        (cluster + "stonith\nat 0s start all\nat 6s fence broken on node2\n", 8, "fence fails on node2"),
        (cluster + "monitor web\n", 6, "monitor web status interval=1s"),
        (cluster + "monitor nosuch status\n", 6, "no resource nosuch"),
        (cluster + "at 0s start all\nmonitor web status\n", 7, "move it above the first step"),
        (cluster + "at 0s start all\nat 6s crash nosuch on node1\n", 7, "no resource nosuch"),
        (cluster + "at 0s start all\nat 6s crash web on node1 forever\n", 7, "crash web on node1 [persistent]"),
        (cluster + "at 0s start all\nat 6s hang web node1\n", 7, "hang web on node1 [persistent]"),
        (cluster + "at 0s start all\nat 6s flap web on node1 every 1\n", 7, "2 to 100"),
        (cluster + "at 0s start all\nat 6s heal service web node1\n", 7, "heal service web on node1"),
        (cluster + "at 0s start all\nat 6s monitor node1\n", 7, "monitor reset node1 [web]"),
        (cluster + "monitor db status\nat 0s start all\nat 6s monitor reset node1 db\n", 8, "no group db"),
    ])
    func parseErrorsNameTheLineAndTheFix(text: String, line: Int, fix: String) {
        do {
            _ = try Scenario.parse(text, file: "Tests/scenarios/x.scenario")
            Issue.record("parsed: \(text)")
        } catch {
            #expect(error.line == line)
            #expect(error.description.hasPrefix("Tests/scenarios/x.scenario:\(line): "))
            #expect(error.message.contains(fix), "\(error)")
        }
    }

    @Test func parsesTimesStepsAndExpectations() throws {
        let scenario = try Scenario.parse(Self.cluster + """
            at 0s start all
            at 1.25s kill node1   # a comment
            within 300ms log node2 "is dead"
            at 2s partition {node1} {node2}
            at end group web on nobody
            never two owners
            """, file: "t.scenario")
        #expect(scenario.steps.map(\.time) == [.zero, .milliseconds(1250), .seconds(2)])
        #expect(scenario.steps[2].action == .partition([["node1"], ["node2"]]))
        #expect(scenario.expectations[0].when == .within(.milliseconds(300), anchor: .milliseconds(1250)))
        #expect(scenario.expectations[0].condition == .log("node2", "is dead"))
        #expect(scenario.expectations[1].condition == .group("web", on: []))
        #expect(scenario.end == .seconds(3))
    }

    @Test func parsesPingNodeAndStonith() throws {
        let scenario = try Scenario.parse(Self.cluster + """
            ping_node
            deadping 600ms
            arbitration ipfail
            stonith
            at 0s start all
            at 6s lose ping node1
            at 7s fence fails on node2
            at 8s restore ping node1
            at 9s fence works on node2
            at end group web on node1
            """, file: "t.scenario")
        #expect(scenario.steps.map(\.action) == [.start("all"), .losePing("node1"), .fenceFails(node: "node2", true),
                                                 .restorePing("node1"), .fenceFails(node: "node2", false)])
        let config = scenario.simConfig
        #expect(config.pingNodes == 1 && config.pingNodeName(0) == Scenario.pingNode)
        #expect(config.deadping == .milliseconds(600) && config.arbitration && config.fencing == .reliable)
        // Without the lines: no ping node, deadping is deadtime, no device.
        let plain = try Scenario.parse(Self.cluster + "at 0s start all\nat end group web on node1\n", file: "t.scenario").simConfig
        #expect(plain.pingNodes == 0 && plain.deadping == plain.deadtime && plain.fencing == .none)
    }

    /// While the survivor's device fails, a dead node's group is never taken over (one attempt
    /// every 5 s, each logged), and a fenced node stays down: nobody powers it on in a scenario.
    @Test func failingFenceHoldsTheTakeoverBack() throws {
        let result = try Self.run(Self.cluster + """
            haresources node2 files
            stonith
            at 0s start all
            at 5s fence fails on node2
            at 6s kill node1
            within 2s log node2 "STONITH of node1 failed.  Retrying..."
            within 14s group web on node2
            at end group web on nobody
            end 20s
            """)
        #expect(result.verdicts.map(\.passed) == [true, false, true])
        let retries = result.history.events.filter {
            if case .log("node2", let text) = $0.event { text.contains("STONITH of node1 failed") } else { false }
        }
        #expect(retries.count >= 3, "\(retries.count) attempts in 13 s")
        #expect(result.backendFailure == nil)
    }

    /// A reset in a heartbeat-only partition ends the reset node: it is down at the end, holding nothing.
    @Test func fencedNodeStaysDown() throws {
        let scenario = try Scenario.parse(Self.cluster + """
            haresources node2 files
            stonith
            at 0s start all
            at 6s partition {node1} {node2}
            within 2s group web on node2
            never two owners
            end 15s
            """, file: "t.scenario")
        var backend = SimScenarioBackend(scenario)
        let result = try ScenarioRunner.run(scenario, on: &backend, pollInterval: .milliseconds(10))
        #expect(result.passed, "\(result.report)")
        #expect(!backend.simulator.isUp(0) && backend.simulator.isUp(1))
        #expect(backend.simulator.resets == 1)
    }

    /// Arbitration off: the ping node is tracked (declared dead) but nothing moves.
    @Test func pingLossWithoutArbitrationMovesNothing() throws {
        let result = try Self.run(Self.cluster + """
            ping_node
            arbitration off
            at 0s start all
            at 6s lose ping node1
            within 2s log node1 "node 10.79.0.254: is dead"
            at end group web on node1
            at end cl_status node1 nodestatus 10.79.0.254 = dead
            end 14s
            """)
        #expect(result.passed, "\(result.report)")
    }

    /// Wrong expectations fail during a split brain: a takeover faster than deadtime, a single
    /// owner, a log line never written, a wrong rscstatus, and no two owners.
    @Test func expectationsThatDoNotHoldFail() throws {
        let result = try Self.run(Self.cluster + """
            at 0s start all
            at 6s partition {node1} {node2}
            within 500ms group web on node2
            within 3s log node2 "no such line"
            at end group web on node1
            at end cl_status node2 rscstatus = local
            never two owners
            end 10s
            """)
        #expect(result.verdicts.map(\.passed) == [false, false, false, false, false])
        #expect(result.verdicts[0].detail == "at 6.5s: web on node1, mail on node2")
        #expect(!result.passed)
    }

    @Test func parsesMonitorsAndServiceFaults() throws {
        let scenario = try Scenario.parse(Self.cluster + """
            monitor db status interval=1s fall=2
            monitor mail tcp:127.0.0.1:25 name=smtp

            at 0s start all
            at 6s crash db on node1
            at 7s hang web on node1 persistent
            at 8s flap mail on node2 every 3 persistent
            at 9s heal service web on node1
            at 10s monitor reset node2 mail
            at 11s monitor reset node1
            at end group web on node1

            """, file: "t.scenario")
        #expect(scenario.monitorsText == "Dummy::db status interval=1s fall=2\nDummy::mail tcp:127.0.0.1:25 name=smtp\n")
        #expect(scenario.steps.map(\.action) == [
            .start("all"),
            .breakService(resource: "db", node: "node1", ServiceFault(.crashed)),
            .breakService(resource: "web", node: "node1", ServiceFault(.hung, persistent: true)),
            .breakService(resource: "mail", node: "node2", ServiceFault(.flapping(every: 3), persistent: true)),
            .healService(resource: "web", node: "node1"),
            .monitorReset(node: "node2", group: "mail"),
            .monitorReset(node: "node1", group: nil),
        ])
        #expect(try Scenario.parse(Self.cluster + "at 0s start all\nat end group web on node1\n", file: "t").monitorsText == nil)
    }

    @Test func sameSeedSameHistory() throws {
        let text = Self.cluster + "at 0s start all\nat 6s kill node1\nwithin 2s group web on node2\n"
        let first = try Self.run(text).history.events.map { "\($0.time) \($0.event)" }
        let second = try Self.run(text).history.events.map { "\($0.time) \($0.event)" }
        #expect(first == second)
        #expect(first.count > 20)
    }

    /// Every committed scenario passes in the simulator (the netns run is `make scenarios`).
    @Test func committedScenariosPassInTheSimulator() throws {
        let directory = String(#filePath.dropLast("HeartbeatSimTests/ScenarioFileTests.swift".count)) + "scenarios"
        let names = Self.scenarioFiles(in: directory)
        #expect(names.count >= 15, "\(names)")
        for name in names {
            let path = "\(directory)/\(name)"
            let text = try #require(Self.read(path), "cannot read \(path)")
            let scenario = try Scenario.parse(text, file: path)
            var backend = SimScenarioBackend(scenario)
            let result = try ScenarioRunner.run(scenario, on: &backend, pollInterval: .milliseconds(10))
            #expect(result.passed, "\(name): \(result.report.joined(separator: "\n"))")
        }
    }

    static func scenarioFiles(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".scenario") { names.append(name) }
        }
        return names.sorted()
    }

    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = fread(&buffer, 1, buffer.count, file), count > 0 { bytes += buffer[..<count] }
        return String(decoding: bytes, as: UTF8.self)
    }
}
