import HeartbeatCore

/// Many nodes at once (`hbsim --scale 64`): they boot together, every one must see all the others
/// active; then the last one crashes and every other must declare it dead within the deadtime it
/// advertised (deadtime plus the startup bonus, spec §5.4) and a keepalive. Two nodes run
/// resources, as v1 haresources describes a pair. Membership work per message grows with the
/// node count (every deadline is recomputed over all peers), so 64 nodes are several times
/// slower per event than 2.
public enum ScaleRun {
    public struct Result: Sendable {
        public var nodeCount: Int
        public var steps: Int
        public var simulated: Duration
        /// What did not hold; empty when the run passed.
        public var problems: [String]
    }

    public static func run(nodes count: Int, seed: UInt64 = 64) -> Result {
        let config = SimConfig(nodeCount: count, keepalive: .seconds(1), deadtime: .seconds(3))
        var sim = Simulator(config: config, seed: seed)
        var problems: [String] = []
        for index in 0..<count { sim.start(index) }
        sim.run(for: config.initdead + config.keepalive * 2)
        for index in 0..<count {
            let active = sim.node(index)?.membership.nodes.filter { $0.status == .active }.count ?? 0
            if active != count { problems.append("\(SimConfig.nodeName(index)) sees \(active) of \(count) nodes active") }
        }
        let victim = count - 1
        sim.crash(victim)
        sim.run(for: config.deadtime + MembershipLimits.startupDeadtimeBonus + config.keepalive)
        for index in 0..<victim {
            let status = sim.node(index)?.membership.nodes.first { $0.name == SimConfig.nodeName(victim) }?.status
            if status != .dead {
                problems.append("\(SimConfig.nodeName(index)) sees \(SimConfig.nodeName(victim)) \(status.map(\.rawValue) ?? "nowhere") after its deadtime")
            }
        }
        if sim.owners(ofGroup: 0) != [0] { problems.append("group g1 is not on node1 alone") }
        if let violation = sim.violation { problems.append("invariant: \(violation)") }
        return Result(nodeCount: count, steps: sim.steps, simulated: sim.now - Instant.zero, problems: problems)
    }
}
