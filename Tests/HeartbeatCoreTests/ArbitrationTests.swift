import Testing
@testable import HeartbeatCore

/// Ping nodes and built-in arbitration, pure: one `Arbitration` per node, messages carried by hand.
@Suite struct ArbitrationTests {
    static let ping = "10.0.0.254"
    static let deadping: Duration = .seconds(2)
    static let keepalive: Duration = .milliseconds(500)

    static func arbitration(_ local: String, guardOn: Bool = true, autoFailback: Bool = false,
                            targets: [PingNodes.Target] = [PingNodes.Target(name: ping, isGroup: false)]) -> Arbitration {
        Arbitration(config: ArbitrationConfig(
            localNode: local, nodes: ["n1", "n2"], pingTargets: targets, deadping: deadping, keepalive: keepalive,
            enabled: true, isolationGuard: guardOn, autoFailback: autoFailback))
    }

    static func at(_ milliseconds: Int64) -> Instant { Instant.zero + .milliseconds(milliseconds) }

    static func echo(_ name: String = ping, info: String = "ping") -> Message {
        Message(("t", "NS_st"), ("st", "ping"), ("info", info), ("src", name), ("ts", "6720c9a1"))
    }

    /// A message as the peer's membership would deliver it to us.
    static func from(_ source: String, _ message: Message) -> Message {
        var delivered = message
        delivered["src"] = source
        return delivered
    }

    static func sent(_ effects: [Arbitration.Effect]) -> [Message] {
        effects.compactMap { if case .send(let message) = $0 { message } else { nil } }
    }

    static func logs(_ effects: [Arbitration.Effect]) -> [String] {
        effects.compactMap { if case .log(_, let text) = $0 { text } else { nil } }
    }

    /// Started, the ping node answered once at 100 ms, comm-up with both nodes alive.
    static func running(_ local: String, guardOn: Bool = true, autoFailback: Bool = false) -> Arbitration {
        var node = arbitration(local, guardOn: guardOn, autoFailback: autoFailback)
        node.start(now: at(0))
        _ = node.echoReply(echo(), now: at(100))
        _ = node.communicationsUp(liveNodes: ["n1", "n2"], now: at(150))
        return node
    }

    /// `#require` for values made by mutating calls (the macro cannot capture those).
    func required<T>(_ value: T?, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
        try #require(value, sourceLocation: sourceLocation)
    }

    // MARK: Ping pseudo-nodes

    @Test func pingNodeGoesPingThenDeadWithThreeZeroSixLines() throws {
        var node = Self.arbitration("n1")
        node.start(now: Self.at(0))
        let up = try required(node.echoReply(Self.echo(), now: Self.at(100)))
        #expect(Self.logs(up).prefix(2) == ["Link 10.0.0.254:10.0.0.254 up.", "Status update for node 10.0.0.254: status ping"])
        #expect(node.pings.snapshots(now: Self.at(100)).map(\.status) == [.ping])
        #expect(node.counted(now: Self.at(100)) == 1)
        // Nothing for deadping: dead.
        #expect(node.nextDeadline(now: Self.at(100)) == Self.at(2100))
        let dead = node.tick(now: Self.at(2100), stable: true)
        #expect(Self.logs(dead).prefix(2) == ["node 10.0.0.254: is dead", "Link 10.0.0.254:10.0.0.254 dead."])
        #expect(node.pings.snapshots(now: Self.at(2100)).map(\.status) == [.dead])
        #expect(node.counted(now: Self.at(2100)) == 0)
    }

    @Test func echoRepliesThatAreNotOursAreNotConsumed() {
        var node = Self.arbitration("n1", targets: [PingNodes.Target(name: "grp", isGroup: true)])
        node.start(now: Self.at(0))
        #expect(node.echoReply(Self.echo("10.9.9.9"), now: Self.at(1)) == nil)
        #expect(node.echoReply(Message(("t", "status"), ("src", "grp")), now: Self.at(1)) == nil)
        // A group's payload says info=ping_group; a plain ping reply under its name does not count.
        _ = node.echoReply(Self.echo("grp"), now: Self.at(1))
        #expect(node.counted(now: Self.at(1)) == 0)
        _ = node.echoReply(Self.echo("grp", info: "ping_group"), now: Self.at(2))
        #expect(node.counted(now: Self.at(2)) == 1)
    }

    @Test func neverAnsweringPingNodeIsDeadAfterDeadpingFromStart() {
        var node = Self.arbitration("n1")
        node.start(now: Self.at(0))
        #expect(!node.pings.settled)
        _ = node.tick(now: Self.at(2000), stable: true)
        #expect(node.pings.settled)
        #expect(node.pings.snapshots(now: Self.at(2000)).map(\.status) == [.dead])
    }

    // MARK: Decisions

    /// Heartbeat links up, n1 lost its ping node, n2 still reaches it: n1 gives everything to n2
    /// through the standby protocol, with ipfail's exact messages.
    @Test func nodeThatLostThePingNodeGivesItsGroupsToThePeer() throws {
        var n1 = Self.running("n1")
        var n2 = Self.running("n2")
        _ = n2.echoReply(Self.echo(), now: Self.at(2000))
        // n1 hears nothing after 100 ms: dead at 2100 ms, and it asks n2.
        let lost = n1.tick(now: Self.at(2100), stable: true)
        let ask = try required(Self.sent(lost).first)
        #expect(ask.fields.map(\.name) == ["t", "num_ping", "dest", "from_id", "to_id"])
        #expect(ask["t"] == "num_ping_nodes" && ask["num_ping"] == "0" && ask["dest"] == "n2")
        #expect(ask["from_id"] == "ipfail" && ask["to_id"] == "ipfail")
        // n2 sees more ping nodes: it tells n1 it is dead.
        let answer = try required(n2.peerMessage(Self.from("n1", ask), now: Self.at(2110)))
        let youAreDead = try required(Self.sent(answer).first)
        #expect(youAreDead["t"] == "you_are_dead" && youAreDead["dest"] == "n1")
        #expect(Self.logs(answer).contains("Telling other node that we have more visible ping nodes."))
        // n1 gives up all after 2 × keepalive, not before.
        let told = try required(n1.peerMessage(Self.from("n2", youAreDead), now: Self.at(2120)))
        #expect(Self.logs(told).contains("Giving up because we were told that we have less ping nodes."))
        #expect(!n1.tick(now: Self.at(3000), stable: true).contains(.giveUp(.all)))
        // Still in transition: it waits.
        #expect(!n1.tick(now: Self.at(3120), stable: false).contains(.giveUp(.all)))
        #expect(n1.tick(now: Self.at(3620), stable: true).contains(.giveUp(.all)))
    }

    /// Our count against theirs in every order: more → you_are_dead, fewer → give up, equal → abort.
    @Test func countsCompareLikeIpfail() throws {
        var n2 = Self.running("n2")
        let fewer = try required(n2.peerMessage(Message(("t", "num_ping_nodes"), ("src", "n1"), ("num_ping", "2")), now: Self.at(200)))
        #expect(Self.logs(fewer).contains("Giving up because we have less visible ping nodes."))
        #expect(n2.scheduledGiveUp == .all)
        let equal = try required(n2.peerMessage(Message(("t", "num_ping_nodes"), ("src", "n1"), ("num_ping", "1")), now: Self.at(300)))
        #expect(Self.sent(equal).map { $0["t"] } == ["abort_giveup"])
        #expect(n2.scheduledGiveUp == nil, "balanced counts abort the pending giveup")
        #expect(!n2.tick(now: Self.at(5000), stable: true).contains(.giveUp(.all)))
        let malformed = try required(n2.peerMessage(Message(("t", "num_ping_nodes"), ("src", "n1"), ("num_ping", "x")), now: Self.at(400)))
        #expect(Self.sent(malformed).isEmpty && n2.scheduledGiveUp == nil)
    }

    /// An abort_giveup that answers an old count of ours (a late or duplicated num_ping_nodes) while
    /// the partner's last count is above ours: we ask once more with the current count, and its
    /// you_are_dead gives our groups up (found by the sweep: seed 7073 held them until a ping node
    /// came back). A second stale abort asks nothing more.
    @Test func staleAbortWhileBehindAsksAgain() throws {
        var n1 = Self.running("n1")
        _ = try required(n1.peerMessage(Message(("t", "num_ping_nodes"), ("src", "n2"), ("num_ping", "2")), now: Self.at(200)))
        #expect(n1.scheduledGiveUp == .all)
        let abort = try required(n1.peerMessage(Message(("t", "abort_giveup"), ("src", "n2")), now: Self.at(300)))
        #expect(n1.scheduledGiveUp == nil)
        let ask = try required(Self.sent(abort).first)
        #expect(ask["t"] == "num_ping_nodes" && ask["num_ping"] == "1" && ask["dest"] == "n2")
        let again = try required(n1.peerMessage(Message(("t", "abort_giveup"), ("src", "n2")), now: Self.at(350)))
        #expect(Self.sent(again).isEmpty, "one re-ask per count the partner sent")
        _ = try required(n1.peerMessage(Message(("t", "you_are_dead"), ("src", "n2")), now: Self.at(400)))
        #expect(n1.tick(now: Self.at(1500), stable: true).contains(.giveUp(.all)))
        // Level counts: an abort asks nothing.
        var n2 = Self.running("n2")
        _ = n2.peerMessage(Message(("t", "num_ping_nodes"), ("src", "n1"), ("num_ping", "1")), now: Self.at(200))
        let level = try required(n2.peerMessage(Message(("t", "abort_giveup"), ("src", "n1")), now: Self.at(300)))
        #expect(Self.sent(level).isEmpty)
    }

    /// Both lost the ping nodes, or both reach them: nobody moves.
    @Test func balancedCountsMoveNothing() throws {
        for bothLost in [false, true] {
            var n1 = Self.running("n1")
            var n2 = Self.running("n2")
            var fromN1: [Message] = []
            var fromN2: [Message] = []
            if bothLost {
                fromN1 = Self.sent(n1.tick(now: Self.at(2100), stable: true))
                fromN2 = Self.sent(n2.tick(now: Self.at(2100), stable: true))
                #expect(fromN1.first?["num_ping"] == "0" && fromN2.first?["num_ping"] == "0")
            } else {
                fromN1 = Self.sent(n1.linkDead(now: Self.at(1000)))
                #expect(fromN1.first?["num_ping"] == "1")
            }
            var effects: [Arbitration.Effect] = []
            for message in fromN1 { effects += n2.peerMessage(Self.from("n1", message), now: Self.at(2200)) ?? [] }
            for message in fromN2 { effects += n1.peerMessage(Self.from("n2", message), now: Self.at(2200)) ?? [] }
            for message in Self.sent(effects) where message["dest"] == "n1" {
                #expect(message["t"] == "abort_giveup")
                _ = n1.peerMessage(Self.from("n2", message), now: Self.at(2300))
            }
            #expect(n1.scheduledGiveUp == nil && n2.scheduledGiveUp == nil)
            let later = n1.tick(now: Self.at(9000), stable: true) + n2.tick(now: Self.at(9000), stable: true)
            #expect(!later.contains { if case .giveUp = $0 { true } else { false } })
            #expect(!later.contains(.releaseAll))
        }
    }

    /// With auto_failback on, balanced counts send foreign groups home (ipfail's failback).
    @Test func balancedWithAutoFailbackGivesUpForeign() throws {
        var n2 = Self.running("n2", autoFailback: true)
        _ = n2.echoReply(Self.echo(), now: Self.at(1000))
        _ = try required(n2.peerMessage(Message(("t", "num_ping_nodes"), ("src", "n1"), ("num_ping", "1")), now: Self.at(1000)))
        #expect(n2.scheduledGiveUp == .foreign)
        // A second balanced count (3.0.6's ipfail may send two) keeps the foreign giveup.
        _ = try required(n2.peerMessage(Message(("t", "num_ping_nodes"), ("src", "n1"), ("num_ping", "1")), now: Self.at(1100)))
        #expect(n2.scheduledGiveUp == .foreign)
        #expect(n2.tick(now: Self.at(2100), stable: true).contains(.giveUp(.foreign)))
    }

    /// The peer is declared dead while no ping node answers: we are probably the isolated one. Its
    /// groups are not taken and ours are released; once a ping node answers again (after the
    /// hold-down) we take the dead peer's groups.
    @Test func isolatedNodeNeitherTakesNorKeepsGroupsUntilAPingNodeAnswers() throws {
        var n1 = Self.running("n1")
        _ = n1.tick(now: Self.at(2100), stable: true)   // ping node dead
        let death = n1.peerDied("n2", now: Self.at(2500))
        #expect(death.deferred)
        #expect(death.effects.contains(.releaseAll))
        #expect(Self.logs(death.effects).contains { $0.contains("probably the isolated one") })
        #expect(n1.isolated && n1.deferredDeaths == ["n2"])
        // The ping node answers again: it counts only after the hold-down (2 × deadping).
        let back = try required(n1.echoReply(Self.echo(), now: Self.at(5000)))
        #expect(!back.contains(.nodeDead("n2")))
        _ = n1.echoReply(Self.echo(), now: Self.at(6500))
        _ = n1.echoReply(Self.echo(), now: Self.at(8000))
        #expect(n1.counted(now: Self.at(8999)) == 0)
        #expect(n1.nextDeadline(now: Self.at(8000)) == Self.at(5000 + 4000), "the hold-down's end is a deadline")
        let counted = n1.tick(now: Self.at(9000), stable: true)
        #expect(counted.contains(.nodeDead("n2")))
        #expect(!n1.isolated && n1.deferredDeaths.isEmpty)
    }

    /// Sites that want a survivor to take over even when the ping nodes are gone turn the guard off.
    @Test func isolationGuardOffTakesOverAsBefore() {
        var n1 = Self.running("n1", guardOn: false)
        _ = n1.tick(now: Self.at(2100), stable: true)
        let death = n1.peerDied("n2", now: Self.at(2500))
        #expect(!death.deferred && death.effects.isEmpty)
    }

    /// A reachable ping node: a dead peer is taken over at once.
    @Test func peerDeathWithPingNodeReachableIsNotDeferred() {
        var n1 = Self.running("n1")
        _ = n1.echoReply(Self.echo(), now: Self.at(2000))
        #expect(!n1.peerDied("n2", now: Self.at(2500)).deferred)
    }

    /// Heartbeats stop (every peer silent for the threshold) and no ping node answers: release at
    /// once, before the peer's deadtime ends and it takes over. Heard again: resume, carefully.
    @Test func silentPeerAndNoPingNodeReleasesBeforeThePeersDeadtime() {
        var n1 = Self.running("n1")
        #expect(!n1.tick(now: Self.at(2100), stable: true, silentPeers: []).contains(.releaseAll))
        #expect(n1.watchesSilence(now: Self.at(2100)))
        #expect(n1.tick(now: Self.at(2200), stable: true, silentPeers: ["n2"]).contains(.releaseAll))
        #expect(n1.tick(now: Self.at(2300), stable: true, silentPeers: []).contains(.resumeHeard))
        #expect(Arbitration.silenceThreshold(warntime: .milliseconds(600), deadtime: .seconds(1)) == .milliseconds(800))
    }

    /// A ping node that flaps faster than deadping never changes the count: no message, no move.
    /// One that is lost for longer counts again only after answering for the whole hold-down.
    @Test func flappingPingNodeDoesNotBounceGroups() {
        var n1 = Self.running("n1")
        var effects: [Arbitration.Effect] = []
        // Answers every 1.5 s (deadping 2 s) for a minute: never dead.
        var t: Int64 = 1600
        while t < 60_000 {
            effects += n1.tick(now: Self.at(t), stable: true)
            effects += n1.echoReply(Self.echo(), now: Self.at(t)) ?? []
            t += 1500
        }
        #expect(Self.sent(effects).isEmpty)
        // Now 3 s silent, 1 s answering, repeatedly: dead each time, and never counted again,
        // since no run of answers lasts the hold-down (4 s).
        var counts: Set<Int> = []
        for cycle in 0..<10 {
            let base = t + Int64(cycle) * 4000
            for step in stride(from: Int64(0), to: 3000, by: 250) {
                effects = n1.tick(now: Self.at(base + step), stable: true)
                // The first silence needs deadping before the node is dead; from then on it never counts.
                if cycle > 0 { counts.insert(n1.counted(now: Self.at(base + step))) }
            }
            for step in stride(from: Int64(3000), to: 4000, by: 250) {
                _ = n1.echoReply(Self.echo(), now: Self.at(base + step))
                _ = n1.tick(now: Self.at(base + step), stable: true)
                if cycle > 0 { counts.insert(n1.counted(now: Self.at(base + step))) }
            }
        }
        #expect(counts == [0], "a flapping ping node is never counted back")
    }

    @Test func arbitrationOffTracksPingNodesButDecidesNothing() throws {
        var node = Arbitration(config: ArbitrationConfig(
            localNode: "n1", nodes: ["n1", "n2"], pingTargets: [PingNodes.Target(name: Self.ping, isGroup: false)],
            deadping: Self.deadping, keepalive: Self.keepalive, enabled: false, autoFailback: true))
        node.start(now: Self.at(0))
        _ = node.echoReply(Self.echo(), now: Self.at(100))
        _ = node.communicationsUp(liveNodes: ["n1", "n2"], now: Self.at(150))
        #expect(Self.sent(node.tick(now: Self.at(2100), stable: true)).isEmpty)
        #expect(!node.peerDied("n2", now: Self.at(2200)).deferred)
        let ignored = try required(node.peerMessage(Message(("t", "you_are_dead"), ("src", "n2")), now: Self.at(2300)))
        #expect(ignored.isEmpty && node.scheduledGiveUp == nil)
    }

    // MARK: Configuration

    @Test func respawnIpfailLineEnablesBuiltInArbitration() {
        let ipfail = RespawnEntry(user: "hacluster", command: "/usr/libexec/heartbeat/ipfail", path: "/usr/libexec/heartbeat/ipfail", failfast: false)
        let other = RespawnEntry(user: "root", command: "/usr/bin/mon", path: "/usr/bin/mon", failfast: false)
        #expect(ipfail.isBuiltInArbitration)
        #expect(!other.isBuiltInArbitration)
        #expect(!RespawnEntry(user: "root", command: "/x/ipfail", path: "/x/ipfail", failfast: true).isBuiltInArbitration)
    }
}
