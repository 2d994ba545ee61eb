import HeartbeatCore

/// Something that can carry out a scenario's steps and report what happened: the simulator
/// (virtual time) or real daemons in network namespaces (wall-clock time).
public protocol ScenarioBackend {
    /// Time since the run started.
    var elapsed: Duration { get }
    /// Lets time pass until `elapsed` reaches `time`.
    mutating func advance(to time: Duration) throws
    mutating func perform(_ action: Scenario.Action) throws
    /// The first line of `cl_status ARGUMENTS` on the node, trimmed (empty when it printed nothing).
    mutating func clStatus(_ node: String, _ arguments: [String]) throws -> String
    /// Everything that happened; called once, at the end.
    mutating func history() throws -> ScenarioHistory
    /// Why the back-end itself judges the run broken (a simulator invariant), if it does.
    var failure: String? { get }
}

/// The outcome of one scenario run.
public struct ScenarioResult: Sendable {
    public var scenario: Scenario
    public var verdicts: [ScenarioVerdict]
    public var backendFailure: String?
    public var history: ScenarioHistory
    public var passed: Bool { backendFailure == nil && verdicts.allSatisfy(\.passed) }

    /// One line per expectation, then the back-end's complaint if any.
    public var report: [String] {
        verdicts.map { verdict in
            let met = verdict.metAfter.map { " (after \($0.milliseconds) ms)" } ?? ""
            return "\(verdict.passed ? "ok  " : "FAIL") line \(verdict.expectation.line): \(verdict.expectation.text) -- \(verdict.detail)\(met)"
        } + (backendFailure.map { ["FAIL \($0)"] } ?? [])
    }
}

/// Walks a scenario's timeline on a back-end: steps at their times, `cl_status` asked at `at`
/// times and polled through `within` windows, then the history judged by `ScenarioCheck`.
public enum ScenarioRunner {
    public static func run<Backend: ScenarioBackend>(_ scenario: Scenario, on backend: inout Backend,
                                                     pollInterval: Duration) throws -> ScenarioResult {
        var history = ScenarioHistory()
        var samples: [Int: [(time: Duration, output: String)]] = [:]
        var pending = scenario.steps[...]
        // cl_status checks: when to ask, per expectation.
        var asks: [(index: Int, node: String, arguments: [String], from: Duration, to: Duration)] = []
        for (index, expectation) in scenario.expectations.enumerated() {
            guard case .clStatus(let node, let arguments, _) = expectation.condition else { continue }
            switch expectation.when {
            case .within(let limit, let anchor): asks.append((index, node, arguments, anchor, anchor + limit))
            case .at(let time): asks.append((index, node, arguments, time, time))
            case .atEnd: asks.append((index, node, arguments, scenario.end, scenario.end))
            case .never: break
            }
        }
        var nextPoll = Duration.zero
        while true {
            let now = backend.elapsed
            while let step = pending.first, step.time <= now {
                try backend.perform(step.action)
                pending.removeFirst()
            }
            for ask in asks where ask.from <= now && now <= ask.to + pollInterval {
                let answered = samples[ask.index] ?? []
                let done = answered.contains { $0.output == Self.expected(scenario.expectations[ask.index]) }
                // A point check is asked once; a window is polled until it is met.
                if done || (ask.from == ask.to && !answered.isEmpty) { continue }
                samples[ask.index, default: []].append((backend.elapsed, try backend.clStatus(ask.node, ask.arguments)))
            }
            if now >= scenario.end { break }
            while nextPoll <= now { nextPoll += pollInterval }
            var next = min(scenario.end, nextPoll)
            if let step = pending.first { next = min(next, step.time) }
            for ask in asks where ask.from > now { next = min(next, ask.from) }
            try backend.advance(to: next)
        }
        history = try backend.history()
        history.samples = samples
        history.end = scenario.end
        let verdicts = ScenarioCheck(scenario: scenario, history: history).verdicts()
        return ScenarioResult(scenario: scenario, verdicts: verdicts, backendFailure: backend.failure, history: history)
    }

    static func expected(_ expectation: Scenario.Expectation) -> String? {
        if case .clStatus(_, _, let value) = expectation.condition { return value }
        return nil
    }
}

/// The simulator as a scenario back-end: the scenario's cluster as a `SimConfig` (or one that
/// describes the same cluster, `hbctl simulate`'s from real files), its steps as faults, virtual time.
public struct SimScenarioBackend: ScenarioBackend {
    public private(set) var simulator: Simulator
    let scenario: Scenario

    public init(_ scenario: Scenario, config: SimConfig? = nil) {
        self.scenario = scenario
        simulator = Simulator(config: config ?? scenario.simConfig, seed: scenario.seed)
        simulator.recordsObservations = true
        // As in the netns run: a node reset by STONITH stays down until a step starts it.
        simulator.powersOnAfterReset = false
    }

    public var elapsed: Duration { simulator.now - Instant.zero }

    public mutating func advance(to time: Duration) { simulator.run(until: Instant.zero + time) }

    func index(_ node: String) -> Int { scenario.nodes.firstIndex(of: node)! }

    public mutating func perform(_ action: Scenario.Action) {
        switch action {
        case .start("all"): for node in scenario.nodes.indices { simulator.start(node) }
        case .start(let node): simulator.start(index(node))
        case .stop("all"): for node in scenario.nodes.indices { simulator.shutdown(node) }
        case .stop(let node): simulator.shutdown(index(node))
        case .kill(let node): simulator.crash(index(node))
        case .restart(let node):
            simulator.crash(index(node))
            simulator.start(index(node))
        case .cutLink(let node, let medium):
            simulator.setInterface(index(node), link: scenario.media.firstIndex(of: medium)!, up: false)
        case .restoreLink(let node, let medium):
            simulator.setInterface(index(node), link: scenario.media.firstIndex(of: medium)!, up: true)
        case .partition(let sides): simulator.partition(sides.map { $0.map(index) })
        case .heal:
            simulator.heal()
            for node in scenario.nodes.indices where simulator.reachesNoPingNode(node) { simulator.restorePing(node) }
        case .standby(let node, let set): simulator.standby(index(node), set)
        case .takeover(let node, let set): simulator.takeover(index(node), set)
        case .scriptFails(let resource, let node, let fails):
            simulator.setStartFails(index(node), token: scenario.token(resource), fails)
        case .losePing(let node): simulator.losePing(index(node))
        case .restorePing(let node): simulator.restorePing(index(node))
        case .fenceFails(let node, let fails): simulator.setFenceFails(index(node), fails)
        case .breakService(let resource, let node, let fault): simulator.breakService(index(node), token: scenario.token(resource), fault)
        case .healService(let resource, let node): simulator.healService(index(node), token: scenario.token(resource))
        case .monitorReset(let node, let group): simulator.monitorReset(index(node), group: group.map(scenario.token))
        }
    }

    /// What `cl_status` would print: the daemon's projection of the node's state, rendered by the
    /// same code.
    public mutating func clStatus(_ node: String, _ arguments: [String]) -> String {
        let report = simulator.statusReport(index(node))
        let output = ClStatus.run(arguments: arguments, report: report)
        return output.stdout.split(separator: "\n").first.map { String($0).trimmingSpaces } ?? ""
    }

    public func history() -> ScenarioHistory {
        var history = ScenarioHistory()
        let names = scenario.nodes
        func resource(_ run: ScriptRun) -> String { run.resource.arguments.first ?? run.resource.token }
        for (time, observation) in simulator.observations {
            let at = time - Instant.zero
            switch observation {
            case .scriptBegan(let node, let run):
                history.append(.scriptBegan(node: names[node], resource: resource(run), run.operation), at: at)
            case .scriptEnded(let node, let run, let code):
                history.append(.scriptEnded(node: names[node], resource: resource(run), run.operation, exitCode: code), at: at)
            case .log(let node, _, let text):
                history.append(.log(node: names[node], text), at: at)
            case .down(let node):
                history.append(.down(node: names[node]), at: at)
            case .announced, .checkEnded:
                // Scenarios check the decision by its log line, which the daemon writes too.
                break
            }
        }
        return history
    }

    public var failure: String? { simulator.violation.map { "simulator invariant: \($0)" } }
}
