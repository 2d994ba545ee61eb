import Testing
@testable import HeartbeatCore

/// a, started, with b heard (status seq 1, generation 5, dt 60 s) and links up.
func driverHearingB(maxRexmitDelay: Duration = .milliseconds(250)) -> Driver {
    var a = Driver(testConfig("a", maxRexmitDelay: maxRexmitDelay))
    a.handle(.start, at: at(0))
    a.receive(peerStatus("b", seq: 1, dt: 60_000), at: at(100))
    a.advance(to: at(1000))
    return a
}

/// A request from a to b for `first`…`last` (decimal, as on the wire).
func rexmitRequest(_ first: UInt64, _ last: UInt64? = nil) -> Message {
    Message(("t", "NS_rexmit"), ("dest", "b"), ("firstseq", String(first)), ("lastseq", String(last ?? first)),
            ("src", "a"), ("hg", "5"))
}

@Suite struct MembershipReliabilityTests {
    @Test func replayOfALowerGenerationIsDroppedAndLogged() {
        var a = driverHearingB()
        a.receive(peerMessage("b", seq: 2, hg: 5, ("t", "x")), at: at(1100))
        let effects = a.receive(peerMessage("b", seq: 3, hg: 4, ("t", "x")), at: at(1200))
        #expect(effects.logLines == ["ERROR: should_drop_message: attempted replay attack [b]? [gen = 4, curgen = 5]"])
        #expect(effects.delivered.isEmpty)
        #expect(a.membership.rejectedCounts[.replay] == 1)
    }

    @Test func badSequenceNumbersAreDropped() {
        var a = driverHearingB()
        for seq in ["0", "zz", ""] {
            var message = peerMessage("b", seq: nil, hg: 5, ("t", "x"))
            message["seq"] = seq
            #expect(a.receive(message, at: at(1100)).delivered.isEmpty)
        }
        #expect(a.receive(peerMessage("b", seq: nil, hg: 5, ("t", "x")), at: at(1100)).delivered.isEmpty)
        #expect(a.membership.rejectedCounts[.badSequenceNumber] == 4)
    }

    @Test func messagesForOtherNodesAdvanceTrackingButAreNotDelivered() {
        var a = Driver(testConfig("a", nodes: ["a", "b", "c"]))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 1), at: at(100))
        let toC = a.receive(peerMessage("b", seq: 2, hg: 5, ("t", "x"), ("dest", "c")), at: at(200))
        #expect(toC.delivered.isEmpty)
        var byUUID = peerMessage("b", seq: 3, hg: 5, ("t", "y"))
        byUUID.fields.insert(Field(name: "destuuid", value: .binary(testUUID(UInt8(ascii: "a")))), at: 1)
        byUUID.fields.insert(Field("dest", "c"), at: 1)  // destuuid wins over dest
        let toUs = a.receive(byUUID, at: at(300))
        #expect(toUs.delivered.map(\.type?.rawValue) == ["y"])
        #expect(!toUs.logged("lost packet"))
    }

    @Test func duplicatesOnlyRefreshTheLinkTheyCameOn() {
        var a = Driver(testConfig("a", links: ["eth0", "eth1"]))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 1), link: "eth0", at: at(100))
        let message = peerMessage("b", seq: 2, hg: 5, ("t", "x"))
        #expect(a.receive(message, link: "eth0", at: at(200)).delivered.count == 1)
        let duplicate = a.receive(message, link: "eth1", at: at(201))
        #expect(duplicate.delivered.isEmpty)
        #expect(duplicate.linkChanges == ["b:eth1:up"])
        #expect(a.membership.duplicateCount == 1)
    }

    @Test func gapIsLoggedAndRequestedWithDecimalSeqsUntilRepaired() {
        var a = driverHearingB()
        for seq in UInt64(2)...25 { a.receive(peerMessage("b", seq: seq, hg: 5, ("t", "x")), at: at(1100)) }
        // 26 (0x1a) is lost; 27 (0x1b) arrives.
        let gap = a.receive(peerMessage("b", seq: 27, hg: 5, ("t", "x")), at: at(1200))
        #expect(gap.logLines.contains("WARN: 1 lost packet(s) for [b] [25:27]"))
        #expect(gap.delivered.count == 1)
        #expect(a.membership.node("b")?.missingCount == 1)
        // The first request goes out within [50, 250] ms, then every 250 ms while missing.
        var requests: [(Instant, Message)] = []
        for step in 1...100 {
            let now = at(1200 + Int64(step) * 10)
            for request in a.advance(to: now).sent(type: .retransmitRequest) { requests.append((a.now, request)) }
        }
        #expect(requests.count >= 4)
        let first = requests[0]
        #expect(first.0 >= at(1250) && first.0 <= at(1450))
        #expect(first.1.fields.map(\.name) == ["t", "dest", "firstseq", "lastseq", "destuuid", "src", "srcuuid", "hg"])
        #expect(first.1["dest"] == "b")
        #expect(first.1["firstseq"] == "26")
        #expect(first.1["lastseq"] == "26")
        #expect(first.1["seq"] == nil)
        #expect(zip(requests, requests.dropFirst()).allSatisfy { $1.0 - $0.0 == .milliseconds(250) })
        // The retransmission fills the hole and stops the requests.
        let fill = a.receive(peerMessage("b", seq: 26, hg: 5, ("t", "x")), at: at(2300))
        #expect(fill.delivered.count == 1)
        #expect(fill.logLines.contains("info: No pkts missing from b!"))
        #expect(a.advance(to: at(4000)).sent(type: .retransmitRequest).isEmpty)
    }

    @Test func wideGapResetsTrackingInsteadOfRequesting() {
        var a = driverHearingB()
        let effects = a.receive(peerMessage("b", seq: 300, hg: 5, ("t", "x")), at: at(1100))
        #expect(effects.logLines == ["WARN: 298 lost packet(s) for [b] [1:300]", "ERROR: lost a lot of packets!"])
        #expect(effects.delivered.count == 1)
        #expect(a.advance(to: at(3000)).sent(type: .retransmitRequest).isEmpty)
        #expect(a.receive(peerMessage("b", seq: 301, hg: 5, ("t", "x")), at: at(3000)).delivered.count == 1)
    }

    @Test func noRequestsToADeadPeer() {
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 1, dt: 3000), at: at(100))
        a.receive(peerMessage("b", seq: 3, hg: 5, ("t", "x")), at: at(200))
        a.advance(to: at(3100))
        #expect(a.membership.node("b")?.status == .dead)
        #expect(a.advance(to: at(10_000)).sent(type: .retransmitRequest).isEmpty)
    }

    @Test func lostMessageIsRetransmittedIdenticallyAcrossTheNetwork() throws {
        var cluster = activePair()
        // Drop it on its way to a; b's next heartbeat reveals the gap.
        cluster.fault = { from, to, _, message, _ in
            from == "b" && to == "a" && message.type?.rawValue == "hello" ? [] : [.milliseconds(1)]
        }
        let sentAt = cluster.now
        cluster.sendClient("b", Message(("t", "hello"), ("x", "1")))
        let original = try #require(cluster.effects("b").sent(type: MessageType(rawValue: "hello")).first)
        cluster.run(until: sentAt + .milliseconds(10))
        cluster.fault = { _, _, _, _, _ in [.milliseconds(1)] }
        cluster.run(until: sentAt + .seconds(3))
        let seq = try #require(UInt64(original["seq"]!, radix: 16))
        let requests = cluster.effects("a", after: sentAt).sent(type: .retransmitRequest)
        #expect(requests.first?["firstseq"] == String(seq))
        #expect(cluster.effects("b", after: sentAt).resent == [original])
        let delivered = cluster.effects("a", after: sentAt).delivered
        #expect(delivered == [original])
    }

    @Test func senderAnswersRequestsByTheRules() throws {
        var b = Driver(testConfig("b"))
        b.handle(.start, at: at(0))
        b.receive(peerStatus("a", seq: 1), at: at(50))
        var sent: [UInt64: Message] = [:]
        for index in 0..<30 {
            for message in b.handle(.sendClientMessage(Message(("t", "m"), ("i", String(index)))), at: at(100)).sent {
                sent[UInt64(message["seq"]!, radix: 16)!] = message
            }
        }
        let newest = b.membership.lastSequenceSent
        // Newer than anything sent: a warning, nothing resent.
        let tooNew = b.receive(rexmitRequest(newest + 1), at: at(200))
        #expect(tooNew.logLines == ["WARN: Rexmit of seq \(newest + 1) requested. \(newest) is max."])
        #expect(tooNew.resent.isEmpty && tooNew.sent.isEmpty)
        // A stored one: resent identically, once per 240 ms.
        let target = newest - 3
        #expect(b.receive(rexmitRequest(target), at: at(300)).resent == [try #require(sent[target])])
        #expect(b.receive(rexmitRequest(target), at: at(539)).resent.isEmpty)
        #expect(b.receive(rexmitRequest(target), at: at(540)).resent == [sent[target]!])
        // At most 50 per request.
        for index in 30..<100 { b.handle(.sendClientMessage(Message(("t", "m"), ("i", String(index)))), at: at(600)) }
        let many = b.receive(rexmitRequest(2, 90), at: at(700))
        #expect(many.resent.count == 50)
        // What a acknowledged is skipped.
        b.receive(Message(("t", "NS_ackmsg"), ("dest", "b"), ("ackseq", String(60, radix: 16)), ("src", "a")), at: at(800))
        #expect(b.receive(rexmitRequest(60), at: at(1200)).resent.isEmpty)
        #expect(b.receive(rexmitRequest(61), at: at(1200)).resent.count == 1)
    }

    @Test func hostileRequestRangesAreBoundedAndMalformedOnesDropped() {
        var b = Driver(testConfig("b"))
        b.handle(.start, at: at(0))
        let huge = b.receive(rexmitRequest(UInt64.max - 3, UInt64.max), at: at(100))
        #expect(huge.logLines.last == "WARN: Rexmit of seq \(UInt64.max - 3) requested. 1 is max.")
        let wide = b.receive(rexmitRequest(1, 1_000_000), at: at(100))
        #expect(wide.resent.count == 1)
        var garbage = rexmitRequest(1)
        garbage["firstseq"] = "1a"
        #expect(b.receive(garbage, at: at(100)).isEmpty)
        #expect(b.membership.rejectedCounts[.malformed] == 1)
    }

    @Test func requestOlderThanTheHistoryIsNakedAndTheRequesterGivesUp() throws {
        var b = Driver(testConfig("b"))
        b.handle(.start, at: at(0))
        b.receive(peerStatus("a", seq: 1), at: at(50))  // now b knows a's UUID
        for index in 0..<600 { b.handle(.sendClientMessage(Message(("t", "m"), ("i", String(index)))), at: at(100)) }
        let effects = b.receive(rexmitRequest(5), at: at(200))
        let nak = try #require(effects.sent(type: .retransmitRefused).first)
        #expect(nak.fields.map(\.name) == ["t", "firstseq", "dest", "info", "destuuid", "src", "srcuuid", "hg"])
        #expect(nak["firstseq"] == "5")
        #expect(nak["dest"] == "a")
        #expect(nak["info"] == "seqno too low")

        // The requesting side: the NAK removes the seq from its missing list.
        var a = driverHearingB()
        a.receive(peerMessage("b", seq: 3, hg: 5, ("t", "x")), at: at(1100))
        var incoming = Message(("t", "NS_nak_rexmit"), ("firstseq", "2"), ("dest", "a"), ("info", "seqno too low"))
        incoming.fields += [Field("src", "b"), Field("hg", "5")]
        let gaveUp = a.receive(incoming, at: at(1110))
        #expect(gaveUp.logLines == ["ERROR: Irretrievably lost packet: node b seq 2 (seqno too low)", "info: No pkts missing from b!"])
        #expect(a.advance(to: at(3000)).sent(type: .retransmitRequest).isEmpty)
    }

    @Test func acksEveryTenthSeqAndAfterAGapFills() throws {
        var a = driverHearingB()
        var acks: [UInt64] = []
        for seq in UInt64(2)...40 {
            for ack in a.receive(peerMessage("b", seq: seq, hg: 5, ("t", "x")), at: at(1100)).sent(type: .ack) {
                #expect(ack.fields.map(\.name) == ["t", "dest", "ackseq", "destuuid", "src", "srcuuid", "hg"])
                #expect(ack["dest"] == "b")
                acks.append(UInt64(ack["ackseq"]!, radix: 16)!)
            }
        }
        #expect(acks.count >= 3 && acks.count <= 4)
        let trigger = try #require(acks.first) % 10
        #expect(acks.allSatisfy { $0 % 10 == trigger })
        #expect(zip(acks, acks.dropFirst()).allSatisfy { $1 - $0 == 10 })

        // Lose 42; the trigger seqs after it are not ACKed until 42 arrives, then the highest is.
        var held: [UInt64] = []
        for seq in UInt64(41)...65 where seq != 42 {
            held += a.receive(peerMessage("b", seq: seq, hg: 5, ("t", "x")), at: at(1200)).sent(type: .ack).map { UInt64($0["ackseq"]!, radix: 16)! }
        }
        #expect(held.allSatisfy { $0 < 42 })
        let filled = a.receive(peerMessage("b", seq: 42, hg: 5, ("t", "x")), at: at(1300)).sent(type: .ack)
        let expected = (UInt64(56)...65).last { $0 % 10 == trigger }!
        #expect(filled.map { $0["ackseq"] } == [String(expected, radix: 16)])
    }

    @Test func acknowledgedHistoryIsFreedAfterItsMinimumRetention() {
        var b = Driver(testConfig("b"))
        b.handle(.start, at: at(0))
        b.receive(peerStatus("a", seq: 1), at: at(50))
        for index in 0..<40 { b.handle(.sendClientMessage(Message(("t", "m"), ("i", String(index)))), at: at(100)) }
        let sentSoFar = b.membership.lastSequenceSent
        #expect(b.membership.historyCount == Int(sentSoFar))
        b.receive(Message(("t", "NS_ackmsg"), ("dest", "b"), ("ackseq", String(sentSoFar, radix: 16)), ("src", "a")), at: at(200))
        #expect(b.membership.clusterAckedThrough == sentSoFar)
        // Kept for 2.5 s even though acknowledged…
        #expect(b.membership.historyCount == Int(sentSoFar))
        b.receive(peerStatus("a", seq: 2), at: at(1000))
        b.advance(to: at(2599))
        #expect(b.membership.historyCount >= Int(sentSoFar))
        // …then freed.
        b.receive(peerStatus("a", seq: 3), at: at(2600))
        #expect(b.membership.historyCount == Int(b.membership.lastSequenceSent - sentSoFar))
    }

    @Test func historyStaysBoundedUnderTenThousandMessages() throws {
        var b = Driver(testConfig("b"))
        b.handle(.start, at: at(0))
        b.receive(peerStatus("a", seq: 1), at: at(50))  // a alive and never ACKing
        var peak = 0
        for index in 0..<10_000 {
            b.handle(.sendClientMessage(Message(("t", "m"), ("i", String(index)))), at: at(100 + Int64(index / 100)))
            peak = max(peak, b.membership.historyCount)
        }
        #expect(peak == MembershipLimits.historyCapacity)
        let newest = b.membership.lastSequenceSent
        #expect(newest == 10_001)
        let oldestKept = newest - UInt64(MembershipLimits.historyCapacity) + 1
        #expect(b.receive(rexmitRequest(oldestKept), at: at(500)).resent.count == 1)
        #expect(b.receive(rexmitRequest(oldestKept - 1), at: at(500)).sent(type: .retransmitRefused).first?["info"] == "seqno too low")
    }
}
