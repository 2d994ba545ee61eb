import HeartbeatCore
import HeartbeatSim
import Testing

/// The simulator's services and checks (issue #17): what each fault makes a check answer, that
/// checks run only where their group runs, and that the random runs with monitors exercise the
/// health decisions under the invariants.
@Suite struct SimHealthTests {
    /// Two nodes, g1 (`sim::g1r1 sim::g1r2`) on node1, g2 on node2; g1 checked every second.
    static func booted(monitor options: String = "interval=1s timeout=300ms fall=2 restarts=1") -> Simulator {
        var config = SimConfig(nodeCount: 2)
        config.monitorsFile = "sim::g1r1 status \(options)\n"
        var sim = Simulator(config: config, seed: 3)
        sim.recordsObservations = true
        for index in 0..<config.nodeCount { sim.start(index) }
        sim.run(for: config.initdead + config.settleTime)
        sim.checkSettled()
        return sim
    }

    /// The checks that ended since `from`, with the node and how they ended.
    static func checks(_ sim: Simulator, since from: Instant) -> [(time: Instant, node: Int, outcome: CheckOutcome)] {
        sim.observations.compactMap { time, observation in
            guard time >= from, case .checkEnded(let node, _, let outcome) = observation else { return nil }
            return (time, node, outcome)
        }
    }

    static func report(_ sim: Simulator) -> String {
        "\(sim.violation.map(String.init(describing:)) ?? "no violation")\n\(sim.traceLines.joined(separator: "\n"))"
    }

    @Test func healthyServicePassesWhereTheGroupRuns() {
        var sim = Self.booted()
        let from = sim.now
        sim.run(for: .seconds(5))
        let checks = Self.checks(sim, since: from)
        #expect((4...6).contains(checks.count), "\(checks.count) checks in 5 s at interval 1s")
        #expect(checks.allSatisfy { $0.node == 0 }, "g1 runs on node1 only")
        #expect(checks.allSatisfy { if case .passed = $0.outcome { true } else { false } })
        #expect(sim.failedChecks == 0 && sim.violation == nil, "\(Self.report(sim))")
    }

    /// A crash fails the checks at once; after fall 2 the group is restarted in place, which
    /// cures it: the checks pass again on node1 and the group never left.
    @Test func crashedServiceIsRestartedInPlace() {
        var sim = Self.booted()
        let from = sim.now
        sim.breakService(0, token: "sim::g1r2", ServiceFault(.crashed))
        sim.run(for: .seconds(6))
        let outcomes = Self.checks(sim, since: from).map(\.outcome)
        let failed = outcomes.filter { if case .failed(_, let detail) = $0 { detail == "resource sim::g1r2 not running" } else { false } }
        #expect(failed.count == 2, "\(outcomes)")
        if case .passed = outcomes.last {} else { Issue.record("last check \(String(describing: outcomes.last))") }
        #expect(sim.owners(ofGroup: 0) == [0])
        #expect(sim.monitorMoves == 0 && sim.violation == nil, "\(Self.report(sim))")
    }

    /// A hung service's checks end at their timeout, as `.timedOut`: the first one that began
    /// after the fault ends between one timeout and one interval plus timeout later.
    @Test func hungServiceTimesOut() {
        var sim = Self.booted(monitor: "interval=1s timeout=300ms fall=3 restarts=1")
        let from = sim.now
        sim.breakService(0, token: "sim::g1r1", ServiceFault(.hung, persistent: true))
        sim.run(for: .milliseconds(2500))
        let checks = Self.checks(sim, since: from)
        let timedOut = checks.filter { $0.outcome == .timedOut }.map { $0.time - from }
        #expect(timedOut.count == 2 && timedOut.count == checks.count, "\(checks)")
        if let first = timedOut.first { #expect(first >= .milliseconds(300) && first <= .milliseconds(1300), "\(first)") }
        #expect(sim.violation == nil, "\(Self.report(sim))")
    }

    /// A persistent flap every 3rd check: pass, pass, fail, repeating (fall 2 never reached).
    @Test func flappingServiceFailsEveryKthCheck() {
        var sim = Self.booted()
        let from = sim.now
        sim.breakService(0, token: "sim::g1r1", ServiceFault(.flapping(every: 3), persistent: true))
        sim.run(for: .milliseconds(6500))
        let failures = Self.checks(sim, since: from).map { if case .passed = $0.outcome { "p" } else { "f" } }.joined()
        #expect(failures.hasPrefix("ppfppf"), "\(failures)")
        #expect(sim.owners(ofGroup: 0) == [0] && sim.violation == nil, "\(Self.report(sim))")
    }

    /// A persistent crash: the restart does not help, the group moves to node2 once, and the
    /// health invariants (checked after every event) hold throughout.
    @Test func persistentCrashMovesTheGroupOnce() {
        var sim = Self.booted()
        sim.breakService(0, token: "sim::g1r1", ServiceFault(.crashed, persistent: true))
        sim.run(for: .seconds(10))
        #expect(sim.owners(ofGroup: 0) == [1], "\(Self.report(sim))")
        #expect(sim.monitorMoves == 1)
        #expect(sim.violation == nil, "\(Self.report(sim))")
    }

    /// Seeds with monitors draw service faults; over a few of them checks fail, groups move, and
    /// no invariant breaks. The same seed gives the same run.
    @Test func randomRunsWithMonitorsExerciseHealth() {
        let seeds = (0..<UInt64(400)).filter { SimConfig.random(seed: $0).monitorsFile != nil }.prefix(12)
        var failedChecks = 0
        var moves = 0
        for seed in seeds {
            let result = RandomRun.run(seed: seed, keepTrace: false)
            #expect(result.violation == nil, "\(result.report)")
            failedChecks += result.failedChecks
            moves += result.monitorMoves
        }
        #expect(failedChecks > 0 && moves > 0, "\(failedChecks) failed checks, \(moves) moves over seeds \(Array(seeds))")
        let seed = seeds.first!
        #expect(RandomRun.run(seed: seed).traceHash == RandomRun.run(seed: seed).traceHash)
    }
}
