import HeartbeatCore
import Testing
@testable import HeartbeatSim

/// The storm a 16-node bench run showed: nodes starved for seconds miss each other's messages and
/// ask for each missing one again and again (one `NS_rexmit` per seq, every `max_rexmit_delay`).
/// Once the starvation ends, every request must be answered or refused and the traffic must fall
/// back to what the idle cluster sends.
struct SimRetransmitStormTests {
    @Test func retransmissionsEndWhenStarvationEnds() {
        let count = 16
        let config = SimConfig(nodeCount: count, keepalive: .milliseconds(200), deadtime: .seconds(2))
        var sim = Simulator(config: config, seed: 16)
        for index in 0..<count { sim.start(index) }
        sim.run(for: config.initdead + MembershipLimits.startupBonusPeriod)
        func sent(over window: Duration) -> Int {
            let before = sim.messagesSent
            sim.run(for: window)
            return sim.messagesSent - before
        }
        let idle = sent(over: .seconds(5))

        // 10 s of starvation and 20% loss: every 100 ms some node's loop stops for up to 1.5 s
        // (below deadtime, so nobody is declared dead).
        var rng = SplitMix64(seed: 7)
        sim.setLoss(perMille: 200)
        var starved = 0
        for _ in 0..<100 {
            sim.stall(Int(rng.next(below: UInt64(count))), for: .milliseconds(Int64(rng.next(below: 1500))))
            starved += sent(over: .milliseconds(100))
        }
        sim.heal()
        let draining = sent(over: .seconds(5))
        let after = sent(over: .seconds(5))

        #expect(sim.violation == nil, "\(sim.violation.map(String.init(describing:)) ?? "")")
        #expect(starved > idle * 2, "the starvation caused no retransmissions: \(starved) messages in 10 s, idle \(idle) in 5 s")
        #expect(after <= idle + idle / 10,
                "5 s after the starvation ended the nodes still sent \(after) messages in 5 s (idle: \(idle); during: \(starved) in 10 s; draining: \(draining))")
        for index in 0..<count {
            let dead = sim.node(index)?.membership.nodes.filter { $0.status == .dead }.map(\.name) ?? []
            #expect(dead.isEmpty, "\(SimConfig.nodeName(index)) declared \(dead) dead")
        }
    }
}
