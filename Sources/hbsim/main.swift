import HeartbeatSim
#if canImport(Glibc)
import Glibc
#endif

/// hbsim: the deterministic simulator from the command line.
///   hbsim --seed N              run one seed, print its report (the replay of a failure)
///   hbsim --seeds COUNT [--start S] [--per-seed]   sweep seeds S..<S+COUNT, print failures and seeds/second;
///                               --per-seed adds one line per seed (seed, pass/fail, steps, trace hash) to diff two builds
///   hbsim --scale N             N nodes boot, converge and see one die; prints events/second
let usage = "usage: hbsim --seed N | --seeds COUNT [--start S] [--per-seed] | --scale NODES"

func value(after flag: String) -> UInt64? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
    return UInt64(arguments[index + 1])
}

if let seed = value(after: "--seed") {
    let result = RandomRun.run(seed: seed)
    print(result.report)
    print("steps \(result.steps), simulated \(result.simulatedTime), scripts \(result.scriptRuns), trace hash \(String(result.traceHash, radix: 16))")
    exit(result.violation == nil ? 0 : 1)
} else if let count = value(after: "--seeds") {
    let start = value(after: "--start") ?? 0
    let perSeed = CommandLine.arguments.contains("--per-seed")
    let clock = ContinuousClock()
    let began = clock.now
    var failures = 0
    var steps = 0
    var failedChecks = 0
    var monitorMoves = 0
    for seed in start..<(start + count) {
        let result = RandomRun.run(seed: seed, keepTrace: false)
        steps += result.steps
        failedChecks += result.failedChecks
        monitorMoves += result.monitorMoves
        if perSeed {
            let outcome = result.violation == nil ? "pass" : "fail"
            print("seed \(seed) \(outcome) steps \(result.steps) hash \(String(result.traceHash, radix: 16))")
        }
        if result.violation != nil {
            failures += 1
            print(result.report)
        }
    }
    let elapsed = clock.now - began
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("\(count) seeds, \(failures) failing, \(steps) events in \(seconds) s: \(Double(count) / seconds) seeds/s; "
          + "monitors: \(failedChecks) failed checks, \(monitorMoves) moves")
    exit(failures == 0 ? 0 : 1)
} else if let count = value(after: "--scale"), (UInt64(SimLimits.minNodes)...UInt64(SimLimits.maxNodes)).contains(count) {
    let clock = ContinuousClock()
    let began = clock.now
    let result = ScaleRun.run(nodes: Int(count))
    let elapsed = clock.now - began
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    for problem in result.problems { print("FAIL \(problem)") }
    print("\(count) nodes: \(result.steps) events, \(result.simulated) simulated in \(seconds) s: \(Int(Double(result.steps) / seconds)) events/s")
    exit(result.problems.isEmpty ? 0 : 1)
} else {
    print(usage)
    exit(2)
}
