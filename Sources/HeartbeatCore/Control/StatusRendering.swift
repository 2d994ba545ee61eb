/// What `hbctl status` prints: a table for people and JSON for programs.
extension StatusReport {
    /// The human view: one line per node with what an admin checks first when a cluster misbehaves
    /// (who is up, which links are dead, how late heartbeats have been — spec §5.5, §10.1), then
    /// rejected-packet counters (§10.10) and this node's resources (§6.10).
    public func humanTable() -> String {
        var text = "Heartbeat \(version)\n"
        text += "Local node \(localNode), resources managed by \(managedBy)"
        text += ", keepalive \(keepaliveMs) ms, deadtime \(deadtimeMs) ms\n"
        text += "This node holds: \(resources.rawValue)\n\n"

        var rows = [["NODE", "TYPE", "STATE", "GENERATION", "LINKS", "LATE MAX", "LATE P99", "LAST HEARD"]]
        for node in nodes {
            rows.append([
                node.name, node.type.rawValue, node.status.rawValue, node.generation.map { String($0) } ?? "-",
                node.links.isEmpty ? "-" : node.links.map { "\($0.name):\($0.status.rawValue)" }.joined(separator: " "),
                node.lateHeartbeat.map { "\($0.maxIntervalMs) ms" } ?? "-",
                node.lateHeartbeat.map { "\($0.p99IntervalMs) ms" } ?? "-",
                node.lastHeardAgeMs.map { "\($0) ms ago" } ?? "never",
            ])
        }
        text += table(rows.map { $0.map(printable) })

        if !groups.isEmpty {
            var groupRows = [["GROUP", "PREFERRED", "OWNER", "STATE", "LAST CHANGE", "SCRIPTS", "REASON"]]
            for group in groups {
                groupRows.append([
                    group.key, group.preferredNode, group.owner ?? "-", group.state,
                    group.lastTransitionAgeMs.map { "\($0) ms ago" } ?? "-", group.lastScriptsMs.map { "\($0) ms" } ?? "-",
                    group.reason,
                ])
            }
            text += "\n" + table(groupRows.map { $0.map(printable) })
        }
        text += monitorTable()
        for name in configMismatches {
            text += "\nCONFIGURATION MISMATCH: \(printable(name)) advertises haresources/auth digest "
                + "\(node(named: name)?.configDigest ?? "?"), ours is \(node(named: localNode)?.configDigest ?? "?")\n"
        }
        if rejectedPackets.isEmpty {
            text += "\nRejected packets: none\n"
        } else {
            text += "\nRejected packets:\n"
            text += table(rejectedPackets.keys.sorted().map { ["  " + printable($0), String(rejectedPackets[$0]!)] })
        }
        if !clients.isEmpty {
            text += "\nClients:\n"
            text += table(clients.map { ["  " + printable($0.node), printable($0.client), $0.status.rawValue] })
        }
        return text
    }

    /// The machine view, one JSON object and a newline; docs/status-json.md is the reference. Schema 2:
    ///
    ///     {
    ///       "schema": 2, "schema_version": 2,
    ///       "version": string, "localNode": string, "managedBy": string,
    ///       "keepaliveMs": int, "deadtimeMs": int,
    ///       "resources": "none" | "local" | "foreign" | "all" | "transition",
    ///       "nodes": [ {                                  // configuration order
    ///         "name": string, "type": "normal" | "ping",
    ///         "status": "init" | "up" | "active" | "dead" | "ping",
    ///         "weight": int, "site": string, "generation": int | null,
    ///         "links": [ { "name": string, "status": "up" | "dead" } ],
    ///         "lateHeartbeat": { "maxMs": int, "p99Ms": int } | null,
    ///         "lastHeardAgeMs": int | null,
    ///         "configDigest": string | null               // haresources + auth method digest
    ///       } ],
    ///       "groups": [ {                                 // haresources order
    ///         "key": string, "preferredNode": string, "owner": string | null,
    ///         "state": "stopped" | "starting" | "running" | "stopping" | "failed",
    ///         "reason": string, "lastTransitionAgeMs": int | null, "lastScriptsMs": int | null,
    ///         "health": {                                 // the `monitors` file's view (schema 2)
    ///           "state": "healthy" | "failing" | "recovering" | "unknown" | "paused" | "unmonitored",
    ///           "consecutiveFailures": int, "failCount": int, "restartsLeft": int | null,
    ///           "holddownLeftMs": int | null, "restarts": int, "moves": int,
    ///           "eligibility": [ { "node": string, "eligible": bool } ],
    ///           "checks": [ { "line": int, "check": string,
    ///                         "lastResult": "passed" | "failed" | "timedOut" | null, "lastDetail": string,
    ///                         "lastLatencyMs": int | null, "lastAgeMs": int | null, "nextInMs": int | null,
    ///                         "passed": int, "failed": int, "timedOut": int } ]
    ///         }
    ///       } ],
    ///       "configMismatches": [ string ],                // nodes whose digest differs from ours
    ///       "parameters": { name: string },               // as `cl_status hbparameter` prints them
    ///       "rejectedPackets": { reason: int },
    ///       "clients": [ { "node": string, "client": string,
    ///                      "status": "online" | "offline" | "join" | "leave" } ]
    ///     }
    ///
    /// Fields are only ever added within a schema number; a removal or a change of meaning bumps it.
    public func json() -> String {
        var out = JSONWriter()
        out.object {
            $0.field("schema") { $0.number(2) }
            // The name docs/status-json.md uses; "schema" stays for readers of the first release.
            $0.field("schema_version") { $0.number(2) }
            $0.field("version") { $0.string(version) }
            $0.field("localNode") { $0.string(localNode) }
            $0.field("managedBy") { $0.string(managedBy) }
            $0.field("keepaliveMs") { $0.number(keepaliveMs) }
            $0.field("deadtimeMs") { $0.number(deadtimeMs) }
            $0.field("resources") { $0.string(resources.rawValue) }
            $0.field("nodes") {
                $0.array(nodes) { out, node in
                    out.object {
                        $0.field("name") { $0.string(node.name) }
                        $0.field("type") { $0.string(node.type.rawValue) }
                        $0.field("status") { $0.string(node.status.rawValue) }
                        $0.field("weight") { $0.number(node.weight) }
                        $0.field("site") { $0.string(node.site) }
                        $0.field("generation") { $0.optionalNumber(node.generation) }
                        $0.field("links") {
                            $0.array(node.links) { out, link in
                                out.object {
                                    $0.field("name") { $0.string(link.name) }
                                    $0.field("status") { $0.string(link.status.rawValue) }
                                }
                            }
                        }
                        $0.field("lateHeartbeat") {
                            if let late = node.lateHeartbeat {
                                $0.object {
                                    $0.field("maxMs") { $0.number(late.maxIntervalMs) }
                                    $0.field("p99Ms") { $0.number(late.p99IntervalMs) }
                                }
                            } else {
                                $0.null()
                            }
                        }
                        $0.field("lastHeardAgeMs") { $0.optionalNumber(node.lastHeardAgeMs) }
                        $0.field("configDigest") { out in
                            if let digest = node.configDigest { out.string(digest) } else { out.null() }
                        }
                    }
                }
            }
            $0.field("groups") {
                $0.array(groups) { out, group in
                    out.object {
                        $0.field("key") { $0.string(group.key) }
                        $0.field("preferredNode") { $0.string(group.preferredNode) }
                        $0.field("owner") { out in
                            if let owner = group.owner { out.string(owner) } else { out.null() }
                        }
                        $0.field("state") { $0.string(group.state) }
                        $0.field("reason") { $0.string(group.reason) }
                        $0.field("lastTransitionAgeMs") { $0.optionalNumber(group.lastTransitionAgeMs) }
                        $0.field("lastScriptsMs") { $0.optionalNumber(group.lastScriptsMs) }
                        $0.field("health") { $0.health(group.health) }
                    }
                }
            }
            $0.field("configMismatches") {
                $0.array(configMismatches) { out, name in out.string(name) }
            }
            $0.field("parameters") {
                $0.object {
                    for name in parameters.keys.sorted() {
                        $0.field(name) { $0.string(parameters[name]!) }
                    }
                }
            }
            $0.field("rejectedPackets") {
                $0.object {
                    for reason in rejectedPackets.keys.sorted() {
                        $0.field(reason) { $0.number(rejectedPackets[reason]!) }
                    }
                }
            }
            $0.field("clients") {
                $0.array(clients) { out, client in
                    out.object {
                        $0.field("node") { $0.string(client.node) }
                        $0.field("client") { $0.string(client.client) }
                        $0.field("status") { $0.string(client.status.rawValue) }
                    }
                }
            }
        }
        return out.text + "\n"
    }
}

extension StatusReport {
    /// Monitored groups, then their checks, after the group table; nothing without `monitors`.
    func monitorTable() -> String {
        let monitored = groups.filter { $0.health.state != .unmonitored }
        guard !monitored.isEmpty else { return "" }
        var rows = [["MONITORED", "HEALTH", "IN A ROW", "FAIL COUNT", "RESTARTS LEFT", "ELIGIBLE", "HOLD-DOWN"]]
        var checks: [[String]] = []
        for group in monitored {
            let health = group.health
            rows.append([
                group.key, health.state.rawValue, String(health.consecutiveFailures), String(health.failCount),
                health.restartsLeft.map { String($0) } ?? "-",
                health.eligibility.map { "\($0.node):\($0.eligible ? "yes" : "no")" }.joined(separator: " "),
                health.holddownLeftMs.map { "\($0) ms left" } ?? "-",
            ])
            for check in health.checks {
                let result = check.lastResult.map { $0 + (check.lastDetail.isEmpty ? "" : " (\(check.lastDetail))") } ?? "not run yet"
                let when = [check.lastLatencyMs.map { "took \($0) ms" }, check.lastAgeMs.map { "\($0) ms ago" },
                            check.nextInMs.map { "next in \($0) ms" }].compactMap { $0 }.joined(separator: ", ")
                // No empty last column: it would leave trailing blanks.
                checks.append(["  \(group.key) line \(check.line)", check.check, result] + (when.isEmpty ? [] : [when]))
            }
        }
        return "\n" + table(rows.map { $0.map(printable) }) + "\nChecks:\n" + table(checks.map { $0.map(printable) })
    }
}

/// Left-aligned columns two spaces apart; the last column is not padded.
private func table(_ rows: [[String]]) -> String {
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in rows {
        for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    var text = ""
    for row in rows {
        var line = ""
        for (index, cell) in row.enumerated() {
            line += cell
            if index < row.count - 1 { line += String(repeating: " ", count: widths[index] - cell.count + 2) }
        }
        text += line + "\n"
    }
    return text
}

/// Names come from config files and peers: control characters would break the table, so show them escaped.
private func printable(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\t": out += "\\t"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case _ where scalar.value < 0x20 || scalar.value == 0x7f: out += "\\x" + hex2(scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

private func hex2(_ value: UInt32) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(value >> 4) & 0xf], digits[Int(value) & 0xf]])
}

/// A minimal JSON writer: enough for the status document, with correct string escaping (RFC 8259 §7).
struct JSONWriter {
    private(set) var text = ""
    private var needsComma = false

    mutating func string(_ value: String) {
        text += JSONWriter.quoted(value)
        needsComma = true
    }

    mutating func number<N: BinaryInteger>(_ value: N) {
        text += String(value)
        needsComma = true
    }

    mutating func optionalNumber<N: BinaryInteger>(_ value: N?) {
        if let value { number(value) } else { null() }
    }

    mutating func bool(_ value: Bool) {
        text += value ? "true" : "false"
        needsComma = true
    }

    mutating func null() {
        text += "null"
        needsComma = true
    }

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        text += "{"
        needsComma = false
        body(&self)
        text += "}"
        needsComma = true
    }

    mutating func array<T>(_ items: [T], _ element: (inout JSONWriter, T) -> Void) {
        text += "["
        needsComma = false
        for item in items {
            if needsComma { text += "," }
            element(&self, item)
        }
        text += "]"
        needsComma = true
    }

    /// One `"key":value` member of the enclosing object.
    mutating func field(_ key: String, _ value: (inout JSONWriter) -> Void) {
        if needsComma { text += "," }
        text += JSONWriter.quoted(key) + ":"
        value(&self)
        needsComma = true
    }

    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            // U+2028/2029 are legal JSON but end lines in JavaScript; escaping them costs nothing.
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension JSONWriter {
    mutating func health(_ health: StatusReport.Health) {
        object {
            $0.field("state") { $0.string(health.state.rawValue) }
            $0.field("consecutiveFailures") { $0.number(health.consecutiveFailures) }
            $0.field("failCount") { $0.number(health.failCount) }
            $0.field("restartsLeft") { $0.optionalNumber(health.restartsLeft) }
            $0.field("holddownLeftMs") { $0.optionalNumber(health.holddownLeftMs) }
            $0.field("restarts") { $0.number(health.restarts) }
            $0.field("moves") { $0.number(health.moves) }
            $0.field("eligibility") {
                $0.array(health.eligibility) { out, entry in
                    out.object {
                        $0.field("node") { $0.string(entry.node) }
                        $0.field("eligible") { $0.bool(entry.eligible) }
                    }
                }
            }
            $0.field("checks") {
                $0.array(health.checks) { out, check in
                    out.object {
                        $0.field("line") { $0.number(check.line) }
                        $0.field("check") { $0.string(check.check) }
                        $0.field("lastResult") { out in
                            if let result = check.lastResult { out.string(result) } else { out.null() }
                        }
                        $0.field("lastDetail") { $0.string(check.lastDetail) }
                        $0.field("lastLatencyMs") { $0.optionalNumber(check.lastLatencyMs) }
                        $0.field("lastAgeMs") { $0.optionalNumber(check.lastAgeMs) }
                        $0.field("nextInMs") { $0.optionalNumber(check.nextInMs) }
                        $0.field("passed") { $0.number(check.counts.passed) }
                        $0.field("failed") { $0.number(check.counts.failed) }
                        $0.field("timedOut") { $0.number(check.counts.timedOut) }
                    }
                }
            }
        }
    }
}
