import Testing
@testable import HeartbeatCore

/// Genuine packets replayed by a third party (test_flood.sh found both): an older incarnation's
/// packets must neither change what we know about the node nor fill the log.
@Suite struct MembershipHostileTests {
    /// b's packet from an older generation, carrying that incarnation's UUID.
    func oldIncarnationPacket(seq: UInt64) -> Message {
        var message = peerMessage("b", seq: seq, hg: 4, ("t", "status"), ("st", "active"), ("dt", "ea60"))
        message.fields = message.fields.map { $0.name == "srcuuid" ? Field(name: "srcuuid", value: .binary(testUUID(0xEE))) : $0 }
        return message
    }

    @Test func replayedOldIncarnationKeepsTheNodesUUID() {
        var a = driverHearingB()
        let effects = a.receive(oldIncarnationPacket(seq: 7), at: at(1100))
        #expect(!effects.logged("UUID of node"))
        #expect(a.membership.uuid(of: NodeName("b")) == testUUID(UInt8(ascii: "b")))
        // A real restart (a higher generation) still brings its new UUID.
        var restarted = peerStatus("b", seq: 1, hg: 6)
        restarted.fields = restarted.fields.map { $0.name == "srcuuid" ? Field(name: "srcuuid", value: .binary(testUUID(0x42))) : $0 }
        #expect(a.receive(restarted, at: at(1200)).logged("UUID of node b changed"))
        #expect(a.membership.uuid(of: NodeName("b")) == testUUID(0x42))
    }

    @Test func aReplayFloodLogsOneLineAMinutePerNodeAndCountsEveryPacket() {
        var a = driverHearingB()
        var lines = 0
        for index in 0..<1000 {
            let effects = a.receive(oldIncarnationPacket(seq: UInt64(index + 1)), at: at(1100 + Int64(index)))
            lines += effects.logLines.filter { $0.contains("attempted replay attack") }.count
        }
        #expect(lines == 1)
        #expect(a.membership.rejectedCounts[.replay] == 1000)
        #expect(a.receive(oldIncarnationPacket(seq: 5000), at: at(62_200)).logged("attempted replay attack [b]"))
        #expect(a.membership.nodes.first { $0.name == "b" }?.status == .active)
    }
}
