@testable import HeartbeatCore
import Testing

/// Health through the composed node and on the wire: checks as node effects, our `svcbad` in
/// heartbeats (omitted when empty), a peer's `svcbad` as a resource event, and reload.
@Suite struct HealthWireTests {
    private static func status(from node: String, svcbad: String?, seq: UInt64) -> Message {
        var message = Message(("t", "status"), ("st", "active"), ("dt", "3e8"), ("protocol", "1"))
        if let svcbad { message["svcbad"] = svcbad }
        message.fields += [Field("src", node), Field("seq", String(seq, radix: 16)), Field("hg", "5")]
        return message
    }

    private static func membership() -> Membership {
        Membership(config: MembershipConfig(
            localNode: "alice", localUUID: Array(repeating: 1, count: 16), generation: 9, nodes: ["alice", "bob"],
            links: ["eth0"], keepalive: .milliseconds(200), deadtime: .seconds(1), warntime: .milliseconds(500),
            initdead: .seconds(2)))
    }

    private static func statuses(_ effects: [MembershipEffect]) -> [Message] {
        effects.compactMap { if case .send(let message) = $0, message.type == .status { message } else { nil } }
    }

    @Test func ourHeartbeatCarriesSvcbadOnlyWhenSomethingIsUnfit() {
        var membership = Self.membership()
        #expect(Self.statuses(membership.handle(.start, now: .zero)).first?["svcbad"] == nil)
        let changed = membership.advertiseUnfitGroups(["db", "web"], now: .zero + .milliseconds(50))
        #expect(Self.statuses(changed).map { $0["svcbad"] } == ["db web"], "a change goes out at once")
        #expect(membership.advertiseUnfitGroups(["db", "web"], now: .zero + .milliseconds(60)).isEmpty)
        let next = membership.handle(.tick, now: .zero + .milliseconds(200))
        #expect(Self.statuses(next).first?["svcbad"] == "db web")
        let cleared = membership.advertiseUnfitGroups([], now: .zero + .milliseconds(250))
        #expect(Self.statuses(cleared).count == 1)
        #expect(Self.statuses(cleared).first?["svcbad"] == nil)
    }

    @Test func aPeersSvcbadIsReportedOncePerChange() {
        var membership = Self.membership()
        _ = membership.handle(.start, now: .zero)
        func changes(_ effects: [MembershipEffect]) -> [[String]] {
            effects.compactMap { if case .peerUnfitChanged("bob", let groups) = $0 { groups } else { nil } }
        }
        var seen = changes(membership.handle(.received(Self.status(from: "bob", svcbad: nil, seq: 1), link: "eth0"), now: .zero + .milliseconds(10)))
        #expect(seen.isEmpty, "a peer without the field (3.0.6) is fit, as assumed from the start")
        seen = changes(membership.handle(.received(Self.status(from: "bob", svcbad: "db", seq: 2), link: "eth0"), now: .zero + .milliseconds(20)))
        seen += changes(membership.handle(.received(Self.status(from: "bob", svcbad: "db", seq: 3), link: "eth0"), now: .zero + .milliseconds(30)))
        #expect(seen == [["db"]])
        seen = changes(membership.handle(.received(Self.status(from: "bob", svcbad: nil, seq: 4), link: "eth0"), now: .zero + .milliseconds(40)))
        #expect(seen == [[]])
    }

    /// node1 alone (node2 never answers): its group starts, its check runs as a node effect, a
    /// failure with nobody to take the group puts it in our heartbeat, and a reload without the
    /// line cancels the check and clears the field.
    @Test func throughTheNode() {
        var cluster = NodeTests.cluster()
        let key = cluster.resourceGroups[0].key
        cluster.monitors = [MonitorSpec(group: key, check: .status, interval: .seconds(5), onFail: .failover, line: 1)]
        var node = Node(cluster: cluster, identity: NodeTests.identity, scripts: .standard)
        var effects = node.handle(.start, now: .zero)
        var now = Instant.zero
        var checks: [CheckRun] = []
        for _ in 0..<1000 where checks.isEmpty {
            var answers: [Node.Event] = []
            for effect in effects {
                if case .runScript(let run) = effect { answers.append(.scriptFinished(run.id, exitCode: 0, output: "stopped")) }
                if case .runCheck(let run) = effect { checks.append(run) }
            }
            if answers.isEmpty {
                guard let deadline = node.nextDeadline else { break }
                now = max(now, deadline)
                effects = node.handle(.tick, now: now)
            } else {
                effects = answers.flatMap { node.handle($0, now: now) }
            }
        }
        #expect(checks.count == 1)
        #expect(checks.first?.group == key)
        effects = node.handle(.checkFinished(checks[0].id, .failed(latency: .milliseconds(2), detail: "exit 7")), now: now)
        let heartbeats = effects.compactMap { if case .send(let message) = $0, message.type == .status { message } else { nil } }
        #expect(heartbeats.map { $0["svcbad"] } == [key])
        #expect(effects.contains { if case .log(.critical, let text) = $0 { text.hasPrefix("Group \(key) is unhealthy here") } else { false } })

        now = now + .seconds(20)
        effects = node.handle(.tick, now: now)
        let running = effects.compactMap { if case .runCheck(let run) = $0 { run } else { nil } }
        effects = node.replaceMonitors([])
        #expect(running.allSatisfy { effects.contains(.cancelCheck($0.id)) })
        let after = effects.compactMap { if case .send(let message) = $0, message.type == .status { message } else { nil } }
        #expect(after.count == 1 && after[0]["svcbad"] == nil)
        #expect(node.resources?.unfitGroupKeys == [])
    }

    @Test func aReloadKeepsTheStateOfUnchangedLines() {
        let tcp = HealthHarness.spec(.tcp(host: "127.0.0.1", port: 3306), fall: 3, line: 2)
        var node = HealthHarness([HealthHarness.spec(line: 1), tcp])
        node.pass()
        node.fail()
        let inFlight = node.pending
        var moved = tcp
        moved.line = 7
        let effects = node.manager.replaceMonitors([moved, HealthHarness.spec(interval: .seconds(3), line: 8)], now: node.now)
        #expect(!effects.contains { if case .cancelCheck = $0 { true } else { false } }, "nothing was in flight")
        #expect(inFlight.isEmpty)
        #expect(node.manager.health.lines.map(\.consecutiveFailures) == [1, 0], "the tcp line kept its count, the changed one starts afresh")
        #expect(node.manager.health.lines.map(\.spec.line) == [7, 8])
    }
}
