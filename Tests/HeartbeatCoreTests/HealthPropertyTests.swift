import Foundation
@testable import HeartbeatCore
import Testing

/// Node `a` with seeded random check results, clock jumps, a peer that takes moves or ignores
/// them, dies and returns, advertises `svcbad` or not, and admin resets. After every step: at most
/// one check per line in flight, checks only while the group runs here settled, a move only to a
/// live peer that is fit for the group, hold-down between moves, fail counts bounded by the
/// failures seen, and no deadline left in the past.
@Suite struct HealthPropertyTests {
    /// `HEALTH_SEEDS=5000` runs a longer sweep; `HEALTH_SEED_START=N` replays from seed N.
    static let seeds: [UInt64] = {
        let environment = ProcessInfo.processInfo.environment
        let start = UInt64(environment["HEALTH_SEED_START"] ?? "") ?? 0
        let count = UInt64(environment["HEALTH_SEEDS"] ?? "") ?? 100
        return Array(start..<(start + count))
    }()

    @Test func invariantsHoldUnderRandomFaults() {
        var moves = 0
        var restarts = 0
        for seed in Self.seeds {
            var run = HealthRandomRun(seed: seed)
            run.run(steps: 300)
            if let failure = run.failure {
                Issue.record("seed \(seed): \(failure)\n\(run.trace.suffix(30).joined(separator: "\n"))")
                return
            }
            let report = run.node.manager.healthReport(ofGroup: 0, now: run.node.now)
            moves += report.moves
            restarts += report.restarts
        }
        // The faults reach the decisions: the sweep is not vacuous.
        #expect(moves > Self.seeds.count / 10)
        #expect(restarts > Self.seeds.count / 10)
    }
}

struct HealthRandomRun {
    static let key = HealthHarness.db.key
    static let holddown = Duration.seconds(120)

    var node: HealthHarness
    var rng: HeartbeatCore.SplitMix64
    var peerAlive = true
    var peerUnfit = false
    var failuresSeen = 0
    var lastMoveAt: Instant?
    var failure: String?
    var trace: [String] = []

    init(seed: UInt64) {
        rng = HeartbeatCore.SplitMix64(seed: seed &* 0x9E37_79B9 &+ 17)
        let onFail: MonitorSpec.OnFail = [.restart, .failover, .restart, .alert][Int(rng.next(below: 4))]
        let specs = [
            HealthHarness.spec(interval: .seconds(Int64(1 + rng.next(below: 10))), timeout: .seconds(2),
                               fall: Int(1 + rng.next(below: 3)), rise: Int(1 + rng.next(below: 3)),
                               startDelay: .seconds(Int64(rng.next(below: 3))), restarts: Int(rng.next(below: 3)),
                               window: .seconds(Int64(30 + rng.next(below: 300))), holddown: Self.holddown,
                               onFail: onFail, line: 1),
            HealthHarness.spec(.tcp(host: "127.0.0.1", port: 3306), interval: .seconds(3), fall: 2, line: 2),
        ]
        node = HealthHarness(specs)
        trace.append("monitors \(specs.map { "\($0.onFail) fall \($0.fall) rise \($0.rise) restarts \($0.restarts)" })")
    }

    mutating func run(steps: Int) {
        for _ in 0..<steps where failure == nil {
            node.clearRecord()
            let moves = node.manager.healthReport(ofGroup: 0, now: node.now).moves
            step()
            check(newRequests: node.standbyRequests.count, movedBefore: moves)
        }
    }

    mutating func step() {
        switch rng.next(below: 12) {
        case 0...4 where !node.pending.isEmpty:
            switch rng.next(below: 4) {
            case 0:
                trace.append("\(node.now) check fails")
                failuresSeen += 1
                node.fail()
            case 1:
                trace.append("\(node.now) check times out")
                failuresSeen += 1
                node.answer(.timedOut)
            default:
                trace.append("\(node.now) check passes")
                node.pass()
            }
        case 5, 6:
            let jump = Duration.milliseconds(Int64(rng.next(below: 30_000)))
            trace.append("\(node.now) advance \(jump)")
            node.advance(by: jump)
        case 7:
            peerUnfit.toggle()
            trace.append("\(node.now) b unfit \(peerUnfit)")
            node.handle(.peerUnfit("b", groups: peerUnfit ? [Self.key] : []))
        case 8 where peerAlive:
            trace.append("\(node.now) b dies")
            peerAlive = false
            node.handle(.nodeDead("b"))
        case 9 where !peerAlive:
            trace.append("\(node.now) b returns")
            peerAlive = true
            peerUnfit = false
            node.handle(.nodeCameBack("b"))
            node.peerReport("none")
        case 10:
            trace.append("\(node.now) monitor reset")
            node.handle(.monitorReset(group: nil))
        default:
            node.advance(by: .seconds(1))
        }
    }

    mutating func check(newRequests: Int, movedBefore: Int) {
        let manager = node.manager
        if newRequests > 0 {
            trace.append("\(node.now) a asks b to take the group")
            if !peerAlive { failure = "a move was asked of a dead peer" }
            if peerUnfit { failure = "a move was asked of a peer unfit for the group" }
            // b takes it most of the time; else the request times out.
            if peerAlive, rng.next(below: 4) != 0 {
                trace.append("\(node.now) b takes it")
                node.peerTakesOver()
            }
        }
        let report = manager.healthReport(ofGroup: 0, now: node.now)
        if report.moves > movedBefore {
            if let last = lastMoveAt, node.now - last < Self.holddown {
                failure = "two automatic moves \(node.now - last) apart, hold-down \(Self.holddown)"
            }
            lastMoveAt = node.now
        }
        let lines = node.pending.map(\.monitor)
        if Set(lines).count != lines.count { failure = "two checks of one line in flight: \(lines)" }
        if !node.pending.isEmpty, !manager.isMonitorable(0) {
            failure = "a check runs while the group is \(node.state) here"
        }
        if report.failCount > failuresSeen { failure = "fail count \(report.failCount) above the \(failuresSeen) failures seen" }
        if let deadline = manager.nextDeadline, deadline < node.now {
            failure = "deadline \(deadline) left behind at \(node.now)"
        }
    }
}
