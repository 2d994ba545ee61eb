import Foundation
import HeartbeatCore
import HeartbeatSim
import Testing

/// The random-seed sweep and the determinism check.
/// `SIM_SEEDS=N` sets how many seeds (default `defaultSeeds`), `SIM_SEED_START=S` where they start
/// (to replay a failure: `SIM_SEED_START=1234 SIM_SEEDS=1`, or `hbsim --seed 1234`).
@Suite struct SimSweepTests {
    /// A quick debug-build pass; `make test` also sweeps 10,000 seeds with the release `hbsim`.
    static let defaultSeeds: UInt64 = 100
    /// The sweep is split into this many parallel test cases (one per core here).
    static let lanes = 2

    static let environment = ProcessInfo.processInfo.environment
    static let seedCount = UInt64(environment["SIM_SEEDS"] ?? "") ?? defaultSeeds
    static let seedStart = UInt64(environment["SIM_SEED_START"] ?? "") ?? 0

    @Test(arguments: 0..<lanes)
    func randomSeeds(lane: Int) {
        let clock = ContinuousClock()
        let began = clock.now
        var ran = 0
        var failures: [RunResult] = []
        var seed = Self.seedStart + UInt64(lane)
        while seed < Self.seedStart + Self.seedCount {
            let result = RandomRun.run(seed: seed)
            if result.violation != nil { failures.append(result) }
            ran += 1
            seed += UInt64(Self.lanes)
        }
        let elapsed = clock.now - began
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("sim lane \(lane): \(ran) seeds in \(seconds) s = \(Double(ran) / max(seconds, 1e-9)) seeds/s, \(failures.count) failing: \(failures.map(\.seed))")
        for result in failures {
            Issue.record(Comment(rawValue: result.report))
        }
    }

    @Test func sameSeedSameRun() {
        for seed: UInt64 in [1, 42, 7777] {
            let first = RandomRun.run(seed: seed)
            let second = RandomRun.run(seed: seed)
            #expect(first.traceHash == second.traceHash, "seed \(seed)")
            #expect(first.steps == second.steps, "seed \(seed)")
            #expect(first.trace == second.trace, "seed \(seed)")
        }
        #expect(RandomRun.run(seed: 1).traceHash != RandomRun.run(seed: 2).traceHash)
    }
}
