import HeartbeatCore
import HeartbeatSim
import Testing

/// The simulated wire with authentication, and the simulator at scale.
@Suite struct SimWireTests {
    static let key = AuthKeys(AuthKey(slot: 1, method: .sha1, secret: Array("right".utf8)))
    static let wrongKey = AuthKeys(AuthKey(slot: 1, method: .sha1, secret: Array("wrong".utf8)))

    static func authenticated(autoFailback: AutoFailback = .on) -> SimConfig {
        var config = SimConfig(nodeCount: 2, autoFailback: autoFailback)
        config.authKeys = key
        return config
    }

    /// Signed and authenticated packets carry the same protocol: the cluster boots and fails
    /// over as it does with messages passed as values, and nothing is rejected.
    @Test func signedWireBootsAndFailsOver() {
        let config = Self.authenticated()
        var sim = SimScenarioTests.booted(config)
        #expect(sim.owners(ofGroup: 0) == [0])
        #expect(sim.owners(ofGroup: 1) == [1])
        sim.crash(0)
        let took = SimScenarioTests.waitFor(&sim, within: SimScenarioTests.takeoverBound(config) + MembershipLimits.startupDeadtimeBonus) {
            $0.owners(ofGroup: 0) == [1]
        }
        #expect(took != nil)
        #expect(sim.rejectedPackets.isEmpty)
        #expect(sim.violation == nil)
    }

    /// A forged shutdone (node1 is leaving, take its groups) signed with another key, and the
    /// same packet correctly signed but corrupted in flight, are rejected by `Wire.decode` as the
    /// daemon rejects them: node2 takes nothing over. The same message correctly signed is accepted.
    @Test func forgedAndCorruptedPacketsAreRejected() {
        let config = Self.authenticated()
        var sim = SimScenarioTests.booted(config)
        let shutdone = Message(("t", "shutdone"), ("st", "dead"), ("src", "node1"), ("info", "shutdown"))
        sim.inject(sim.forgedPacket(shutdone, keys: Self.wrongKey), from: 0, to: 1)
        var corrupted = sim.forgedPacket(shutdone, keys: Self.key)
        corrupted[corrupted.count / 3] ^= 0x20
        sim.inject(corrupted, from: 0, to: 1)
        sim.run(for: config.settleTime)
        #expect(sim.rejectedPackets.values.reduce(0, +) == 2, "\(sim.rejectedPackets)")
        #expect(sim.owners(ofGroup: 0) == [0])
        #expect(sim.holders(ofGroup: 0) == [0])

        sim.inject(sim.forgedPacket(Message(("t", "NS_ackmsg"), ("src", "node1"), ("dest", "node2"), ("ackseq", "1")),
                                     keys: Self.key), from: 0, to: 1)
        sim.run(for: .milliseconds(100))
        #expect(sim.rejectedPackets.values.reduce(0, +) == 2, "a correctly signed packet was rejected: \(sim.rejectedPackets)")
        #expect(sim.violation == nil)
    }

    /// Many nodes (64 in `make sim-sweep`, release; 12 here, where debug builds are slow):
    /// membership converges and a death is seen by every other node within deadtime.
    @Test func manyNodes() {
        let result = ScaleRun.run(nodes: 12)
        #expect(result.problems.isEmpty, "\(result.problems)")
        #expect(result.steps > 12 * 11 * 20)
    }
}
