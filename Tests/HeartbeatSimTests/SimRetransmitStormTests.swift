import HeartbeatCore
import Testing
@testable import HeartbeatSim

/// The storm a 16-node bench run showed: nodes starved for seconds miss each other's messages and
/// ask for each missing one again and again (one `NS_rexmit` per seq, every `max_rexmit_delay`).
/// Once the starvation ends, every request must be answered or refused and the traffic must fall
/// back to what the idle cluster sends. (12 nodes: the debug build makes 16 slow.)
struct SimRetransmitStormTests {
    @Test func retransmissionsEndWhenStarvationEnds() {
        let count = 12
        let config = SimConfig(nodeCount: count, keepalive: .milliseconds(200), deadtime: .seconds(2))
        var sim = Simulator(config: config, seed: 16)
        for index in 0..<count { sim.start(index) }
        sim.run(for: config.initdead + MembershipLimits.startupBonusPeriod)
        func sent(over window: Duration) -> Int {
            let before = sim.messagesSent
            sim.run(for: window)
            return sim.messagesSent - before
        }
        let idle = sent(over: .seconds(3))

        // 6 s of starvation and 20% loss: every 100 ms some node's loop stops for up to 1.5 s
        // (below deadtime, so nobody is declared dead).
        var rng = SplitMix64(seed: 7)
        sim.setLoss(perMille: 200)
        var starved = 0
        for _ in 0..<60 {
            sim.stall(Int(rng.next(below: UInt64(count))), for: .milliseconds(Int64(rng.next(below: 1500))))
            starved += sent(over: .milliseconds(100))
        }
        sim.heal()
        let draining = sent(over: .seconds(3))
        let after = sent(over: .seconds(3))
        print("\(count) nodes, messages sent: idle \(idle) in 3 s, starved \(starved) in 6 s, draining \(draining) in 3 s, after \(after) in 3 s")

        #expect(sim.violation == nil, "\(sim.violation.map(String.init(describing:)) ?? "")")
        #expect(starved > idle * 2, "the starvation caused no retransmissions: \(starved) messages in 6 s, idle \(idle) in 3 s")
        #expect(after <= idle + idle / 10,
                "3 s after the starvation ended the nodes still sent \(after) messages in 3 s (idle: \(idle); during: \(starved) in 6 s; draining: \(draining))")
        for index in 0..<count {
            let dead = sim.node(index)?.membership.nodes.filter { $0.status == .dead }.map(\.name) ?? []
            #expect(dead.isEmpty, "\(SimConfig.nodeName(index)) declared \(dead) dead")
        }
    }
}
