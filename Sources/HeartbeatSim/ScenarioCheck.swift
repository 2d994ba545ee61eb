import HeartbeatCore

/// What one run of a scenario did, whichever back-end ran it: script starts and ends, nodes going
/// down, log lines, and `cl_status` answers sampled while it ran. Times count from the run's start.
public struct ScenarioHistory: Sendable {
    public enum Event: Sendable, Hashable {
        case scriptBegan(node: String, resource: String, ScriptOperation)
        /// `exitCode` nil: the script timed out.
        case scriptEnded(node: String, resource: String, ScriptOperation, exitCode: Int32?)
        /// A crash (kill -9 of the machine) or the end of a shutdown: nothing runs there any more.
        case down(node: String)
        case log(node: String, String)
    }

    public var events: [(time: Duration, event: Event)] = []
    /// `cl_status` answers per expectation index.
    public var samples: [Int: [(time: Duration, output: String)]] = [:]
    public var end: Duration = .zero

    public init() {}

    public mutating func append(_ event: Event, at time: Duration) { events.append((time, event)) }
}

/// One expectation's verdict; `metAfter` is how long after its window opened a `within` was met.
public struct ScenarioVerdict: Sendable {
    public var expectation: Scenario.Expectation
    public var passed: Bool
    public var detail: String
    public var metAfter: Duration?
}

/// Judges a history against a scenario's expectations: one semantics for every back-end.
/// A resource runs on a node from the moment its `start` begins (the strictest reading) until its
/// `stop` ends with 0, its `start` ends with non-zero, or the node goes down.
public struct ScenarioCheck {
    let scenario: Scenario
    /// The holdings after each event: `states[i]` is in force from `times[i]`; index 0 is the start.
    var times: [Duration] = [.zero]
    var states: [[String: Set<String>]] = [[:]]
    let history: ScenarioHistory

    public init(scenario: Scenario, history: ScenarioHistory) {
        self.scenario = scenario
        self.history = history
        var holdings: [String: Set<String>] = [:]
        for (time, event) in history.events.sorted(by: { $0.time < $1.time }) {
            switch event {
            case .scriptBegan(let node, let resource, .start):
                holdings[node, default: []].insert(resource)
            case .scriptEnded(let node, let resource, .start, let code) where code != 0 && code != nil:
                holdings[node]?.remove(resource)
            case .scriptEnded(let node, let resource, .stop, 0):
                holdings[node]?.remove(resource)
            case .down(let node):
                holdings[node] = []
            default:
                continue
            }
            times.append(time)
            states.append(holdings)
        }
    }

    /// Which nodes hold any of the group's resources, and which hold all of them.
    func holders(_ group: Scenario.Group, in state: [String: Set<String>]) -> (any: [String], all: [String]) {
        let nodes = scenario.nodes
        return (nodes.filter { !(state[$0] ?? []).isDisjoint(with: group.resources) },
                nodes.filter { (state[$0] ?? []).isSuperset(of: group.resources) })
    }

    func state(at time: Duration) -> [String: Set<String>] {
        states[(times.lastIndex { $0 <= time }) ?? 0]
    }

    func describe(_ state: [String: Set<String>]) -> String {
        let parts = scenario.groups.map { group -> String in
            let (any, all) = holders(group, in: state)
            let partial = any.filter { !all.contains($0) }
            var text = "\(group.name) on \(all.isEmpty ? "nobody" : all.joined(separator: " "))"
            if !partial.isEmpty { text += " (partly on \(partial.joined(separator: " ")))" }
            return text
        }
        return parts.joined(separator: ", ")
    }

    func holds(_ condition: Scenario.Condition, _ state: [String: Set<String>]) -> Bool {
        switch condition {
        case .group(let name, let owners):
            guard let group = scenario.groups.first(where: { $0.name == name }) else { return false }
            let (any, all) = holders(group, in: state)
            return Set(any) == Set(owners) && Set(all) == Set(owners)
        case .twoOwners:
            return scenario.groups.contains { holders($0, in: state).any.count > 1 }
        case .log, .clStatus:
            return false
        }
    }

    public func verdicts() -> [ScenarioVerdict] {
        scenario.expectations.enumerated().map { index, expectation in
            verdict(expectation, samples: history.samples[index] ?? [])
        }
    }

    func verdict(_ expectation: Scenario.Expectation, samples: [(time: Duration, output: String)]) -> ScenarioVerdict {
        let isWindow: Bool = if case .within = expectation.when { true } else { false }
        func result(_ passed: Bool, _ detail: String, _ met: Duration? = nil) -> ScenarioVerdict {
            ScenarioVerdict(expectation: expectation, passed: passed, detail: detail, metAfter: passed && isWindow ? met : nil)
        }
        let (from, to): (Duration, Duration) = switch expectation.when {
        case .within(let limit, let anchor): (anchor, anchor + limit)
        case .at(let time): (.zero, time)
        case .atEnd: (.zero, history.end)
        case .never: (.zero, history.end)
        }
        switch expectation.condition {
        case .log(let node, let text):
            let lines = history.events.filter { event in
                if case .log(node, let line) = event.event { return line.contains(text) } else { return false }
            }
            let inWindow = lines.first { $0.time >= from && $0.time <= to }
            if case .never = expectation.when {
                return result(lines.isEmpty, lines.first.map { "logged at \($0.time.scenarioText): \(Self.line($0.event))" } ?? "not logged")
            }
            return result(inWindow != nil, inWindow.map { "logged at \($0.time.scenarioText)" } ?? "not logged by \(to.scenarioText)",
                          inWindow.map { $0.time - from })
        case .clStatus(_, _, let expected):
            let window = isWindow ? samples.filter { $0.time >= from && $0.time <= to } : samples
            if let hit = window.first(where: { $0.output == expected }) {
                return result(true, "printed \(expected) at \(hit.time.scenarioText)", hit.time - from)
            }
            let seen = window.last.map { "printed \($0.output.isEmpty ? "nothing" : $0.output) at \($0.time.scenarioText)" } ?? "never asked"
            return result(false, seen)
        case .group, .twoOwners:
            switch expectation.when {
            case .never:
                if let index = states.indices.first(where: { holds(expectation.condition, states[$0]) }) {
                    return result(false, "at \(times[index].scenarioText): \(describe(states[index]))")
                }
                return result(true, "never")
            case .within:
                // The state in force when the window opens, then every change inside it.
                var candidates = [(from, state(at: from))]
                for index in times.indices where times[index] > from && times[index] <= to {
                    candidates.append((times[index], states[index]))
                }
                if let hit = candidates.first(where: { holds(expectation.condition, $0.1) }) {
                    return result(true, "at \(hit.0.scenarioText)", hit.0 - from)
                }
                return result(false, "at \(to.scenarioText): \(describe(state(at: to)))")
            case .at, .atEnd:
                let now = state(at: to)
                return result(holds(expectation.condition, now), "at \(to.scenarioText): \(describe(now))")
            }
        }
    }

    static func line(_ event: ScenarioHistory.Event) -> String {
        if case .log(_, let text) = event { return text }
        return ""
    }
}
