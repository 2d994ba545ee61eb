import Testing
@testable import HeartbeatCore

@Suite struct MembershipStartupTests {
    @Test func firstStatusIsInitWithExactHeaderFieldsAndStartupDeadtime() {
        var a = Driver(testConfig("a", generation: 0x2a))
        let effects = a.handle(.start, at: at(0))
        let status = effects.sent
        #expect(status.count == 1)
        let message = status[0]
        #expect(message.fields.map(\.name) == ["t", "st", "dt", "protocol", "src", "srcuuid", "seq", "hg"])
        #expect(message["t"] == "status")
        #expect(message["st"] == "init")
        #expect(message["dt"] == String(12_000, radix: 16))  // deadtime 10 s + 2000 ms
        #expect(message["protocol"] == "1")
        #expect(message["src"] == "a")
        #expect(message.binary("srcuuid") == testUUID(UInt8(ascii: "a")))
        #expect(message["seq"] == "1")
        #expect(message["hg"] == "2a")
        #expect(a.membership.localStatus == .initial)
        #expect(a.membership.nextDeadline == at(1000))
    }

    @Test func initThenUpTwiceThenOneStatusPerKeepalive() {
        var a = Driver(testConfig("a"))
        var statuses: [(Instant, String, String)] = []
        func note(_ effects: [MembershipEffect], _ now: Instant) {
            for message in effects.sent(type: .status) { statuses.append((now, message["st"]!, message["dt"]!)) }
        }
        note(a.handle(.start, at: at(0)), at(0))
        var upLog = false
        for second in 1...7 {
            let effects = a.advance(to: at(Int64(second) * 1000))
            upLog = upLog || effects.logLines.contains("info: Local status now set to: 'up'")
            note(effects, a.now)
        }
        #expect(upLog)
        let bonus = String(12_000, radix: 16), plain = String(10_000, radix: 16)
        #expect(statuses.map(\.1) == ["init", "up", "up", "up", "up", "up", "up", "up", "up"])
        #expect(statuses.map(\.0) == [at(0), at(1000), at(1000), at(2000), at(3000), at(4000), at(5000), at(6000), at(7000)])
        #expect(statuses.map(\.2) == [bonus, bonus, bonus, bonus, bonus, bonus, plain, plain, plain])
        // Sequence numbers count every status.
        #expect(a.membership.lastSequenceSent == 9)
    }

    @Test func twoNodesReachActiveThroughReqnodesAndRepnodes() {
        var cluster = SimCluster(["a", "b"])
        cluster.start("a", at: at(0))
        cluster.start("b", at: at(300))
        cluster.run(until: at(4000))
        for name in ["a", "b"] {
            let m = cluster.members[name]!
            #expect(m.localStatus == .active, "\(name)")
            #expect(m.communicationState == .up)
            #expect(cluster.effects(name).contains(.commsUp))
            #expect(cluster.effects(name).logged("info: Comm_now_up(): updating status to active"))
            #expect(cluster.effects(name).logged("info: Local status now set to: 'active'"))
        }
        // a comes up first and asks b; b answers with the exact repnodes.
        let request = cluster.effects("a").sent(type: .nodeListRequest)
        #expect(request.count == 1)
        #expect(request.first?.fields.map(\.name) == ["t", "dest", "destuuid", "src", "srcuuid", "seq", "hg"])
        #expect(request.first?["dest"] == "b")
        #expect(request.first?.binary("destuuid") == testUUID(UInt8(ascii: "b")))
        let reply = cluster.effects("b").sent(type: .nodeList).first
        #expect(reply?.fields.map(\.name) == ["dest", "t", "nodelist", "delnodelist", "destuuid", "src", "srcuuid", "seq", "hg"])
        #expect(reply?["dest"] == "a")
        #expect(reply?["nodelist"] == "a b ")
        #expect(reply?["delnodelist"] == " ")
        let view = cluster.members["a"]!.node("b")!
        #expect(view.status == .active)
        #expect(view.links.map(\.status) == [.up])
        #expect(cluster.effects("a").logged("info: Link b:eth0 up."))
        #expect(cluster.effects("a").logged("info: Link a:eth0 up."))  // our own packets came back
        #expect(cluster.effects("a").logged("info: Status update for node b: status up"))
    }

    @Test func threeNodesReachActiveThroughLossDuplicationAndReordering() {
        var cluster = SimCluster(["a", "b", "c"])
        cluster.fault = { from, to, _, _, number in
            guard from != to else { return [.milliseconds(1)] }
            switch number % 7 {
            case 0: return []                                           // lost
            case 3: return [.milliseconds(2), .milliseconds(9)]         // duplicated
            case 5: return [.milliseconds(40)]                          // overtaken by later ones
            default: return [.milliseconds(1)]
            }
        }
        cluster.start("a", at: at(0))
        cluster.start("b", at: at(100))
        cluster.start("c", at: at(1700))
        cluster.run(until: at(15_000))
        for name in ["a", "b", "c"] {
            let m = cluster.members[name]!
            #expect(m.localStatus == .active, "\(name)")
            #expect(m.nodes.allSatisfy { $0.status == .active }, "\(name)")
            #expect(!cluster.effects(name).statusChanges.contains { $0.hasSuffix("->dead") }, "\(name)")
            #expect(m.duplicateCount > 0)
        }
        // Losses were noticed and repaired by retransmission.
        let requests = cluster.names.flatMap { cluster.effects($0).sent(type: .retransmitRequest) }
        let resends = cluster.names.flatMap { cluster.effects($0).resent }
        #expect(!requests.isEmpty)
        #expect(!resends.isEmpty)
    }

    @Test(arguments: [4, 5, 6, 8, 9, 11, 13, 17])
    func lossyNetworksNeverCauseSpuriousDeathsAndEveryGapIsRepaired(pattern: Int) {
        var cluster = SimCluster(["a", "b", "c"], links: ["eth0", "eth1"])
        cluster.fault = { from, to, link, _, number in
            guard from != to else { return [.milliseconds(1)] }
            if number % pattern == 0 { return [] }
            if number % (pattern + 2) == 1 { return [.milliseconds(3), .milliseconds(30)] }
            return link == "eth1" ? [.milliseconds(Int64(number % 50))] : [.milliseconds(2)]
        }
        cluster.start("a", at: at(0))
        cluster.start("b", at: at(700))
        cluster.start("c", at: at(2100))
        cluster.run(until: at(30_000))
        for name in cluster.names {
            let m = cluster.members[name]!
            #expect(m.localStatus == .active, "pattern \(pattern), \(name)")
            #expect(m.nodes.allSatisfy { $0.status == .active }, "pattern \(pattern), \(name)")
            #expect(!cluster.effects(name).logged("is dead"), "pattern \(pattern), \(name)")
            #expect(!cluster.effects(name).logged("Irretrievably lost"), "pattern \(pattern), \(name)")
            #expect(m.rejectedCounts[.replay] == nil && m.rejectedCounts[.unknownNode] == nil)
            #expect(m.historyCount <= MembershipLimits.historyCapacity)
        }
    }

    @Test func singleNodeClusterGoesActiveAtFirstKeepalive() {
        var a = Driver(testConfig("a", nodes: ["a"]))
        a.handle(.start, at: at(0))
        let effects = a.advance(to: at(1000))
        #expect(a.membership.localStatus == .active)
        #expect(effects.sent(type: .nodeListRequest).isEmpty)
        #expect(effects.contains(.commsUp))
        #expect(effects.statusChanges == ["a:init->up", "a:up->active"])
    }

    @Test func silentPeerIsDeclaredDeadAtInitdeadThenCommsComeUp() {
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        let before = a.advance(to: at(19_999))
        #expect(!before.logged("is dead"))
        #expect(a.membership.node("b")?.deadAt == at(20_000))
        let effects = a.advance(to: at(20_000))
        #expect(effects.logLines.contains("WARN: node b: is dead"))
        #expect(effects.contains(.commsUp))
        #expect(effects.sent(type: .nodeListRequest).isEmpty)
        #expect(a.membership.localStatus == .active)
    }

    @Test func reqnodesIsRetriedEverySecondToTheSameNodeThenTheNextLiveOne() {
        var a = Driver(testConfig("a", nodes: ["a", "b", "c"]))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 1, dt: 3000), at: at(100))
        a.receive(peerStatus("c", seq: 1, dt: 60_000), at: at(200))
        let first = a.advance(to: at(1000))
        #expect(first.sent(type: .nodeListRequest).map { $0["dest"] } == ["b"])
        let retries = a.advance(to: at(3000))
        #expect(retries.sent(type: .nodeListRequest).map { $0["dest"] } == ["b", "b"])
        // b falls silent and dies (its dt is 3 s after links-up); the next retry asks c.
        a.receive(peerStatus("c", seq: 2, dt: 60_000), at: at(3100))
        let later = a.advance(to: at(5000))
        #expect(later.logLines.contains("WARN: node b: is dead"))
        #expect(later.sent(type: .nodeListRequest).map { $0["dest"] } == ["c", "c"])
        // c's reply lists a node we do not know and omits b: warn, keep our list, go active.
        let reply = peerMessage("c", seq: 3, hg: 5, ("dest", "a"), ("t", "repnodes"), ("nodelist", "a c x "), ("delnodelist", " "))
        let effects = a.receive(reply, at: at(5100))
        #expect(effects.logged("WARN: repnodes from c lists node(s) not in our configuration: x; keeping our configured node list"))
        #expect(effects.logged("WARN: repnodes from c omits configured node(s): b; keeping them"))
        #expect(effects.contains(.commsUp))
        #expect(a.membership.nodes.map(\.name) == ["a", "b", "c"])
    }

    @Test func statusWithoutProtocolTurnsFlowControlOff() {
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        let old = peerMessage("b", seq: 1, hg: 5, ("t", "status"), ("st", "active"), ("dt", "2710"))
        let effects = a.receive(old, at: at(100))
        #expect(effects.logLines.contains("info: flow control disabled due to different version heartbeat"))
        #expect(!a.membership.flowControlEnabled)
        let up = a.advance(to: at(1000))
        // No reqnodes step, straight to active, and our status stops advertising `protocol`.
        #expect(up.sent(type: .nodeListRequest).isEmpty)
        #expect(up.contains(.commsUp))
        #expect(up.sent(type: .status).allSatisfy { $0["protocol"] == nil })
        // And no ACKs, whatever the sequence numbers.
        var acks: [Message] = []
        for seq in UInt64(2)...30 {
            acks += a.receive(peerMessage("b", seq: seq, hg: 5, ("t", "x")), at: at(1000 + Int64(seq))).sent(type: .ack)
        }
        #expect(acks.isEmpty)
    }

    @Test func fastRestartingPeerSendingInitIsSimplyUpdated() {
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 1, hg: 5, st: "active"), at: at(100))
        #expect(a.membership.node("b")?.status == .active)
        let effects = a.receive(peerStatus("b", seq: 1, hg: 6, st: "init"), at: at(900))
        #expect(effects.statusChanges == ["b:active->init"])
        #expect(effects.logLines.contains("info: Heartbeat restart on node b"))
        #expect(effects.contains(.peerRestarted(node: "b")))
        #expect(a.membership.node("b")?.generation == 6)
    }

    @Test func unknownNodeIsDroppedAndLoggedAtMostOncePerMinute() {
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        let first = a.receive(peerStatus("mallory", seq: 1), at: at(100))
        let second = a.receive(peerStatus("mallory", seq: 2), at: at(1100))
        a.advance(to: at(61_100))
        let third = a.receive(peerStatus("mallory", seq: 3), at: at(61_100))
        #expect(first.logLines == ["ERROR: bad node [mallory] in message"])
        #expect(second.logLines.isEmpty)
        #expect(third.logLines == ["ERROR: bad node [mallory] in message"])
        #expect(a.membership.rejectedCounts[.unknownNode] == 3)
    }
}

@Suite struct MembershipConfigAgreementTests {
    private func status(from node: String, digest: String?, seq: UInt64) -> Message {
        var message = Message(("t", "status"), ("st", "active"), ("dt", "3e8"), ("protocol", "1"))
        if let digest { message.fields.append(Field("cfgdigest", digest)) }
        message.fields += [Field("src", node), Field("seq", String(seq, radix: 16)), Field("hg", "5")]
        return message
    }

    @Test func statusCarriesOurDigestAndMismatchesAreLoggedOncePerChange() {
        var membership = Membership(config: MembershipConfig(
            localNode: "alice", localUUID: Array(repeating: 1, count: 16), generation: 9, nodes: ["alice", "bob"],
            links: ["eth0"], keepalive: .milliseconds(200), deadtime: .seconds(1), warntime: .milliseconds(500),
            initdead: .seconds(2), configDigest: "0000abcd"))
        let sent = membership.handle(.start, now: .zero)
        let firstStatus = sent.compactMap { if case .send(let m) = $0, m.type == .status { m } else { nil } }.first
        #expect(firstStatus?["cfgdigest"] == "0000abcd")

        func errors(_ effects: [MembershipEffect]) -> [String] {
            effects.compactMap { if case .log(.error, let text) = $0 { text } else { nil } }
        }
        var logged = errors(membership.handle(.received(status(from: "bob", digest: "1234ffff", seq: 1), link: "eth0"), now: .zero + .milliseconds(10)))
        logged += errors(membership.handle(.received(status(from: "bob", digest: "1234ffff", seq: 2), link: "eth0"), now: .zero + .milliseconds(20)))
        #expect(logged.count == 1)
        #expect(logged.first?.hasPrefix("Configuration mismatch: node bob runs haresources/authkeys with digest 1234ffff, node alice has 0000abcd") == true)
        #expect(membership.node("bob")?.configDigest == "1234ffff")
        // A peer that sends no digest (3.0.6) is never reported.
        let silent = errors(membership.handle(.received(status(from: "bob", digest: nil, seq: 3), link: "eth0"), now: .zero + .milliseconds(30)))
        #expect(silent.isEmpty)
    }
}
