@testable import HeartbeatCore
import Testing

/// The composed node as both interpreters see it: built from a validated configuration, its
/// structured effects, the one wire path and the one status projection.
@Suite struct NodeTests {
    static let identity = NodeIdentity(uuid: Array(repeating: 7, count: 16), generation: 5, ackSeed: 42)

    static func cluster(_ extra: String = "", haResources: String = Sample.haResources) -> ClusterConfig {
        let (cluster, diagnostics) = validate(haCf: Sample.haCf + extra, haResources: haResources)
        #expect(cluster != nil, "\(diagnostics)")
        return cluster!
    }

    @Test func builtFromTheConfiguration() {
        let cluster = Self.cluster("keepalive 500ms\ndeadtime 4\nping 10.0.0.254\n")
        let node = Node(cluster: cluster, identity: Self.identity, scripts: .standard)
        let membership = node.membership.config
        #expect(membership.localNode == "node1")
        #expect(membership.nodes == ["node1", "node2"])
        #expect(membership.links == ["eth0"])
        #expect(membership.keepalive == .milliseconds(500))
        #expect(membership.deadtime == .seconds(4))
        // Not written: derived by the validator, as 3.0.6 derives it.
        #expect(membership.warntime == .seconds(2))
        #expect(membership.generation == 5)
        #expect(membership.localUUID == Self.identity.uuid)
        #expect(membership.ackSeed == 42)
        #expect(membership.configDigest == cluster.agreementDigest)
        #expect(node.resources?.config.groups == cluster.resourceGroups)
        #expect(node.resources?.config.scripts == .standard)
        #expect(node.arbitration.config.pingTargets == [PingNodes.Target(name: "10.0.0.254", isGroup: false)])
    }

    /// `heartbeat -M`: membership only.
    @Test func withoutScriptsNoResourceManager() {
        let node = Node(cluster: Self.cluster(), identity: Self.identity, scripts: nil)
        #expect(node.resources == nil)
    }

    @Test func resourceNodesNarrowTheResourceManagersPeers() {
        let cluster = Self.cluster().withNodes(["node1", "node2", "node3"])
        let node = Node(cluster: cluster, identity: Self.identity, scripts: .standard, resourceNodes: ["node1", "node2"])
        #expect(node.membership.config.nodes == ["node1", "node2", "node3"])
        #expect(node.resources?.config.nodes == ["node1", "node2"])
    }

    /// `ts`, `ld` (not for `NS_` types) and `ttl` = hopfudge + every node name, in that order.
    @Test func outboundStampsLikeTheDaemon() {
        let cluster = Self.cluster("hopfudge 3\nping 10.0.0.254\n")
        let outbound = Outbound(cluster: cluster)
        let status = outbound.stamped(Message(("t", "status"), ("src", "node1")),
                                      Outbound.Stamp(timestamp: 0x5F00, load: "0.10 0.20 0.30 1/99 7"))
        #expect(status.fields.map(\.name) == ["t", "src", "ts", "ld", "ttl"])
        #expect(status["ts"] == "5f00")
        #expect(status["ld"] == "0.10 0.20 0.30 1/99 7")
        #expect(status["ttl"] == "6")
        let ack = outbound.stamped(Message(("t", "NS_ackmsg")), Outbound.Stamp(timestamp: 1, load: "x"))
        #expect(ack.fields.map(\.name) == ["t", "ts", "ttl"])
    }

    @Test func outboundPacketsDecodeWithTheKeys() throws {
        let cluster = Self.cluster()
        let outbound = Outbound(cluster: cluster)
        let stamped = outbound.stamped(Message(("t", "status"), ("src", "node1")), Outbound.Stamp(timestamp: 9, load: "l"))
        let packet = try outbound.packet(stamped, keys: cluster.authKeys)
        let decoded = try Wire.decode(packet, keys: cluster.authKeys)
        #expect(decoded.message["ts"] == "9")
        #expect(decoded.message["ttl"] == "3")
        let wrong = AuthKeys(AuthKey(slot: 1, method: .sha1, secret: Array("other".utf8)))
        #expect(throws: WireError.self) { try Wire.decode(packet, keys: wrong) }
    }

    /// Every heartbeat is followed by `heartbeatSent`.
    @Test func startSaysAHeartbeatWentOut() {
        var node = Node(cluster: Self.cluster(), identity: Self.identity, scripts: nil)
        let effects = node.handle(.start, now: .zero)
        let status = effects.firstIndex { if case .send(let message) = $0 { message.type == .status } else { false } }
        let sent = effects.firstIndex(of: .heartbeatSent)
        #expect(status != nil && sent != nil && sent! > status!)
    }

    /// Two nodes hear each other and become active, then node2 falls silent: node1 reports the
    /// link and then the node dead. Each status change says why.
    @Test func silencedPeerIsReportedDead() {
        let cluster = Self.cluster()
        var second = cluster
        second.localNode = "node2"
        var nodes = [Node(cluster: cluster, identity: Self.identity, scripts: nil),
                     Node(cluster: second, identity: Self.identity, scripts: nil)]
        var seen: [Node.Effect] = []
        var inbox: [[Message]] = [[], []]
        func run(_ index: Int, _ event: Node.Event, at now: Instant) {
            for effect in nodes[index].handle(event, now: now) {
                if index == 0 { seen.append(effect) }
                if case .send(let message) = effect { inbox[1 - index].append(message) }
            }
        }
        run(0, .start, at: .zero)
        run(1, .start, at: .zero)
        var now = Instant.zero
        let silence = Instant.zero + .seconds(20)
        while now < Instant.zero + .seconds(120) {
            now = now + .milliseconds(100)
            for index in 0..<2 {
                let messages = inbox[index]
                inbox[index] = []
                // From `silence` on node2 no longer runs (what it had sent is lost with it).
                if index == 1, now >= silence { continue }
                for message in messages { run(index, .received(message, link: "eth0"), at: now) }
                run(index, .tick, at: now)
            }
        }
        #expect(seen.contains { effect in
            if case .nodeStatusChanged("node1", _, .active, .localTransition) = effect { true } else { false }
        })
        #expect(seen.contains(.linkStatusChanged(node: "node2", link: "eth0", from: .dead, to: .up)))
        #expect(seen.contains(.nodeStatusChanged(node: "node2", from: .initial, to: .active, why: .announced))
                || seen.contains(.nodeStatusChanged(node: "node2", from: .initial, to: .up, why: .announced)))
        #expect(seen.contains(.linkStatusChanged(node: "node2", link: "eth0", from: .up, to: .dead)))
        #expect(seen.contains(.nodeStatusChanged(node: "node2", from: .active, to: .dead, why: .timedOut)))
    }

    /// Every change of a group's state is an effect, from the one place the state is assigned.
    @Test func groupStateChangesAreEffects() {
        let group = ResourceGroup(preferredNode: "a", key: "k", resources: [Resource(script: "s", arguments: [], token: "s")], line: 1)
        var manager = ResourceManager(config: ResourceManagerConfig(localNode: "a", nodes: ["a"], groups: [group], autoFailback: .off))
        var effects = manager.handle(.commsUp(liveNodes: ["a"]), now: .zero)
        effects += manager.handle(.scriptFinished(1, exitCode: 0, output: ""), now: .zero + .milliseconds(5))
        effects += manager.handle(.scriptFinished(2, exitCode: 0, output: ""), now: .zero + .milliseconds(45))
        let changes = effects.compactMap { effect -> String? in
            if case .groupStateChanged(let key, let from, let to) = effect { "\(key): \(from) -> \(to)" } else { nil }
        }
        #expect(changes == ["k: stopped -> starting", "k: starting -> running"])
    }

    /// The projection the daemon, the simulator and scenarios share: nodes in configuration
    /// order, ping nodes after them, the wire rejects added to membership's own.
    @Test func statusReportProjection() {
        let cluster = Self.cluster("ping 10.0.0.254\n")
        var node = Node(cluster: cluster, identity: Self.identity, scripts: .standard)
        _ = node.handle(.start, now: .zero)
        let report = node.statusReport(now: .zero + .seconds(1), parameters: ["keepalive": "1000ms"], wireRejects: ["bad digest": 3])
        #expect(report.localNode == "node1")
        #expect(report.keepaliveMs == cluster.keepalive.milliseconds)
        #expect(report.deadtimeMs == cluster.deadtime.milliseconds)
        #expect(report.nodes.map(\.name) == ["node1", "node2", "10.0.0.254"])
        #expect(report.nodes.map(\.type) == [.normal, .normal, .ping])
        #expect(report.nodes[0].generation == 5)
        #expect(report.nodes[0].links.map(\.name) == ["eth0"])
        #expect(report.nodes[2].links.map(\.name) == ["10.0.0.254"])
        #expect(report.parameters == ["keepalive": "1000ms"])
        #expect(report.rejectedPackets["bad digest"] == 3)
        #expect(report.groups.map(\.key) == cluster.resourceGroups.map(\.key))
        #expect(report.resources == node.resources?.rscstatus)
    }
}

extension ClusterConfig {
    func withNodes(_ names: [String]) -> ClusterConfig {
        var cluster = self
        cluster.nodes = names
        return cluster
    }
}
