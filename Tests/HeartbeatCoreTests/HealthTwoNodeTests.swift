@testable import HeartbeatCore
import Testing

/// Two nodes of ours, both monitoring `db` (preferred by a): messages between them in order,
/// `svcbad` carried as their heartbeats would, scripts that succeed, checks answered by whether
/// the service works on that node.
struct HealthPair {
    static let key = HealthHarness.db.key
    static let names = ["a", "b"]

    var managers: [ResourceManager]
    var now = Instant.zero
    var healthy = [true, true]
    var pending: [[CheckRun]] = [[], []]
    var advertised: [[String]] = [[], []]
    var logs: [String] = []

    init(_ spec: MonitorSpec) {
        managers = Self.names.map { name in
            ResourceManager(config: ResourceManagerConfig(localNode: name, nodes: Self.names, groups: [HealthHarness.db],
                                                          autoFailback: .off),
                            monitors: [spec])
        }
        deliver([(0, .commsUp(liveNodes: Self.names)), (1, .commsUp(liveNodes: Self.names))])
    }

    /// Handles events and everything they lead to: messages, script ends, `svcbad` changes.
    mutating func deliver(_ first: [(Int, ResourceEvent)]) {
        var queue = first
        var steps = 0
        while !queue.isEmpty, steps < 10_000 {
            steps += 1
            let (index, event) = queue.removeFirst()
            for effect in managers[index].handle(event, now: now) {
                switch effect {
                case .send(let message):
                    var message = message
                    message["src"] = Self.names[index]
                    queue.append((1 - index, .message(message)))
                case .runScript(let run):
                    queue.append((index, .scriptFinished(run.id, exitCode: 0, output: run.operation == .status ? "stopped" : "")))
                case .runCheck(let run):
                    pending[index].append(run)
                case .cancelCheck(let id):
                    pending[index].removeAll { $0.id == id }
                case .log(_, let text):
                    logs.append("\(Self.names[index]): \(text)")
                default:
                    break
                }
            }
            for node in 0..<2 where managers[node].unfitGroupKeys != advertised[node] {
                advertised[node] = managers[node].unfitGroupKeys
                queue.append((1 - node, .peerUnfit(Self.names[node], groups: advertised[node])))
            }
        }
    }

    /// Runs the clock to `instant`: checks answered as they are due, ticks at every deadline.
    mutating func run(until instant: Instant) {
        var steps = 0
        while steps < 100_000 {
            steps += 1
            var answers: [(Int, ResourceEvent)] = []
            for node in 0..<2 {
                for run in pending[node] {
                    answers.append((node, .checkFinished(run.id, healthy[node] ? .passed(latency: .milliseconds(1))
                                                                        : .failed(latency: .milliseconds(1), detail: "exit 1"))))
                }
                pending[node] = []
            }
            if !answers.isEmpty {
                deliver(answers)
                continue
            }
            let next = [managers[0].nextDeadline, managers[1].nextDeadline].compactMap { $0 }.min()
            guard let next, next <= instant else { break }
            now = max(now, next)
            deliver([(0, .tick), (1, .tick)])
        }
        now = max(now, instant)
    }

    func owner() -> [String] { (0..<2).filter { managers[$0].groups[0].state == .running }.map { Self.names[$0] } }
}

@Suite struct HealthTwoNodeTests {
    @Test func failingOnOneMovesToTheOtherAndStaysWhenBothFail() {
        var pair = HealthPair(HealthHarness.spec(interval: .seconds(5), restarts: 1, window: .seconds(600),
                                                 holddown: .seconds(60), onFail: .restart))
        pair.run(until: .zero + .seconds(1))
        #expect(pair.owner() == ["a"])
        pair.healthy[0] = false
        pair.run(until: .zero + .seconds(30))
        #expect(pair.owner() == ["b"], "restarted once on a, then moved to b")
        #expect(pair.advertised[0] == [HealthPair.key], "a is ineligible now")
        #expect(pair.logs.contains("a: Group \(HealthPair.key) failed here (fail count 1 within 600s, restarts 1): restarting it in place"))

        pair.healthy[1] = false
        pair.run(until: .zero + .seconds(120))
        #expect(pair.owner() == ["b"], "a is not fit for it: b keeps it and restarts it")
        #expect(pair.logs.contains { $0.hasPrefix("b: Group \(HealthPair.key) is unhealthy here and no other node can take it") })

        // a is repaired; its failures expire (600 s): b hands the group back at its next failure.
        pair.healthy[0] = true
        pair.run(until: .zero + .seconds(700))
        #expect(pair.advertised[0].isEmpty)
        #expect(pair.owner() == ["a"], "moved back once a was eligible again")
        #expect(pair.managers[1].healthReport(ofGroup: 0, now: pair.now).moves == 1)
        #expect(pair.managers[0].healthReport(ofGroup: 0, now: pair.now).moves == 1)
    }
}
