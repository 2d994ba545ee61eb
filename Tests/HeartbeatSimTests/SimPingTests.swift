import HeartbeatCore
import HeartbeatSim
import Testing

/// Ping nodes and arbitration on the simulator: whole nodes (membership, resources, arbitration)
/// exchanging real messages, with per-node ping reachability.
@Suite struct SimPingTests {
    static func config(_ mode: AutoFailback = .on) -> SimConfig {
        var config = SimConfig(nodeCount: 2, links: ["eth0"], autoFailback: mode)
        config.pingNodes = 1
        config.arbitration = true
        return config
    }

    static func booted(_ config: SimConfig) -> Simulator {
        var sim = Simulator(config: config, seed: 7)
        for index in 0..<config.nodeCount { sim.start(index) }
        sim.run(for: config.initdead + config.settleTime)
        sim.checkSettled()
        return sim
    }

    static func waitFor(_ sim: inout Simulator, within limit: Duration, _ done: (Simulator) -> Bool) -> Duration? {
        let start = sim.now
        while sim.now - start <= limit {
            if done(sim) { return sim.now - start }
            sim.run(for: .milliseconds(10))
        }
        return nil
    }

    /// node1 loses the ping node: both groups end on node2 within deadping + giveup + standby;
    /// with auto_failback on, g1 returns once the ping node counts again.
    @Test(arguments: [AutoFailback.on, .off])
    func lostPingMovesGroupsToThePeer(mode: AutoFailback) {
        let config = Self.config(mode)
        var sim = Self.booted(config)
        #expect(sim.owners(ofGroup: 0) == [0])
        sim.losePing(0)
        let bound = config.deadping + config.keepalive * 4 + config.settleTime
        let moved = Self.waitFor(&sim, within: bound) { $0.owners(ofGroup: 0) == [1] && $0.holders(ofGroup: 0) == [1] }
        #expect(moved != nil, "g1 not moved to node2 within \(bound)\n\(sim.traceLines.joined(separator: "\n"))")
        #expect(sim.owners(ofGroup: 1) == [1])
        sim.restorePing(0)
        sim.run(for: config.deadping * 3 + config.settleTime)
        sim.checkSettled()
        #expect(sim.owners(ofGroup: 0) == (mode == .on ? [0] : [1]))
        #expect(sim.violation == nil, "\(sim.violation.map(String.init(describing:)) ?? "")")
    }

    /// Both lose the ping node: nobody moves.
    @Test func bothLosePingNothingMoves() {
        let config = Self.config()
        var sim = Self.booted(config)
        sim.losePing(0)
        sim.losePing(1)
        sim.run(for: config.deadping * 4 + config.settleTime)
        #expect(sim.owners(ofGroup: 0) == [0] && sim.owners(ofGroup: 1) == [1])
        #expect(sim.violation == nil, "\(sim.violation.map(String.init(describing:)) ?? "")")
    }

    /// node1 is cut off from everything: it releases, node2 takes both groups, and they never ran
    /// twice after node1's release (the invariant checks it at every step).
    @Test func isolatedNodeReleasesAndThePeerTakesOver() {
        let config = Self.config()
        var sim = Self.booted(config)
        sim.losePing(0)
        sim.partition([[0], [1]])
        sim.run(for: config.deadping + config.deadtime + config.settleTime)
        #expect(sim.holders(ofGroup: 0) == [1] && sim.holders(ofGroup: 1) == [1],
                "\(sim.traceLines.joined(separator: "\n"))")
        sim.heal()
        sim.restorePing(0)
        sim.run(for: config.deadping * 3 + config.settleTime)
        sim.checkSettled()
        #expect(sim.owners(ofGroup: 0) == [0])
        #expect(sim.violation == nil, "\(sim.violation.map(String.init(describing:)) ?? "")")
    }
}
