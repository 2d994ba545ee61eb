import Foundation
@testable import HeartbeatCore

/// Pacemaker-style golden scenarios for the resource manager: a committed `.golden` file holds
/// the configuration, timed events and, indented under each event, the exact effects it caused.
/// (Not the admin scenarios of `Tests/scenarios/*.scenario`, a different language.)
/// `ResourceScenario.transcript(of:)` replays the events and prints the file as it should read;
/// the test compares the two. Run with `UPDATE_GOLDEN=1` to rewrite the files (then review the diff).
///
/// Header lines (before the first `at`):
///   `nodes n1 n2`, `local n1`, `auto_failback on|off|legacy`, `fencing yes|no`, `watchdog yes|no`,
///   `stop_retries N`, `stop_failure_retry 30s`, `group <node> <resource>…` (haresources syntax).
/// Events: `at <time> <event>` with time `250ms`, `5s`, `2m`, `1h`, and event one of
///   `commsUp n1 n2`, `dead n`, `restarted n`, `cameback n`, `healed n`,
///   `receive src=n t=… k=v k="v w"`, `finished <id> exit=<n> [output="…"]`, `ok <id>`,
///   `timeout <id>`, `fenced <n> ok|failed`, `tick`, `wait`, `standby <set>`, `takeover <set>`,
///   `shutdown`, `show`.
/// Deadlines the manager reports are delivered as ticks before the next event and printed as
/// `at <time> deadline`. Effects: `run <id> <script> <args…> <op>`, `send k=v…`,
/// `log <LEVEL> "text"`, `fence <node>`, `stop-heartbeats`, `starve-watchdog`, `shutdown-complete`.
enum ResourceScenario {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/resources")

    static func fileNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".golden") }.sorted()
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Maximum deadline ticks delivered between two events: a guard against a timer loop.
    static let maxDeadlinesBetweenEvents = 10_000

    static func transcript(of text: String) throws -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var output: [String] = []
        var headerDone = false
        var config = Config()
        var manager: ResourceManager?
        var now = Instant.zero
        for line in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("  ") || (trimmed.hasPrefix("at ") && trimmed.hasSuffix(" deadline")) {
                continue  // expected output: regenerated below
            }
            if !trimmed.hasPrefix("at ") {
                output.append(line)
                if !headerDone, !trimmed.isEmpty, !trimmed.hasPrefix("#") { try config.apply(trimmed) }
                continue
            }
            if !headerDone {
                headerDone = true
                manager = ResourceManager(config: config.managerConfig())
            }
            var words = tokenize(String(trimmed.dropFirst(3)))
            guard !words.isEmpty else { throw Failure(description: "empty event: \(line)") }
            let at = try parseTime(words.removeFirst())
            guard at >= now else { throw Failure(description: "time goes backwards: \(line)") }
            var delivered = 0
            while let deadline = manager!.nextDeadline, deadline <= at {
                delivered += 1
                guard delivered <= maxDeadlinesBetweenEvents else { throw Failure(description: "timer loop before \(line)") }
                now = max(now, deadline)
                output.append("at \(formatTime(now)) deadline")
                output += manager!.handle(.tick, now: now).compactMap { format($0).map { "  " + $0 } }
            }
            now = at
            output.append(line)
            if words.first == "show" {
                output += show(manager!)
                continue
            }
            if words.first == "wait" { continue }
            let event = try parseEvent(words, line: line)
            output += manager!.handle(event, now: now).compactMap { format($0).map { "  " + $0 } }
        }
        return output.joined(separator: "\n") + "\n"
    }

    static func show(_ manager: ResourceManager) -> [String] {
        ["  rscstatus \(manager.rscstatus.rawValue)"] + manager.groups.map {
            "  group \($0.key) owner=\($0.owner ?? "-") state=\($0.state.rawValue)"
        }
    }

    // MARK: Config

    struct Config {
        var nodes: [String] = []
        var local = ""
        var autoFailback = AutoFailback.on
        var fencing = false
        var watchdog = false
        var stopRetries = 0
        var stopFailureRetry: Duration = .seconds(60)
        var groups: [ResourceGroup] = []

        mutating func apply(_ line: String) throws {
            let words = line.split(separator: " ").map(String.init)
            switch words[0] {
            case "nodes": nodes = Array(words.dropFirst())
            case "local": local = words[1]
            case "auto_failback":
                guard let value = AutoFailback(rawValue: words[1]) else { throw Failure(description: line) }
                autoFailback = value
            case "fencing": fencing = words[1] == "yes"
            case "watchdog": watchdog = words[1] == "yes"
            case "stop_retries": stopRetries = Int(words[1]) ?? 0
            case "stop_failure_retry": stopFailureRetry = .nanoseconds(try parseTime(words[1]).nanoseconds)
            case "group":
                let resources = words.dropFirst(2).map(ResourceScenario.resource)
                groups.append(ResourceGroup(preferredNode: words[1], key: words[2], resources: resources,
                                            line: groups.count + 1))
            default: throw Failure(description: "unknown header line: \(line)")
            }
        }

        func managerConfig() -> ResourceManagerConfig {
            ResourceManagerConfig(localNode: local, nodes: nodes, groups: groups, autoFailback: autoFailback,
                                  scripts: ScriptTimings(stopRetryMax: stopRetries, stopFailureRetry: stopFailureRetry),
                                  fencingConfigured: fencing, watchdogConfigured: watchdog)
        }
    }

    /// haresources token rules (spec §6.1): `script::arg::arg`, and the IPaddr shorthand.
    static func resource(_ token: String) -> Resource {
        let dots = token.filter { $0 == "." }.count
        if let first = token.first, first.isNumber, dots >= 3, !token.contains("::") {
            return Resource(script: "IPaddr", arguments: [token], token: token)
        }
        let parts = token.components(separatedBy: "::")
        return Resource(script: parts[0], arguments: Array(parts.dropFirst()), token: token)
    }

    // MARK: Events

    static func parseEvent(_ words: [String], line: String) throws -> ResourceEvent {
        let bad = Failure(description: "cannot parse event: \(line)")
        let args = Array(words.dropFirst())
        func arg(_ i: Int) throws -> String {
            guard args.indices.contains(i) else { throw bad }
            return args[i]
        }
        func set(_ word: String) throws -> ResourceSet {
            guard let set = ResourceSet(rawValue: word) else { throw bad }
            return set
        }
        switch words[0] {
        case "commsUp": return .commsUp(liveNodes: args)
        case "dead": return .nodeDead(try arg(0))
        case "restarted": return .nodeRestarted(try arg(0))
        case "cameback": return .nodeCameBack(try arg(0))
        case "healed": return .partitionHealed(try arg(0))
        case "receive":
            return .message(Message(try args.map { pair in
                guard let eq = pair.firstIndex(of: "=") else { throw bad }
                return Field(String(pair[..<eq]), String(pair[pair.index(after: eq)...]))
            }))
        case "finished":
            guard let id = UInt64(try arg(0)) else { throw bad }
            var code: Int32 = 0
            var output = ""
            for pair in args.dropFirst() {
                if pair.hasPrefix("exit="), let value = Int32(pair.dropFirst(5)) { code = value }
                else if pair.hasPrefix("output=") { output = String(pair.dropFirst(7)) }
                else { throw bad }
            }
            return .scriptFinished(id, exitCode: code, output: output)
        case "ok":
            guard let id = UInt64(try arg(0)) else { throw bad }
            return .scriptFinished(id, exitCode: 0, output: "")
        case "timeout":
            guard let id = UInt64(try arg(0)) else { throw bad }
            return .scriptTimedOut(id)
        case "fenced": return .fenceResult(try arg(0), succeeded: try arg(1) == "ok")
        case "tick": return .tick
        case "standby": return .standby(try set(arg(0)))
        case "takeover": return .takeover(try set(arg(0)))
        case "shutdown": return .shutdown
        default: throw bad
        }
    }

    /// Splits on spaces outside double quotes and removes the quotes: `k="a b"` → `k=a b`.
    static func tokenize(_ text: String) -> [String] {
        var words: [String] = []
        var word = ""
        var quoted = false
        var started = false
        for character in text {
            if character == "\"" {
                quoted.toggle()
                started = true
            } else if character == " ", !quoted {
                if started { words.append(word) }
                word = ""
                started = false
            } else {
                word.append(character)
                started = true
            }
        }
        if started { words.append(word) }
        return words
    }

    static func parseTime(_ word: String) throws -> Instant {
        let units: [(String, Int64)] = [("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
                                        ("h", 3_600_000_000_000)]
        for (suffix, scale) in units where word.hasSuffix(suffix) {
            if let value = Int64(word.dropLast(suffix.count)) { return Instant(nanoseconds: value * scale) }
        }
        throw Failure(description: "bad time \(word)")
    }

    static func formatTime(_ instant: Instant) -> String {
        let ms = instant.nanoseconds / 1_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }

    // MARK: Effects

    /// A transcript line; group state changes have none (the transcripts predate them, and
    /// `NodeTests.groupStateChangesAreEffects` checks them).
    static func format(_ effect: ResourceEffect) -> String? {
        switch effect {
        case .runScript(let run):
            return (["run", String(run.id), run.resource.script] + run.resource.arguments + [run.operation.rawValue])
                .joined(separator: " ")
        case .send(let message):
            return "send " + message.fields.map { field in
                let value: String
                if case .string(let bytes) = field.value { value = String(decoding: bytes, as: UTF8.self) } else { value = "<binary>" }
                return "\(field.name)=\(quote(value))"
            }.joined(separator: " ")
        case .log(let level, let text): return "log \(level.word) \"\(text)\""
        case .fence(let node): return "fence \(node)"
        case .stopHeartbeats: return "stop-heartbeats"
        case .starveWatchdog: return "starve-watchdog"
        case .shutdownComplete: return "shutdown-complete"
        case .announce(let group, let addresses): return (["announce", group] + addresses.map(\.description)).joined(separator: " ")
        case .groupStateChanged: return nil
        case .runCheck(let run): return "check \(run.id) \(run.group) \(run.check.text)"
        case .cancelCheck(let id): return "cancel-check \(id)"
        }
    }

    static func quote(_ value: String) -> String {
        value.isEmpty || value.contains(" ") ? "\"\(value)\"" : value
    }

    /// A readable line diff: every line that differs, with its number.
    static func diff(expected: String, actual: String) -> String {
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let b = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [String] = []
        for i in 0..<max(a.count, b.count) {
            let left = i < a.count ? String(a[i]) : "<none>"
            let right = i < b.count ? String(b[i]) : "<none>"
            if left != right { out.append("line \(i + 1):\n  - \(left)\n  + \(right)") }
            if out.count >= 20 { out.append("…"); break }
        }
        return out.joined(separator: "\n")
    }
}
