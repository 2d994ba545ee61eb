/// The ha.cf directives that have a fixed default, as 3.0.6 lists them with `heartbeat -D`.
public enum HeartbeatDefaults {
    public struct Entry: Sendable, Hashable {
        public var directive: String
        public var value: String
        public var description: String
    }

    /// In 3.0.6's order (these are facts read from `heartbeat -D`).
    public static let table: [Entry] = [
        Entry(directive: "cluster", value: "linux-ha", description: "the name of cluster"),
        Entry(directive: "hopfudge", value: "1", description: "# of hops above cluster size"),
        Entry(directive: "keepalive", value: "1000ms", description: "keepalive time"),
        Entry(directive: "deadtime", value: "30000ms", description: "node deadtime"),
        Entry(directive: "baud", value: "19200", description: "baud rate"),
        Entry(directive: "auto_failback", value: "legacy", description: "auto failback"),
        Entry(directive: "hbgenmethod", value: "file", description: "protocol generation computation method"),
        Entry(directive: "realtime", value: "true", description: "enable realtime behavior?"),
        Entry(directive: "msgfmt", value: "classic", description: "message format in the wire"),
        Entry(directive: "conn_logd_time", value: "60", description: "the interval to reconnect to logd"),
        Entry(directive: "log_badpack", value: "true", description: "warn about bad packets"),
        Entry(directive: "syslogmsgfmt", value: "true", description: "log to files in syslog format"),
        Entry(directive: "coredumps", value: "true", description: "enable Linux-HA core dumps"),
        Entry(directive: "pacemaker", value: "false", description: "enable Pacemaker resource management"),
        Entry(directive: "autojoin", value: "none", description: "set automatic join mode/style"),
        Entry(directive: "uuidfrom", value: "file", description: "set the source for uuid"),
        Entry(directive: "compression", value: "zlib", description: "set compression module"),
        Entry(directive: "compression_threshold", value: "2", description: "set compression threshold"),
        Entry(directive: "traditional_compression", value: "no", description: "set traditional_compression"),
        Entry(directive: "max_rexmit_delay", value: "250", description: "set the maximum rexmit delay time"),
        Entry(directive: "record_config_changes", value: "on",
              description: "record changes to the cib (valid only with: pacemaker on)"),
        Entry(directive: "record_pengine_inputs", value: "on",
              description: "record the input used by the policy engine (valid only with: pacemaker on)"),
        Entry(directive: "enable_config_writes", value: "on",
              description: "write configuration changes to disk (valid only with: pacemaker on)"),
        Entry(directive: "memreserve", value: "6500", description: "number of kbytes to preallocate in heartbeat"),
    ]

    /// Exactly what `heartbeat -D` prints: a header, a rule of dashes, one padded row per directive.
    /// Columns are as wide as their longest entry plus two spaces; the rule is capped at 80 dashes.
    public static var text: String {
        let nameWidth = max("Directive".count, table.map(\.directive.count).max() ?? 0)
        let valueWidth = max("Default".count, table.map(\.value.count).max() ?? 0)
        let descriptionWidth = max("Description".count, table.map(\.description.count).max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: width - text.count) }
        var lines = [pad("Directive", nameWidth) + "  " + pad("Default", valueWidth) + "  Description"]
        lines.append(String(repeating: "-", count: min(80, nameWidth + valueWidth + descriptionWidth + 4)))
        for entry in table {
            lines.append(pad(entry.directive, nameWidth) + "  " + pad(entry.value, valueWidth) + "  " + entry.description)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
