import HeartbeatCore

/// What happened, step by step: the last `SimLimits.traceLength` entries for the failure report,
/// and a running FNV-1a hash over every entry for the determinism check. Entries are cheap
/// values; they become text only when printed.
struct Trace {
    enum Entry {
        case deliver(node: Int, link: String, message: Message, duplicate: Bool)
        case tick(node: Int)
        case script(node: Int, ScriptRun)
        case scriptEnd(node: Int, ScriptRun, exitCode: Int32?, output: String)
        case log(node: Int, LogLevel, String)
        case fault(String)
        case check(node: Int, CheckRun)
        case checkEnd(node: Int, CheckRun, CheckOutcome)
    }

    /// Every entry, and apart from them those that are not routine (heartbeats, ACKs, ticks),
    /// which reach further back.
    private var ring = Ring(capacity: SimLimits.traceLength)
    private var notable = Ring(capacity: SimLimits.traceLength)
    private(set) var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    private(set) var steps = 0

    mutating func record(_ entry: Entry, at time: Instant) {
        ring.append(time, entry)
        if !Self.isRoutine(entry) { notable.append(time, entry) }
        steps += 1
        mix(UInt64(bitPattern: time.nanoseconds))
        switch entry {
        case .deliver(let node, let link, let message, let duplicate):
            mix(1); mix(UInt64(node)); mix(UInt64(link.utf8.count)); mix(UInt64(message.fields.count)); mix(duplicate ? 1 : 0)
        case .tick(let node):
            mix(2); mix(UInt64(node))
        case .script(let node, let run):
            mix(3); mix(UInt64(node)); mix(run.id)
        case .scriptEnd(let node, let run, let code, _):
            mix(4); mix(UInt64(node)); mix(run.id); mix(UInt64(bitPattern: Int64(code ?? -1)))
        case .log(let node, _, let text):
            mix(5); mix(UInt64(node)); for byte in text.utf8 { mix(UInt64(byte)) }
        case .fault(let text):
            mix(6); for byte in text.utf8 { mix(UInt64(byte)) }
        case .check(let node, let run):
            mix(7); mix(UInt64(node)); mix(run.id)
        case .checkEnd(let node, let run, let outcome):
            mix(8); mix(UInt64(node)); mix(run.id)
            switch outcome {
            case .passed(let latency): mix(1); mix(UInt64(bitPattern: latency.nanoseconds))
            case .failed(let latency, _): mix(2); mix(UInt64(bitPattern: latency.nanoseconds))
            case .timedOut: mix(3)
            }
        }
    }

    private mutating func mix(_ value: UInt64) {
        hash = (hash ^ value) &* 0x0000_0100_0000_01B3
    }

    /// The notable entries, then the last few of all, oldest first, one line each.
    var lines: [String] {
        notable.lines + ["-- the last \(SimLimits.traceTail) events of all --"] + ring.lines.suffix(SimLimits.traceTail)
    }

    private static let routineTypes = (status: Array(MessageType.status.rawValue.utf8), ack: Array(MessageType.ack.rawValue.utf8))

    static func isRoutine(_ entry: Entry) -> Bool {
        switch entry {
        case .tick: return true
        case .deliver(_, _, let message, _):
            guard let type = message.first(named: "t"), case .string(let bytes) = type.value else { return false }
            return bytes == routineTypes.status || bytes == routineTypes.ack
        case .log(_, let level, _): return level > .notice
        case .check: return true
        case .checkEnd(_, _, let outcome): return !outcome.isFailure
        case .script, .scriptEnd, .fault: return false
        }
    }

    struct Ring {
        private var slots: [(Instant, Entry)?]
        private var next = 0

        init(capacity: Int) { slots = Array(repeating: nil, count: capacity) }

        mutating func append(_ time: Instant, _ entry: Entry) {
            slots[next] = (time, entry)
            next = (next + 1) % slots.count
        }

        var lines: [String] {
            (0..<slots.count).compactMap { slots[(next + $0) % slots.count] }.map { time, entry in
                "\(time) \(Trace.render(entry))"
            }
        }
    }

    static func render(_ entry: Entry) -> String {
        switch entry {
        case .deliver(let node, let link, let message, let duplicate):
            let fields = message.fields.filter { !["srcuuid", "destuuid"].contains($0.name) }.map { field -> String in
                if case .string(let bytes) = field.value { return "\(field.name)=\(String(decoding: bytes, as: UTF8.self))" }
                return field.name
            }
            return "\(SimConfig.nodeName(node)) <-\(link)\(duplicate ? " (dup)" : "") \(fields.joined(separator: " "))"
        case .tick(let node):
            return "\(SimConfig.nodeName(node)) tick"
        case .script(let node, let run):
            return "\(SimConfig.nodeName(node)) run #\(run.id) \(run.resource.token) \(run.operation.rawValue)"
        case .scriptEnd(let node, let run, let code, let output):
            let result = code.map { "exit \($0)" } ?? "timed out"
            return "\(SimConfig.nodeName(node)) end #\(run.id) \(run.resource.token) \(run.operation.rawValue): \(result) \(output)"
        case .log(let node, let level, let text):
            return "\(SimConfig.nodeName(node)) log \(level): \(text)"
        case .fault(let text):
            return "FAULT \(text)"
        case .check(let node, let run):
            return "\(SimConfig.nodeName(node)) check #\(run.id) \(run.group) line \(run.monitor)"
        case .checkEnd(let node, let run, let outcome):
            return "\(SimConfig.nodeName(node)) check #\(run.id) \(run.group): \(outcome.simText)"
        }
    }
}
