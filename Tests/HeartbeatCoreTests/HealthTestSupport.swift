@testable import HeartbeatCore

/// Node `a` of a two-node cluster (peer `b`) running its group `db` (an address and mysql), with
/// `monitors` lines: scripts succeed at once, checks wait for the test to answer them.
struct HealthHarness {
    static let db = ResourceGroup(
        preferredNode: "a", key: "IPaddr::10.0.0.5",
        resources: [Resource(script: "IPaddr", arguments: ["10.0.0.5"], token: "IPaddr::10.0.0.5"),
                    Resource(script: "mysql", arguments: [], token: "mysql")], line: 1)
    static let web = ResourceGroup(
        preferredNode: "b", key: "IPaddr::10.0.0.6",
        resources: [Resource(script: "IPaddr", arguments: ["10.0.0.6"], token: "IPaddr::10.0.0.6")], line: 2)

    var manager: ResourceManager
    var now = Instant.zero
    /// Every effect since the harness was built.
    var effects: [ResourceEffect] = []
    /// Checks issued and neither answered nor cancelled, oldest first.
    var pending: [CheckRun] = []
    var peerSeq = 1
    /// Resource tokens whose start fails (exit 1).
    var failingStarts: Set<String> = []

    /// `peerHolds`: b's first holdings report (`local` when it runs its own groups).
    init(_ monitors: [MonitorSpec], groups: [ResourceGroup] = [db], autoFailback: AutoFailback = .off,
         peerHolds: String = "none") {
        manager = ResourceManager(config: ResourceManagerConfig(localNode: "a", nodes: ["a", "b"], groups: groups,
                                                                autoFailback: autoFailback),
                                  monitors: monitors)
        handle(.commsUp(liveNodes: ["a", "b"]))
        peerReport(peerHolds)
    }

    static func spec(_ check: MonitorSpec.Check = .status, interval: Duration = .seconds(10), timeout: Duration = .seconds(5),
                     fall: Int = 1, rise: Int = 1, startDelay: Duration = .zero, restarts: Int = 1,
                     window: Duration = .seconds(3600), holddown: Duration = .seconds(300),
                     onFail: MonitorSpec.OnFail = .restart, group: String = db.key, line: Int = 1) -> MonitorSpec {
        MonitorSpec(group: group, check: check, interval: interval, timeout: timeout, fall: fall, rise: rise,
                    startDelay: startDelay, restarts: restarts, window: window, holddown: holddown, onFail: onFail, line: line)
    }

    /// Handles one event; scripts it starts end at once (status: "stopped", start and stop: 0).
    @discardableResult
    mutating func handle(_ event: ResourceEvent) -> [ResourceEffect] {
        var seen: [ResourceEffect] = []
        var next: [ResourceEvent] = [event]
        while !next.isEmpty {
            let produced = manager.handle(next.removeFirst(), now: now)
            seen += produced
            for effect in produced {
                switch effect {
                case .runScript(let run):
                    let fails = run.operation == .start && failingStarts.contains(run.resource.token)
                    next.append(.scriptFinished(run.id, exitCode: fails ? 1 : 0, output: run.operation == .status ? "stopped" : ""))
                case .runCheck(let run):
                    pending.append(run)
                case .cancelCheck(let id):
                    pending.removeAll { $0.id == id }
                default:
                    break
                }
            }
        }
        effects += seen
        return seen
    }

    /// Moves the clock to `instant`, ticking at every deadline on the way.
    mutating func advance(to instant: Instant) {
        var ticks = 0
        while let deadline = manager.nextDeadline, deadline <= instant, ticks < 10_000 {
            now = max(now, deadline)
            handle(.tick)
            ticks += 1
        }
        now = max(now, instant)
    }

    mutating func advance(by duration: Duration) { advance(to: now + duration) }

    /// Answers the oldest pending check.
    @discardableResult
    mutating func answer(_ outcome: CheckOutcome) -> [ResourceEffect] {
        guard !pending.isEmpty else { return [] }
        return handle(.checkFinished(pending.removeFirst().id, outcome))
    }

    mutating func pass() { answer(.passed(latency: .milliseconds(3))) }
    mutating func fail(_ detail: String = "exit 1") { answer(.failed(latency: .milliseconds(3), detail: detail)) }

    /// b's full holdings report (stable).
    mutating func peerReport(_ holds: String, extra: [(String, String)] = []) {
        var message = Message(("t", "resource"), ("src", "b"), ("rsc_hold", holds), ("rtype", "full"), ("isstable", "1"),
                              ("seq", String(peerSeq, radix: 16)))
        for (name, value) in extra { message[name] = value }
        peerSeq += 1
        handle(.message(message))
    }

    mutating func peerSays(_ info: String, _ set: String) {
        handle(.message(Message(("t", "ask_resources"), ("src", "b"), ("rsc_hold", set), ("info", info))))
    }

    /// b answers a standby request of ours: `other`, then (once we sent `done`) its own `done`.
    mutating func peerTakesOver(_ set: String = "local") {
        peerSays("other", set)
        peerSays("done", set)
    }

    var state: GroupState { manager.groups[0].state }
    var logs: [String] { effects.compactMap { if case .log(_, let text) = $0 { text } else { nil } } }
    func logs(_ level: LogLevel) -> [String] {
        effects.compactMap { if case .log(level, let text) = $0 { text } else { nil } }
    }
    var sent: [Message] { effects.compactMap { if case .send(let message) = $0 { message } else { nil } } }
    var scripts: [String] {
        effects.compactMap { if case .runScript(let run) = $0 { "\(run.resource.token) \(run.operation.rawValue)" } else { nil } }
    }
    var standbyRequests: [Message] { sent.filter { $0.type == .askResources && $0["info"] == "me" } }

    mutating func clearRecord() { effects = [] }
}
