/// Where the built-in Prometheus endpoint listens (`metrics_listen` in ha.cf; off when unset).
/// Only loopback or a Unix socket: the endpoint has no authentication, and the cluster's
/// state is nobody else's business.
public enum MetricsEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 loopback address (127.0.0.0/8) and port.
    case tcp(address: String, port: Int)
    /// An absolute path for a Unix stream socket.
    case unix(path: String)

    /// `127.0.0.1:9873` or `/run/heartbeat/metrics.sock`; nil with the reason otherwise.
    public static func parse(_ text: String) -> Result<MetricsEndpoint, MetricsEndpointError> {
        if text.hasPrefix("/") { return .success(.unix(path: text)) }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port),
              let octets = ConfigValues.ipv4(String(text[..<colon]))
        else { return .failure(MetricsEndpointError(text: text, reason: "write ADDRESS:PORT (e.g. 127.0.0.1:9873) or an absolute socket path")) }
        guard octets[0] == 127 else {
            return .failure(MetricsEndpointError(text: text, reason: "the metrics endpoint has no authentication, so it listens on loopback (127.x.x.x) or a Unix socket only"))
        }
        return .success(.tcp(address: String(text[..<colon]), port: port))
    }

    public var description: String {
        switch self {
        case .tcp(let address, let port): "\(address):\(port)"
        case .unix(let path): path
        }
    }
}

public struct MetricsEndpointError: Error, Sendable, Hashable {
    public var text: String
    public var reason: String
}

/// What the metrics remember between scrapes that a status report does not hold: failovers seen
/// and resource script durations. Fed by the daemon; rendered with a fresh status report.
public struct MetricsState: Sendable {
    /// Each group's last non-empty owner, to see it move.
    private var lastOwner: [String: String] = [:]
    public private(set) var failovers: [String: UInt64] = [:]
    /// Resource script durations by operation (`start`, `stop`, `status`, `event`).
    public private(set) var scriptDurations: [String: IntervalHistogram] = [:]

    public init() {}

    /// A group that changes hands from one node to another (possibly through a moment with no
    /// owner) counts one failover.
    public mutating func observe(_ report: StatusReport) {
        for group in report.groups {
            guard let owner = group.owner else { continue }
            if let previous = lastOwner[group.key], previous != owner { failovers[group.key, default: 0] += 1 }
            lastOwner[group.key] = owner
            if failovers[group.key] == nil { failovers[group.key] = 0 }
        }
    }

    public mutating func scriptFinished(operation: String, duration: Duration) {
        scriptDurations[operation, default: IntervalHistogram()].record(duration)
    }

    /// The Prometheus text exposition format, version 0.0.4. `heartbeats` holds each peer's
    /// interval statistics from membership.
    public func text(_ report: StatusReport, heartbeats: [String: LateHeartbeatStats]) -> String {
        var out = MetricsText()
        out.family("heartbeat_node_up", "gauge", "1 while the node (or ping node) is alive.")
        for node in report.nodes {
            out.sample("heartbeat_node_up", ["node": node.name, "type": node.type.rawValue], node.status.isAlive ? 1 : 0)
        }
        out.family("heartbeat_node_status", "gauge", "The node's status as cl_status nodestatus prints it; 1 for the current one.")
        for node in report.nodes {
            for status in NodeStatus.allCases {
                out.sample("heartbeat_node_status", ["node": node.name, "status": status.rawValue], node.status == status ? 1 : 0)
            }
        }
        out.family("heartbeat_link_up", "gauge", "1 while heartbeats from the node arrive on this link.")
        for node in report.nodes {
            for link in node.links {
                out.sample("heartbeat_link_up", ["node": node.name, "link": link.name], link.status == .up ? 1 : 0)
            }
        }
        out.family("heartbeat_heartbeat_interval_seconds", "histogram", "Time between successive heartbeats from each peer.")
        for node in report.nodes {
            guard let stats = heartbeats[node.name], stats.samples > 0 else { continue }
            out.histogram("heartbeat_heartbeat_interval_seconds", ["node": node.name], stats.histogram)
        }
        out.family("heartbeat_late_heartbeats_total", "counter", "Heartbeats that arrived after warntime.")
        for node in report.nodes {
            guard let stats = heartbeats[node.name], stats.samples > 0 else { continue }
            out.sample("heartbeat_late_heartbeats_total", ["node": node.name], Double(stats.lateCount))
        }
        out.family("heartbeat_rejected_packets_total", "counter", "Packets refused before membership, by reason.")
        for (reason, count) in report.rejectedPackets.sorted(by: { $0.key < $1.key }) {
            out.sample("heartbeat_rejected_packets_total", ["reason": reason], Double(count))
        }
        out.family("heartbeat_group_held", "gauge", "1 for the node that holds each resource group.")
        for group in report.groups {
            out.sample("heartbeat_group_held", ["group": group.key, "node": group.owner ?? ""], group.owner == nil ? 0 : 1)
        }
        out.family("heartbeat_failovers_total", "counter", "Times a resource group moved from one node to another, as seen by this node.")
        for (group, count) in failovers.sorted(by: { $0.key < $1.key }) {
            out.sample("heartbeat_failovers_total", ["group": group], Double(count))
        }
        out.family("heartbeat_script_duration_seconds", "histogram", "Resource and event script run times, by operation.")
        for (operation, histogram) in scriptDurations.sorted(by: { $0.key < $1.key }) {
            out.histogram("heartbeat_script_duration_seconds", ["operation": operation], histogram)
        }
        monitorMetrics(report, into: &out)
        return out.text
    }

    /// The `monitors` file's figures; no family at all without monitored groups.
    private func monitorMetrics(_ report: StatusReport, into out: inout MetricsText) {
        let monitored = report.groups.filter { $0.health.state != .unmonitored }
        guard !monitored.isEmpty else { return }
        out.family("heartbeat_monitor_checks_total", "counter", "Monitor checks run on this node, by group, check and result.")
        for group in monitored {
            for check in group.health.checks {
                for (result, count) in [("passed", check.counts.passed), ("failed", check.counts.failed), ("timedOut", check.counts.timedOut)] {
                    out.sample("heartbeat_monitor_checks_total", ["group": group.key, "check": check.check, "result": result], Double(count))
                }
            }
        }
        out.family("heartbeat_monitor_check_duration_seconds", "histogram", "How long monitor checks took (a timed-out one: its timeout).")
        for group in monitored {
            for check in group.health.checks {
                out.histogram("heartbeat_monitor_check_duration_seconds", ["group": group.key, "check": check.check], check.counts.latencies)
            }
        }
        out.family("heartbeat_monitor_fail_count", "gauge", "Failures of the group on this node within its window.")
        for group in monitored {
            out.sample("heartbeat_monitor_fail_count", ["group": group.key], Double(group.health.failCount))
        }
        out.family("heartbeat_monitor_restarts_total", "counter", "Restarts in place of the group by its monitors on this node.")
        for group in monitored {
            out.sample("heartbeat_monitor_restarts_total", ["group": group.key], Double(group.health.restarts))
        }
        out.family("heartbeat_monitor_moves_total", "counter", "Moves of the group away from this node by its monitors.")
        for group in monitored {
            out.sample("heartbeat_monitor_moves_total", ["group": group.key], Double(group.health.moves))
        }
        out.family("heartbeat_group_healthy", "gauge", "0 while a check of the group fails (or has not risen again) here, else 1.")
        for group in monitored {
            let unhealthy = group.health.state == .failing || group.health.state == .recovering
            out.sample("heartbeat_group_healthy", ["group": group.key], unhealthy ? 0 : 1)
        }
    }
}

/// Builds exposition text: `# HELP`/`# TYPE` once per family, escaped label values.
struct MetricsText {
    var text = ""

    mutating func family(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, _ labels: [String: String], _ value: Double) {
        text += name + Self.labels(labels) + " " + Self.number(value) + "\n"
    }

    mutating func histogram(_ name: String, _ labels: [String: String], _ histogram: IntervalHistogram) {
        var cumulative: UInt64 = 0
        for (index, bound) in IntervalHistogram.bounds.enumerated() {
            cumulative += histogram.counts[index]
            var withBound = labels
            withBound["le"] = Self.number(Double(bound) / 1000)
            sample(name + "_bucket", withBound, Double(cumulative))
        }
        var infinite = labels
        infinite["le"] = "+Inf"
        sample(name + "_bucket", infinite, Double(histogram.count))
        sample(name + "_sum", labels, Double(histogram.sum.components.seconds) + Double(histogram.sum.components.attoseconds) / 1e18)
        sample(name + "_count", labels, Double(histogram.count))
    }

    static func labels(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        // `le` last, as Prometheus prints it; the rest by name, so output is stable.
        let names = labels.keys.filter { $0 != "le" }.sorted() + (labels["le"] == nil ? [] : ["le"])
        return "{" + names.map { "\($0)=\"\(escape(labels[$0]!))\"" }.joined(separator: ",") + "}"
    }

    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// Integers without a fraction; others in plain decimal.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// The endpoint's whole HTTP: one GET per connection, answered in HTTP/1.0 and closed.
public enum MetricsHTTP {
    /// A request head larger than this is refused (no legitimate scraper sends one).
    public static let maxRequestBytes = 8192

    /// The response to the bytes received so far, or nil while the request head is incomplete.
    /// `body` is only called for a scrape.
    public static func response(to request: [UInt8], body: () -> String) -> [UInt8]? {
        guard let headEnd = endOfHead(request) else {
            return request.count > maxRequestBytes ? reply(431, "Request Header Fields Too Large", "request too large\n") : nil
        }
        let head = String(decoding: request[..<headEnd], as: UTF8.self)
        // Swift reads "\r\n" as one Character, which isNewline covers.
        let requestLine = head.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return reply(400, "Bad Request", "bad request\n") }
        guard parts[0] == "GET" || parts[0] == "HEAD" else { return reply(405, "Method Not Allowed", "only GET\n") }
        let path = parts[1].split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        guard path == "/metrics" || path == "/" else { return reply(404, "Not Found", "try /metrics\n") }
        var response = reply(200, "OK", body(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        if parts[0] == "HEAD", let split = endOfHead(response) { response = Array(response[..<split]) }
        return response
    }

    /// Index just past the blank line ending the head (`\r\n\r\n` or a bare `\n\n`).
    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { return index + 2 }
                if index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "\r"), bytes[index + 2] == UInt8(ascii: "\n") {
                    return index + 3
                }
            }
            index += 1
        }
        return nil
    }

    static func reply(_ code: Int, _ reason: String, _ body: String, contentType: String = "text/plain; charset=utf-8") -> [UInt8] {
        let bytes = Array(body.utf8)
        let head = "HTTP/1.0 \(code) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + bytes
    }
}
