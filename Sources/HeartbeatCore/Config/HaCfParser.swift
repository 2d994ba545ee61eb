/// `ha.cf` as read, before the cross-file checks of `ClusterConfig.validate`.
///
/// Every field that 3.0.6 derives later (warntime, initdead, deadping, udpport) stays nil here when
/// not written, so validation can derive it in one place. `lines` says where each directive was
/// last set, for diagnostics about relations between directives.
public struct HaCf: Sendable {
    public var nodes: [String] = []
    public var media: [Medium] = []
    /// Line of each entry in `media`.
    public var mediaLines: [Int] = []
    public var pingNodes: [PingNode] = []
    public var pingGroups: [PingGroup] = []
    public var udpport: Int?
    public var baud = 19200
    public var keepalive: Duration = .milliseconds(1000)
    public var deadtime: Duration = .milliseconds(30000)
    public var warntime: Duration?
    public var initdead: Duration?
    public var deadping: Duration?
    public var autoFailback: AutoFailback?
    public var niceFailback: Bool?
    public var watchdog: String?
    public var stonith: [StonithDirective] = []
    public var respawn: [RespawnEntry] = []
    /// Line of each entry in `respawn`.
    public var respawnLines: [Int] = []
    /// `arbitration on|off` (ours): built-in ping arbitration without an `ipfail` line.
    public var arbitration = false
    /// `isolation_guard on|off` (ours): a node reaching no ping node neither takes nor keeps groups.
    public var isolationGuard = true
    public var apiAuth: [APIAuth] = []
    public var logging = LoggingSettings()
    /// nil when `use_logd` is not written (3.0.6 then decides from the other logging directives).
    public var useLogd: Bool?
    public var debug = 0
    public var logBadPackets = true
    public var realtime = true
    public var rtprio: Int?
    public var memreserve = 6500
    public var hbgenmethod = GenerationMethod.file
    public var msgfmt = MessageFormat.classic
    public var hopfudge = 1
    public var maxRexmitDelay: Duration = .milliseconds(250)
    public var compression = "zlib"
    public var compressionThreshold = 2
    public var coredumps = true
    public var coreroot: String?
    public var environment: [EnvironmentSetting] = []
    public var cluster = "linux-ha"
    /// `autojoin` as written, lower-cased (`none`, `other`, `any`).
    public var autojoin = "none"
    /// `metrics_listen`: our extension; the Prometheus endpoint is off when nil.
    public var metricsEndpoint: MetricsEndpoint?
    /// Raw values of recorded directives, as written (last one wins).
    public var recorded: [String: String] = [:]
    /// Line where each directive was last given.
    public var lines: [String: Int] = [:]
    /// Problems found in this file alone.
    public var diagnostics: [Diagnostic] = []

    public init() {}
}

/// Reads `ha.cf` (spec §8). Unlike 3.0.6, directive order does not matter: `udpport` and `baud`
/// apply to every medium wherever they are written; we warn where a 3.0.6 node would read the
/// same file differently.
public struct HaCfParser {
    /// How a directive's line is split (spec §8).
    enum Shape {
        /// Every further token (split on space, tab, comma) is applied on its own.
        case options
        /// The rest of the line is the value.
        case wholeLine
    }

    static let directives: [String: Shape] = {
        var table: [String: Shape] = [:]
        for name in [
            "node", "keepalive", "deadtime", "deadping", "initdead", "warntime", "watchdog", "baud", "udpport",
            "logfacility", "logfile", "debugfile", "nice_failback", "auto_failback", "rtprio", "hbgenmethod",
            "realtime", "debug", "msgfmt", "use_logd", "conn_logd_time", "use_apphbd", "log_badpack", "coredumps",
            "coreroot", "pacemaker", "crm", "autojoin", "uuidfrom", "compression", "compression_threshold",
            "traditional_compression", "env", "max_rexmit_delay", "record_config_changes",
            "record_pengine_inputs", "enable_config_writes", "memreserve", "quorum_server", "cluster", "hopfudge",
            "syslogmsgfmt", "crm_daemon_dir", "crmd_spawns_pengine", "bcast", "udp", "serial", "ping", "ping6",
            "metrics_listen",
            "arbitration", "isolation_guard",
        ] { table[name] = .options }
        for name in [
            "stonith", "stonith_host", "apiauth", "respawn", "failfast", "ucast", "ucast6", "mcast", "mcast6",
            "ping_group",
        ] { table[name] = .wholeLine }
        return table
    }()

    /// Directives whose value 3.0.6 records for `cl_status hbparameter` and `HA_<name>` (spec §6.4).
    static let recordedDirectives: Set<String> = [
        "hopfudge", "keepalive", "deadtime", "deadping", "initdead", "warntime", "watchdog", "baud", "udpport",
        "logfacility", "logfile", "debugfile", "auto_failback", "rtprio", "hbgenmethod", "realtime", "debug",
        "msgfmt", "use_logd", "conn_logd_time", "log_badpack", "coredumps", "coreroot", "pacemaker", "autojoin",
        "uuidfrom", "compression", "compression_threshold", "traditional_compression", "max_rexmit_delay",
        "record_config_changes", "record_pengine_inputs", "enable_config_writes", "memreserve", "quorum_server",
        "cluster", "syslogmsgfmt", "crm_daemon_dir", "crmd_spawns_pengine", "arbitration", "isolation_guard",
    ]

    /// Directives that keep one value; giving one twice is worth a warning. (`baud` and `watchdog`
    /// given twice are errors of their own, as in 3.0.6.)
    static let scalarDirectives: Set<String> = recordedDirectives.union(["nice_failback", "use_apphbd"])
        .subtracting(["baud", "watchdog"])

    /// Plugins 3.0.6 knows of but the packaged build does not ship (spec §8).
    static let unshippedMedia: Set<String> = ["normalpoll", "hbaping", "tipc", "rds"]

    static let delimiters: Set<Character> = [" ", "\t", ",", "\u{0C}"]
    static let whitespace: Set<Character> = [" ", "\t", "\u{0C}"]

    let file: String
    var result = HaCf()

    /// - Parameter file: the path used in diagnostics, e.g. `/etc/ha.d/ha.cf`.
    public init(file: String) {
        self.file = file
    }

    /// Parses the whole text; problems are in the result's `diagnostics`.
    public static func parse(_ text: String, file: String) -> HaCf {
        var parser = HaCfParser(file: file)
        let (text, notes) = ConfigText.normalized(text, file: file)
        parser.result.diagnostics += notes
        for (index, line) in splitLines(text).enumerated() {
            parser.parseLine(line, number: index + 1)
        }
        parser.checkOrderDependencies()
        return parser.result
    }

    /// Splits text into lines on `\n` or `\r\n` (Swift treats `\r\n` as one character).
    static func splitLines(_ text: String) -> [Substring] {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    mutating func parseLine(_ raw: Substring, number: Int) {
        // `#` anywhere starts a comment in ha.cf, even inside a whole-line directive (spec §8).
        var text = raw.prefix { $0 != "#" }
        text = text.drop { Self.whitespace.contains($0) || $0 == "\r" }
        while let last = text.last, Self.whitespace.contains(last) || last == "\r" { text = text.dropLast() }
        guard !text.isEmpty else { return }

        var directive = String(text.prefix { !Self.whitespace.contains($0) })
        let rest = text.dropFirst(directive.count).drop { Self.delimiters.contains($0) }

        guard let shape = Self.directives[directive] else {
            unknown(directive, line: number)
            return
        }
        if directive == "udp" {
            warning(number, "directive 'udp' is an old name of 'bcast'; it is read as 'bcast'",
                    hint: "write `bcast \(rest)` instead")
            directive = "bcast"
        }
        if directive == "crm" { directive = "pacemaker" }

        switch shape {
        case .wholeLine:
            applyWholeLine(directive, String(rest), line: number)
        case .options:
            let values = rest.split(whereSeparator: { Self.delimiters.contains($0) }).map(String.init)
            if values.isEmpty {
                error(number, "directive '\(directive)' has no value", hint: "give a value, or remove the line")
            }
            if Self.scalarDirectives.contains(directive) {
                if values.count > 1 {
                    warning(number, "'\(directive)' given \(values.count) values; only the last (\(values.last!)) is used",
                            hint: "give one value")
                } else if let earlier = result.lines[directive], !values.isEmpty {
                    warning(number, "'\(directive)' was already set on line \(earlier); this line overrides it",
                            hint: "keep only one '\(directive)' line")
                }
            }
            for value in values {
                applyOption(directive, value, line: number)
            }
        }
    }

    mutating func unknown(_ directive: String, line: Int) {
        let hint: String
        if Self.directives[directive.lowercased()] != nil {
            hint = "directive names are lower case: write '\(directive.lowercased())'"
        } else if Self.unshippedMedia.contains(directive) {
            hint = "3.0.6 as packaged does not ship this plugin either; remove the line"
        } else {
            hint = "check the spelling against ha.cf(5), or remove the line"
        }
        error(line, "Illegal directive [\(directive)] in \(file)", hint: hint)
    }

    // MARK: option directives

    mutating func applyOption(_ directive: String, _ value: String, line: Int) {
        var accepted = true
        switch directive {
        case "node":
            addNode(value, line: line)
        case "keepalive":
            if let time = time(directive, value, line: line) {
                if time > .zero { result.keepalive = time } else { positiveTime(directive, value, line) }
            } else { accepted = false }
        case "deadtime":
            if let time = time(directive, value, line: line) { result.deadtime = time } else { accepted = false }
        case "warntime":
            if let time = time(directive, value, line: line) {
                if time > .zero { result.warntime = time } else { positiveTime(directive, value, line) }
            } else { accepted = false }
        case "initdead":
            if let time = time(directive, value, line: line) { result.initdead = time } else { accepted = false }
        case "deadping":
            if let time = time(directive, value, line: line) { result.deadping = time } else { accepted = false }
        case "conn_logd_time":
            if let time = time(directive, value, line: line) {
                if time > .zero { result.logging.connLogdTime = time } else { positiveTime(directive, value, line) }
            } else { accepted = false }
        case "udpport":
            if let port = ConfigValues.integer(value), (1...65535).contains(port) {
                result.udpport = port
            } else {
                error(line, "invalid port [\(value)] for udpport", hint: "use a UDP port number from 1 to 65535")
                accepted = false
            }
        case "baud":
            if let earlier = result.lines["baud"] {
                // 3.0.6 refuses a second `baud` ("Baudrate multiply specified").
                error(line, "baud rate given twice (also on line \(earlier))", hint: "keep one 'baud' line")
            }
            if let rate = ConfigValues.integer(value), ConfigValues.baudRates.contains(rate) {
                result.baud = rate
            } else {
                error(line, "invalid baudrate [\(value)]",
                      hint: "use one of 9600, 19200, 38400, 57600, 115200, 230400, 460800")
                accepted = false
            }
        case "watchdog":
            if let earlier = result.lines["watchdog"] {
                error(line, "Watchdog device multiply specified (also on line \(earlier))",
                      hint: "keep one 'watchdog' line")
            }
            if value.hasPrefix("/") {
                result.watchdog = value
            } else {
                error(line, "watchdog device [\(value)] is not an absolute path", hint: "write e.g. 'watchdog /dev/watchdog'")
                accepted = false
            }
        case "auto_failback":
            if let on = ConfigValues.boolean(value) {
                result.autoFailback = on ? .on : .off
            } else if value.lowercased() == "legacy" {
                result.autoFailback = .legacy
            } else {
                error(line, "invalid auto_failback value [\(value)]", hint: "use on, off or legacy")
                accepted = false
            }
        case "nice_failback":
            if let flag = ConfigValues.boolean(value) {
                result.niceFailback = flag
            } else {
                error(line, "invalid nice_failback value [\(value)]", hint: "replace it with 'auto_failback on' or 'off'")
            }
        case "hopfudge":
            accepted = integer(directive, value, in: 0...255, line: line) { $0.result.hopfudge = $1 }
        case "debug":
            accepted = integer(directive, value, in: 0...255, line: line) { $0.result.debug = $1 }
        case "rtprio":
            // Linux SCHED_FIFO priorities (sched_get_priority_min/max).
            accepted = integer(directive, value, in: 1...99, line: line) { $0.result.rtprio = $1 }
        case "memreserve":
            accepted = integer(directive, value, in: 0...Int(Int32.max), line: line) { $0.result.memreserve = $1 }
        case "compression_threshold":
            accepted = integer(directive, value, in: 1...Int(Int32.max) / 1024, line: line) {
                $0.result.compressionThreshold = $1
            }
        case "max_rexmit_delay":
            accepted = integer(directive, value, in: 1...Int(Int32.max), line: line) {
                $0.result.maxRexmitDelay = .milliseconds($1)
            }
        case "realtime":
            accepted = boolean(directive, value, line: line) { $0.result.realtime = $1 }
        case "arbitration":
            accepted = boolean(directive, value, line: line) { $0.result.arbitration = $1 }
        case "isolation_guard":
            accepted = boolean(directive, value, line: line) { $0.result.isolationGuard = $1 }
        case "log_badpack":
            accepted = boolean(directive, value, line: line) { $0.result.logBadPackets = $1 }
        case "coredumps":
            accepted = boolean(directive, value, line: line) { $0.result.coredumps = $1 }
        case "syslogmsgfmt":
            accepted = boolean(directive, value, line: line) { $0.result.logging.syslogFormat = $1 }
        case "use_logd":
            accepted = boolean(directive, value, line: line) { $0.result.useLogd = $1 }
        case "traditional_compression":
            accepted = boolean(directive, value, line: line) { parser, on in
                if on {
                    parser.unsupported(line, "'traditional_compression on'",
                                       hint: "remove the line (the default is off)")
                }
            }
        case "use_apphbd":
            accepted = boolean(directive, value, line: line) { parser, on in
                if on { parser.unsupported(line, "registering with apphbd (use_apphbd)", hint: "remove the line") }
            }
        case "record_config_changes", "record_pengine_inputs", "enable_config_writes", "crmd_spawns_pengine":
            accepted = boolean(directive, value, line: line) { parser, _ in
                parser.pacemakerOnly(directive, line: line)
            }
        case "crm_daemon_dir":
            pacemakerOnly(directive, line: line)
        case "pacemaker":
            let word = value.lowercased()
            if ConfigValues.boolean(word) == false {
                break
            } else if ConfigValues.boolean(word) == true
                || ["respawn", "minimal", "manual", "ccm-only", "valgrind"].contains(word)
            {
                unsupported(line, "Pacemaker resource management ('pacemaker \(value)')",
                            hint: "use haresources (v1 mode): set 'pacemaker off' or remove the line")
            } else {
                error(line, "invalid pacemaker value [\(value)]", hint: "use off (this implementation runs haresources only)")
                accepted = false
            }
        case "quorum_server":
            unsupported(line, "'quorum_server'", hint: "remove the line; v1 clusters do not use a quorum server")
        case "hbgenmethod":
            if let method = GenerationMethod(rawValue: value) {
                result.hbgenmethod = method
            } else {
                error(line, "Illegal hb generation method [\(value)]", hint: "use file or time")
                accepted = false
            }
        case "msgfmt":
            if let format = MessageFormat(rawValue: value) {
                result.msgfmt = format
            } else {
                error(line, "invalid msgfmt [\(value)]", hint: "use classic or netstring")
                accepted = false
            }
        case "compression":
            if ["zlib", "bz2"].contains(value) {
                result.compression = value
            } else {
                error(line, "unknown compression module [\(value)]", hint: "use zlib or bz2")
                accepted = false
            }
        case "autojoin":
            let word = value.lowercased()
            if ["none", "other", "any"].contains(word) {
                result.autojoin = word
            } else {
                error(line, "invalid autojoin value [\(value)]", hint: "use none")
                accepted = false
            }
        case "uuidfrom":
            if value == "file" {
                break
            } else if value == "nodename" {
                unsupported(line, "'uuidfrom nodename'",
                            hint: "remove the line; the UUID is then kept in the state directory's hb_uuid")
            } else {
                error(line, "invalid uuidfrom value [\(value)]", hint: "use file")
                accepted = false
            }
        case "cluster":
            result.cluster = value
        case "metrics_listen":
            switch MetricsEndpoint.parse(value) {
            case .success(let endpoint):
                result.metricsEndpoint = endpoint
                warning(line, "metrics_listen is an extension of this implementation; a 3.0.6 node refuses to start with it",
                        hint: "keep it out of an ha.cf shared with 3.0.6 nodes")
            case .failure(let failure):
                error(line, "invalid metrics_listen [\(value)]", hint: failure.reason)
                accepted = false
            }
        case "coreroot":
            if value.hasPrefix("/") {
                result.coreroot = value
            } else {
                error(line, "core dump root [\(value)] is not an absolute path", hint: "write an absolute directory")
                accepted = false
            }
        case "logfile":
            result.logging.logfile = value
        case "debugfile":
            result.logging.debugfile = value
        case "logfacility":
            if ConfigValues.syslogFacilities.contains(value) {
                result.logging.facility = value == "none" ? nil : value
            } else {
                error(line, "Log facility(\(value)) not valid", hint: "use a syslog facility such as daemon or local0, or none")
                accepted = false
            }
        case "env":
            if let equals = value.firstIndex(of: "="), equals != value.startIndex {
                result.environment.append(
                    EnvironmentSetting(name: String(value[..<equals]), value: String(value[value.index(after: equals)...])))
            } else {
                error(line, "invalid env setting [\(value)]", hint: "write 'env NAME=value'")
                accepted = false
            }
        case "bcast":
            if checkInterface(value, line: line) { addMedium(.bcast(interface: value), line: line) }
        case "serial":
            if value.hasPrefix("/") {
                addMedium(.serial(device: value), line: line)
            } else {
                error(line, "serial device [\(value)] is not an absolute path", hint: "write e.g. 'serial /dev/ttyS0'")
            }
        case "ping":
            addPingNode(PingNode(name: value.lowercased(), family: .ipv4), line: line)
        case "ping6":
            addPingNode(PingNode(name: value.lowercased(), family: .ipv6), line: line)
        default:
            accepted = false
        }
        result.lines[directive] = line
        if accepted, Self.recordedDirectives.contains(directive) {
            result.recorded[directive] = value
        }
    }

    mutating func addNode(_ value: String, line: Int) {
        let name = value.lowercased()
        // 3.0.6 keeps names in a 100-byte buffer (HOSTLENG).
        if name.utf8.count >= 100 {
            error(line, "node name [\(value)] is too long", hint: "node names must be shorter than 100 bytes")
        } else if result.nodes.contains(name) {
            warning(line, "node [\(name)] is listed twice", hint: "remove the duplicate")
        } else if result.pingNodes.contains(where: { $0.name == name }) || result.pingGroups.contains(where: { $0.name == name }) {
            error(line, "[\(name)] is both a node and a ping node", hint: "a ping node must not be a cluster node")
        } else {
            result.nodes.append(name)
        }
    }

    mutating func addPingNode(_ node: PingNode, line: Int) {
        if result.nodes.contains(node.name) || result.pingGroups.contains(where: { $0.name == node.name }) {
            error(line, "ping node [\(node.name)] is also a node or ping group", hint: "don't use a cluster node as ping node")
        } else if result.pingNodes.contains(where: { $0.name == node.name }) {
            warning(line, "ping node [\(node.name)] is listed twice", hint: "remove the duplicate")
        } else {
            result.pingNodes.append(node)
        }
    }

    mutating func addMedium(_ medium: Medium, line: Int) {
        result.media.append(medium)
        result.mediaLines.append(line)
    }

    mutating func checkInterface(_ name: String, line: Int) -> Bool {
        // Linux interface names are at most 15 bytes (IFNAMSIZ - 1).
        if name.isEmpty || name.utf8.count > 15 || name.contains("/") {
            error(line, "invalid interface name [\(name)]", hint: "use an interface name such as eth0")
            return false
        }
        return true
    }

    mutating func time(_ directive: String, _ value: String, line: Int) -> Duration? {
        guard let time = ConfigValues.time(value) else {
            error(line, "invalid time [\(value)] for \(directive)",
                  hint: "write seconds (e.g. 30 or 1.5) or milliseconds (e.g. 1500ms), with no space before the unit")
            return nil
        }
        if time.usedSecondsSuffix {
            warning(line, "time [\(value)] uses the 's' suffix, which a 3.0.6 node's config would reject",
                    hint: "write plain seconds ('\(value.prefix { $0.isNumber || $0 == "." })') so the file works on 3.0.6 nodes too")
        }
        return time.duration
    }

    mutating func positiveTime(_ directive: String, _ value: String, _ line: Int) {
        error(line, "\(directive) [\(value)] must be greater than zero", hint: "give a time above 0")
    }

    mutating func integer(
        _ directive: String, _ value: String, in range: ClosedRange<Int>, line: Int, set: (inout HaCfParser, Int) -> Void
    ) -> Bool {
        guard let number = ConfigValues.integer(value), range.contains(number) else {
            error(line, "invalid \(directive) [\(value)]", hint: "use a whole number from \(range.lowerBound) to \(range.upperBound)")
            return false
        }
        set(&self, number)
        return true
    }

    mutating func boolean(_ directive: String, _ value: String, line: Int, set: (inout HaCfParser, Bool) -> Void) -> Bool {
        guard let flag = ConfigValues.boolean(value) else {
            error(line, "invalid \(directive) value [\(value)]", hint: "use true/on/yes or false/off/no")
            return false
        }
        set(&self, flag)
        return true
    }

    mutating func pacemakerOnly(_ directive: String, line: Int) {
        warning(line, "'\(directive)' only affects Pacemaker, which this implementation does not run; it has no effect",
                hint: "remove the line")
    }

    mutating func unsupported(_ line: Int, _ what: String, hint: String) {
        error(line, "\(what) is not supported by this implementation", hint: hint)
    }

    // MARK: whole-line directives

    mutating func applyWholeLine(_ directive: String, _ rest: String, line: Int) {
        let words = rest.split(whereSeparator: { Self.whitespace.contains($0) }).map(String.init)
        result.lines[directive] = line
        switch directive {
        case "ucast", "ucast6":
            guard words.count >= 2 else {
                error(line, "\(directive) needs an interface and a peer address",
                      hint: "write '\(directive) <interface> <peer address>'")
                return
            }
            if words.count > 2 {
                warning(line, "\(directive) takes one peer per line; [\(words.dropFirst(2).joined(separator: " "))] is ignored",
                        hint: "write one '\(directive) \(words[0]) <peer>' line per peer")
            }
            guard checkInterface(words[0], line: line) else { return }
            if directive == "ucast" {
                if ConfigValues.ipv6(words[1]) != nil {
                    error(line, "ucast peer [\(words[1])] is an IPv6 address", hint: "use ucast6 for IPv6 peers")
                    return
                }
                addMedium(.ucast(interface: words[0], peer: words[1]), line: line)
            } else {
                let address = words[1].prefix { $0 != "%" }
                guard ConfigValues.ipv6(String(address)) != nil else {
                    error(line, "invalid IPv6 address [\(words[1])]", hint: "write e.g. 'ucast6 eth1 fe80::1%eth1'")
                    return
                }
                let scope = words[1].drop { $0 != "%" }.dropFirst()
                if !scope.isEmpty, scope != words[0] {
                    error(line, "scope [%\(scope)] does not match interface [\(words[0])]",
                          hint: "write '%\(words[0])' or leave the scope off")
                    return
                }
                addMedium(.ucast6(interface: words[0], peer: words[1]), line: line)
            }
        case "mcast", "mcast6":
            parseMulticast(directive, words, line: line)
        case "ping_group":
            guard words.count >= 2 else {
                error(line, "ping_group needs a name and at least one host", hint: "write 'ping_group <name> <host> [<host>…]'")
                return
            }
            let name = words[0].lowercased()
            if result.nodes.contains(name) || result.pingNodes.contains(where: { $0.name == name })
                || result.pingGroups.contains(where: { $0.name == name })
            {
                error(line, "ping_group name [\(name)] is already used by a node or ping node", hint: "choose another name")
                return
            }
            result.pingGroups.append(PingGroup(name: name, hosts: words.dropFirst().map { $0.lowercased() }))
        case "stonith":
            guard words.count >= 2 else {
                error(line, "stonith needs a device type and its config file", hint: "write 'stonith <type> <configfile>'")
                return
            }
            let parameters = rest.drop { Self.whitespace.contains($0) }.dropFirst(words[0].count)
                .drop { Self.whitespace.contains($0) }
            result.stonith.append(StonithDirective(host: nil, type: words[0], parameters: String(parameters), line: line))
        case "stonith_host":
            guard words.count >= 2 else {
                error(line, "stonith_host needs a host (or *) and a device type",
                      hint: "write 'stonith_host <host|*> <type> <params…>'")
                return
            }
            var parameters = rest.drop { Self.whitespace.contains($0) }.dropFirst(words[0].count)
            parameters = parameters.drop { Self.whitespace.contains($0) }.dropFirst(words[1].count)
            parameters = parameters.drop { Self.whitespace.contains($0) }
            result.stonith.append(
                StonithDirective(host: words[0].lowercased(), type: words[1], parameters: String(parameters), line: line))
        case "respawn", "failfast":
            guard words.count >= 2 else {
                error(line, "\(directive) needs a user and a command", hint: "write '\(directive) <user> /absolute/path [args]'")
                return
            }
            let command = rest.drop { Self.whitespace.contains($0) }.dropFirst(words[0].count)
                .drop { Self.whitespace.contains($0) }
            guard words[1].hasPrefix("/") else {
                error(line, "Client child command [\(command)] is not full pathname",
                      hint: "write the program as an absolute path")
                return
            }
            result.respawn.append(
                RespawnEntry(user: words[0], command: String(command), path: words[1], failfast: directive == "failfast"))
            result.respawnLines.append(line)
        case "apiauth":
            parseAPIAuth(words, line: line)
        default:
            break
        }
    }

    mutating func parseMulticast(_ directive: String, _ words: [String], line: Int) {
        let v6 = directive == "mcast6"
        let usage = "write '\(directive) <interface> <group> <port> <\(v6 ? "hops" : "ttl")> <loop>'"
        guard words.count >= 5 else {
            error(line, "\(directive) needs five values", hint: usage)
            return
        }
        if words.count > 5 {
            warning(line, "extra values after \(directive) loop [\(words.dropFirst(5).joined(separator: " "))] are ignored",
                    hint: usage)
        }
        var good = checkInterface(words[0], line: line)
        let group = words[1]
        if v6 {
            if let bytes = ConfigValues.ipv6(group) {
                if bytes[0] != 0xff {
                    error(line, "[\(group)] is not an IPv6 multicast address", hint: "use an address in ff00::/8, e.g. ff12::1:2:3:4")
                    good = false
                }
            } else {
                error(line, "invalid IPv6 multicast group [\(group)]", hint: "use an address in ff00::/8, e.g. ff12::1:2:3:4")
                good = false
            }
        } else {
            if let octets = ConfigValues.ipv4(group) {
                if !(224...239).contains(octets[0]) {
                    error(line, "[\(group)] is not a multicast address", hint: "use an address in 224.0.0.0/4, e.g. 239.192.0.1")
                    good = false
                }
            } else {
                error(line, "invalid multicast group [\(group)]", hint: "use an address in 224.0.0.0/4, e.g. 239.192.0.1")
                good = false
            }
        }
        let port = ConfigValues.integer(words[2])
        if port == nil || !(1...65535).contains(port!) {
            error(line, "invalid \(directive) port [\(words[2])]", hint: "use a UDP port number from 1 to 65535")
            good = false
        }
        let ttl = ConfigValues.integer(words[3])
        let ttlName = v6 ? "hops" : "ttl"
        if ttl == nil || !(0...255).contains(ttl!) {
            error(line, "invalid \(directive) \(ttlName) [\(words[3])]", hint: "use 0 to 4 (1 for the local subnet)")
            good = false
        } else if ttl! > 4 {
            // 3.0.6's plugin refuses anything above 4 although its man page allows 255 (spec §10.9).
            warning(line, "\(directive) \(ttlName) \(ttl!) is above 4, which a 3.0.6 node's config would reject",
                    hint: "use 1 to 4 if 3.0.6 nodes share this file")
        }
        let loop = ConfigValues.integer(words[4])
        if loop == nil || loop! > 1 {
            error(line, "invalid \(directive) loop [\(words[4])]", hint: "use 0 or 1 (0 is recommended)")
            good = false
        }
        guard good, let port, let ttl, let loop else { return }
        if v6 {
            addMedium(.mcast6(interface: words[0], group: group, port: port, hops: ttl, loop: loop == 1), line: line)
        } else {
            addMedium(.mcast(interface: words[0], group: group, port: port, ttl: ttl, loop: loop == 1), line: line)
        }
    }

    mutating func parseAPIAuth(_ words: [String], line: Int) {
        let usage = "write 'apiauth <client> [uid=u1,u2] [gid=g1,g2]' with at least one list"
        guard let client = words.first else {
            error(line, "apiauth needs a client name", hint: usage)
            return
        }
        var uids: [String]?
        var gids: [String]?
        for word in words.dropFirst() {
            let list = word.dropFirst(4).split(separator: ",").map(String.init)
            if word.hasPrefix("uid="), uids == nil {
                uids = list
            } else if word.hasPrefix("gid="), gids == nil {
                gids = list
            } else {
                error(line, "Invalid apiauth directive [\(words.joined(separator: " "))]: unexpected [\(word)]", hint: usage)
                return
            }
        }
        guard uids != nil || gids != nil else {
            error(line, "apiauth for [\(client)] has neither uid= nor gid=", hint: usage)
            return
        }
        if result.apiAuth.contains(where: { $0.client == client }) {
            error(line, "Duplicate apiauth directive for API client \(client)", hint: "merge the lists into one line")
            return
        }
        result.apiAuth.append(APIAuth(client: client, uids: uids ?? [], gids: gids ?? []))
    }

    // MARK: order

    /// 3.0.6 reads `udpport` and `baud` when it creates a medium, so media written above them use the
    /// defaults there. We apply them everywhere, and warn when the two readings differ.
    mutating func checkOrderDependencies() {
        if let portLine = result.lines["udpport"], let port = result.udpport, port != 694 {
            for (medium, line) in zip(result.media, result.mediaLines) where line < portLine {
                switch medium {
                case .bcast, .ucast, .ucast6:
                    warning(line, "this medium comes before 'udpport \(port)' (line \(portLine)); a 3.0.6 node would use port 694 for it",
                            hint: "move the udpport line above the media lines")
                default: break
                }
            }
        }
        if let baudLine = result.lines["baud"], result.baud != 19200 {
            for (medium, line) in zip(result.media, result.mediaLines) where line < baudLine {
                if case .serial = medium {
                    warning(line, "this serial line comes before 'baud \(result.baud)' (line \(baudLine)); a 3.0.6 node would use 19200 for it",
                            hint: "move the baud line above the serial lines")
                }
            }
        }
    }

    // MARK: diagnostics

    mutating func error(_ line: Int, _ message: String, hint: String) {
        result.diagnostics.append(Diagnostic(.error, file: file, line: line, message, hint: hint))
    }

    mutating func warning(_ line: Int, _ message: String, hint: String) {
        result.diagnostics.append(Diagnostic(.warning, file: file, line: line, message, hint: hint))
    }
}
