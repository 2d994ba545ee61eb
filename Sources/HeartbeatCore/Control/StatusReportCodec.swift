/// The text form of a `StatusReport` on the control socket.
///
/// One record per line, fields separated by tabs; inside a field `\` `tab` `LF` `CR` are written
/// as `\\` `\t` `\n` `\r`, so any name survives. The first line names the format and its version,
/// the last line is `end`, so a truncated reply is detected rather than half-read:
///
///     heartbeat-status 2
///     version   <text>
///     local     <node name>
///     managed   <haresources|...>
///     timing    <keepalive ms> <deadtime ms>
///     resources <none|local|foreign|all|transition>
///     node      <name> <normal|ping> <status> <weight> <site> <generation|-> <late max ms|-> <late p99 ms|-> <last heard ms|->
///     link      <name> <up|dead>                (belongs to the node line above it)
///     digest    <configuration digest>          (belongs to the node line above it)
///     group     <key> <preferred node> <owner|-> <state> <reason> <transition age ms|-> <scripts ms|->
///     health    <state> <consecutive failures> <fail count> <restarts left|-> <hold-down left ms|-> <restarts> <moves>
///                                               (a monitored group's, after its group line; version 2)
///     eligible  <node> <1|0>                    (belongs to the health line above it)
///     check     <line> <check> <passed|failed|timedOut|-> <detail> <latency ms|-> <age ms|-> <next in ms|->
///               <passed> <failed> <timed out> <latency sum µs> <latency bucket counts, comma-separated>
///                                               (belongs to the health line above it)
///     param     <name> <value>
///     rejected  <reason> <count>
///     client    <node> <client> <online|offline|join|leave>
///     end
///
/// Unknown record kinds are errors: the daemon and its tools ship together, and a new record
/// means a new format version.
extension StatusReport {
    public static let formatVersion = 2
    /// Every report on the socket is at most this long; a larger one is refused by both ends.
    public static let maxEncodedBytes = 1 << 20

    private static let header = "heartbeat-status"

    public func encoded() -> String {
        var lines: [[String]] = [
            [Self.header + " \(Self.formatVersion)"],
            ["version", version],
            ["local", localNode],
            ["managed", managedBy],
            ["timing", String(keepaliveMs), String(deadtimeMs)],
            ["resources", resources.rawValue],
        ]
        for node in nodes {
            lines.append([
                "node", node.name, node.type.rawValue, node.status.rawValue, String(node.weight), node.site,
                optional(node.generation), optional(node.lateHeartbeat?.maxIntervalMs),
                optional(node.lateHeartbeat?.p99IntervalMs), optional(node.lastHeardAgeMs),
            ])
            for link in node.links {
                lines.append(["link", link.name, link.status.rawValue])
            }
            if let digest = node.configDigest { lines.append(["digest", digest]) }
        }
        for group in groups {
            lines.append([
                "group", group.key, group.preferredNode, group.owner ?? "-", group.state, group.reason,
                optional(group.lastTransitionAgeMs), optional(group.lastScriptsMs),
            ])
            lines += Self.healthRecords(group.health)
        }
        for name in parameters.keys.sorted() {
            lines.append(["param", name, parameters[name]!])
        }
        for reason in rejectedPackets.keys.sorted() {
            lines.append(["rejected", reason, String(rejectedPackets[reason]!)])
        }
        for client in clients {
            lines.append(["client", client.node, client.client, client.status.rawValue])
        }
        lines.append(["end"])
        // The header is written raw: it contains a space, not a tab, and nothing to escape.
        var text = lines[0][0] + "\n"
        for fields in lines.dropFirst() {
            text += fields.map(StatusReportEscaping.escape).joined(separator: "\t") + "\n"
        }
        return text
    }

    /// Nothing for an unmonitored group, so a cluster without `monitors` sends what it always did.
    private static func healthRecords(_ health: Health) -> [[String]] {
        guard health.state != .unmonitored else { return [] }
        var lines = [[
            "health", health.state.rawValue, String(health.consecutiveFailures), String(health.failCount),
            optional(health.restartsLeft), optional(health.holddownLeftMs), String(health.restarts), String(health.moves),
        ]]
        for entry in health.eligibility { lines.append(["eligible", entry.node, entry.eligible ? "1" : "0"]) }
        for check in health.checks {
            lines.append([
                "check", String(check.line), check.check, check.lastResult ?? "-", check.lastDetail,
                optional(check.lastLatencyMs), optional(check.lastAgeMs), optional(check.nextInMs),
                String(check.counts.passed), String(check.counts.failed), String(check.counts.timedOut),
                String(check.counts.latencies.sum.nanoseconds / 1000),
                check.counts.latencies.counts.map(String.init).joined(separator: ","),
            ])
        }
        return lines
    }

    public init(decoding bytes: [UInt8]) throws(StatusReportDecodingError) {
        guard bytes.count <= Self.maxEncodedBytes else { throw .tooLarge(bytes: bytes.count) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notUTF8 }
        try self.init(decodingText: text)
    }

    public init(decoding text: String) throws(StatusReportDecodingError) {
        guard text.utf8.count <= Self.maxEncodedBytes else { throw .tooLarge(bytes: text.utf8.count) }
        try self.init(decodingText: text)
    }

    private init(decodingText text: String) throws(StatusReportDecodingError) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // A complete report ends with "end\n": splitting leaves one empty piece after it.
        guard lines.last == "" else { throw .truncated }
        lines.removeLast()
        guard let first = lines.first, first.hasPrefix(Self.header + " ") else { throw .missingHeader }
        let versionText = String(first.dropFirst(Self.header.count + 1))
        guard versionText == String(Self.formatVersion) else { throw .unsupportedVersion(versionText) }
        guard lines.count >= 2, lines.last == "end" else { throw .truncated }

        var builder = Builder()
        for (index, line) in lines.enumerated().dropFirst().dropLast() {
            let number = index + 1
            var fields: [String] = []
            for raw in line.split(separator: "\t", omittingEmptySubsequences: false) {
                guard let field = StatusReportEscaping.unescape(raw) else {
                    throw .malformedLine(line: number, reason: "bad escape")
                }
                fields.append(field)
            }
            try builder.add(fields, line: number)
        }
        self = try builder.finish()
    }
}

/// Why a status report could not be read. Each case says enough to find the fault in a bug report.
public enum StatusReportDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooLarge(bytes: Int)
    case notUTF8
    case missingHeader
    case unsupportedVersion(String)
    /// The reply stopped before its `end` line.
    case truncated
    case malformedLine(line: Int, reason: String)
    case missingRecord(String)

    public var description: String {
        switch self {
        case .tooLarge(let bytes): "status report too large (\(bytes) bytes, limit \(StatusReport.maxEncodedBytes))"
        case .notUTF8: "status report is not UTF-8"
        case .missingHeader: "not a status report (no header line)"
        case .unsupportedVersion(let version): "unsupported status report version \(version)"
        case .truncated: "status report truncated"
        case .malformedLine(let line, let reason): "status report line \(line): \(reason)"
        case .missingRecord(let kind): "status report lacks its \(kind) record"
        }
    }
}

private func optional<T: BinaryInteger>(_ value: T?) -> String {
    value.map { String($0) } ?? "-"
}

/// Field escaping for the status format: the four characters that would break a line or a field.
enum StatusReportEscaping {
    static func escape(_ field: String) -> String {
        var out = ""
        out.reserveCapacity(field.utf8.count)
        for scalar in field.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Nil for a dangling or unknown escape, or a raw CR (never written by `escape`).
    static func unescape(_ field: Substring) -> String? {
        var out = ""
        var escaping = false
        for scalar in field.unicodeScalars {
            if escaping {
                switch scalar {
                case "\\": out += "\\"
                case "t": out += "\t"
                case "n": out += "\n"
                case "r": out += "\r"
                default: return nil
                }
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else if scalar == "\r" {
                return nil
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return escaping ? nil : out
    }
}

/// Collects decoded records, checking arity, enum values and numbers, and that singletons appear once.
private struct Builder {
    var version: String?
    var localNode: String?
    var managedBy: String?
    var timing: (Int64, Int64)?
    var resources: StatusReport.ResourceStatus?
    var nodes: [StatusReport.Node] = []
    var parameters: [String: String] = [:]
    var rejected: [String: UInt64] = [:]
    var clients: [StatusReport.Client] = []
    var groups: [StatusReport.Group] = []

    mutating func add(_ fields: [String], line: Int) throws(StatusReportDecodingError) {
        func fail(_ reason: String) -> StatusReportDecodingError { .malformedLine(line: line, reason: reason) }
        func expect(_ count: Int) throws(StatusReportDecodingError) {
            guard fields.count == count else { throw fail("\(fields[0]) needs \(count - 1) fields, has \(fields.count - 1)") }
        }
        func once<T>(_ slot: T?) throws(StatusReportDecodingError) {
            guard slot == nil else { throw fail("repeated \(fields[0]) record") }
        }
        func value<E: RawRepresentable>(_ type: E.Type, _ index: Int) throws(StatusReportDecodingError) -> E
        where E.RawValue == String {
            guard let value = E(rawValue: fields[index]) else { throw fail("bad value \"\(fields[index])\"") }
            return value
        }
        func number<N: FixedWidthInteger>(_ type: N.Type, _ index: Int) throws(StatusReportDecodingError) -> N {
            guard let value = N(fields[index], radix: 10) else { throw fail("bad number \"\(fields[index])\"") }
            return value
        }
        func optionalNumber<N: FixedWidthInteger>(_ type: N.Type, _ index: Int) throws(StatusReportDecodingError) -> N? {
            fields[index] == "-" ? nil : try number(type, index)
        }

        switch fields[0] {
        case "version":
            try expect(2); try once(version); version = fields[1]
        case "local":
            try expect(2); try once(localNode); localNode = fields[1]
        case "managed":
            try expect(2); try once(managedBy); managedBy = fields[1]
        case "timing":
            try expect(3); try once(timing)
            timing = (try number(Int64.self, 1), try number(Int64.self, 2))
        case "resources":
            try expect(2); try once(resources)
            resources = try value(StatusReport.ResourceStatus.self, 1)
        case "node":
            try expect(10)
            let maxLate = try optionalNumber(Int64.self, 7)
            let p99Late = try optionalNumber(Int64.self, 8)
            guard (maxLate == nil) == (p99Late == nil) else { throw fail("late-heartbeat max and p99 must come together") }
            nodes.append(StatusReport.Node(
                name: fields[1], type: try value(StatusReport.NodeType.self, 2),
                status: try value(StatusReport.NodeStatus.self, 3), weight: try number(Int.self, 4),
                site: fields[5], generation: try optionalNumber(UInt64.self, 6),
                lateHeartbeat: maxLate.map { StatusReport.LateHeartbeat(maxIntervalMs: $0, p99IntervalMs: p99Late!) },
                lastHeardAgeMs: try optionalNumber(Int64.self, 9)))
        case "link":
            try expect(3)
            guard !nodes.isEmpty else { throw fail("link before any node") }
            nodes[nodes.count - 1].links.append(
                StatusReport.Link(name: fields[1], status: try value(StatusReport.LinkStatus.self, 2)))
        case "digest":
            try expect(2)
            guard !nodes.isEmpty else { throw fail("digest before any node") }
            guard nodes[nodes.count - 1].configDigest == nil else { throw fail("repeated digest") }
            nodes[nodes.count - 1].configDigest = fields[1]
        case "group":
            try expect(8)
            groups.append(StatusReport.Group(
                key: fields[1], preferredNode: fields[2], owner: fields[3] == "-" ? nil : fields[3],
                state: fields[4], reason: fields[5], lastTransitionAgeMs: try optionalNumber(Int64.self, 6),
                lastScriptsMs: try optionalNumber(Int64.self, 7)))
        case "health":
            try expect(8)
            guard let last = groups.indices.last else { throw fail("health before any group") }
            guard groups[last].health.state == .unmonitored else { throw fail("repeated health") }
            let state = try value(StatusReport.HealthStatus.self, 1)
            guard state != .unmonitored else { throw fail("health of an unmonitored group") }
            groups[last].health = StatusReport.Health(
                state: state, consecutiveFailures: try number(Int.self, 2), failCount: try number(Int.self, 3),
                restartsLeft: try optionalNumber(Int.self, 4), holddownLeftMs: try optionalNumber(Int64.self, 5),
                restarts: try number(Int.self, 6), moves: try number(Int.self, 7))
        case "eligible":
            try expect(3)
            guard let last = groups.indices.last, groups[last].health.state != .unmonitored else { throw fail("eligible before any health") }
            guard fields[2] == "1" || fields[2] == "0" else { throw fail("bad value \"\(fields[2])\"") }
            groups[last].health.eligibility.append(StatusReport.Eligibility(node: fields[1], eligible: fields[2] == "1"))
        case "check":
            try expect(13)
            guard let last = groups.indices.last, groups[last].health.state != .unmonitored else { throw fail("check before any health") }
            let result = fields[3] == "-" ? nil : fields[3]
            guard result.map(["passed", "failed", "timedOut"].contains) ?? true else { throw fail("bad value \"\(fields[3])\"") }
            var buckets: [UInt64] = []
            for text in fields[12].split(separator: ",", omittingEmptySubsequences: false) {
                guard let count = UInt64(text, radix: 10) else { throw fail("bad bucket counts") }
                buckets.append(count)
            }
            guard let latencies = IntervalHistogram(counts: buckets, sum: .microseconds(try number(Int64.self, 11))) else {
                throw fail("bad bucket counts")
            }
            groups[last].health.checks.append(StatusReport.Check(
                line: try number(Int.self, 1), check: fields[2], lastResult: result, lastDetail: fields[4],
                lastLatencyMs: try optionalNumber(Int64.self, 5), lastAgeMs: try optionalNumber(Int64.self, 6),
                nextInMs: try optionalNumber(Int64.self, 7),
                counts: CheckCounts(passed: try number(Int.self, 8), failed: try number(Int.self, 9),
                                    timedOut: try number(Int.self, 10), latencies: latencies)))
        case "param":
            try expect(3)
            guard parameters[fields[1]] == nil else { throw fail("repeated parameter \(fields[1])") }
            parameters[fields[1]] = fields[2]
        case "rejected":
            try expect(3)
            guard rejected[fields[1]] == nil else { throw fail("repeated counter \(fields[1])") }
            rejected[fields[1]] = try number(UInt64.self, 2)
        case "client":
            try expect(4)
            clients.append(StatusReport.Client(node: fields[1], client: fields[2],
                                               status: try value(StatusReport.ClientStatus.self, 3)))
        default:
            throw fail("unknown record \"\(fields[0])\"")
        }
    }

    func finish() throws(StatusReportDecodingError) -> StatusReport {
        guard let version else { throw .missingRecord("version") }
        guard let localNode else { throw .missingRecord("local") }
        guard let managedBy else { throw .missingRecord("managed") }
        guard let timing else { throw .missingRecord("timing") }
        guard let resources else { throw .missingRecord("resources") }
        return StatusReport(version: version, localNode: localNode, managedBy: managedBy,
                            keepaliveMs: timing.0, deadtimeMs: timing.1, nodes: nodes, resources: resources,
                            parameters: parameters, rejectedPackets: rejected, clients: clients, groups: groups)
    }
}
