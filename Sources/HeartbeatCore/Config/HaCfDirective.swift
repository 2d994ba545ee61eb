/// One `ha.cf` directive: how its line is read and applied, its `heartbeat -D` default, whether
/// Heartbeat 3.0.6 knows it, and a line of documentation. `HaCfDirective.all` is the one list of
/// directives: the parser, `heartbeat -D`, the 3.0.6-compatibility warnings and the documentation
/// test (`docs/configuration.md`, `man/ha.cf.5`) all read it.
struct HaCfDirective: Sendable {
    /// Applies one value; false when the value is refused (it is then not recorded).
    typealias ApplyWord = @Sendable (_ parser: inout HaCfParser, _ name: String, _ value: String, _ line: Int) -> Bool
    /// Applies the rest of the line, also given split on whitespace.
    typealias ApplyLine = @Sendable (_ parser: inout HaCfParser, _ name: String, _ rest: String, _ words: [String], _ line: Int) -> Void

    /// How a directive's line is split (spec §8).
    enum Reading: Sendable {
        /// Every further token (split on space, tab, comma) is applied on its own.
        case eachWord(ApplyWord)
        /// The rest of the line is the value.
        case wholeLine(ApplyLine)
        /// Another name of `target`, read as it; `warns`: the old name is worth a warning.
        case alias(of: String, warns: Bool)
    }

    let name: String
    let reading: Reading
    /// 3.0.6 records the value as written, for `cl_status hbparameter` and `HA_<name>` (spec §6.4).
    var recorded = false
    /// The directive keeps one value, so a second value or line is worth a warning.
    var single = false
    /// The row `heartbeat -D` prints: the default as 3.0.6 writes it, and 3.0.6's description.
    var dashD: (value: String, description: String)?
    /// False for our extensions: a 3.0.6 node refuses an ha.cf that uses them.
    var knownTo306 = true
    /// What the directive is for; `docs/configuration.md` lists it in its directive index.
    let summary: String

    static let byName: [String: HaCfDirective] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Entries that have a `heartbeat -D` row come in the order 3.0.6 prints them.
    static let all: [HaCfDirective] = [
        list("node", "cluster members, as `uname -n` prints them (compared lower-cased)") { parser, _, value, line in
            parser.addNode(value, line: line)
            return true
        },
        list("bcast", "UDP broadcast on each interface named, to `udpport`") { parser, _, value, line in
            if parser.checkInterface(value, line: line) { parser.addMedium(.bcast(interface: value), line: line) }
            return true
        },
        HaCfDirective(name: "udp", reading: .alias(of: "bcast", warns: true), summary: "old name of `bcast`"),
        wholeLine("ucast", "UDP unicast to one peer through an interface") { $0.parseUnicast($1, $3, line: $4) },
        wholeLine("ucast6", "IPv6 unicast to one peer through an interface") { $0.parseUnicast($1, $3, line: $4) },
        wholeLine("mcast", "IPv4 multicast: interface, group, port, TTL, loop") { $0.parseMulticast($1, $3, line: $4) },
        wholeLine("mcast6", "IPv6 multicast: interface, group, port, hops, loop") { $0.parseMulticast($1, $3, line: $4) },
        list("serial", "heartbeats over each serial device named, at `baud`") { parser, _, value, line in
            if value.hasPrefix("/") {
                parser.addMedium(.serial(device: value), line: line)
            } else {
                parser.error(line, "serial device [\(value)] is not an absolute path", hint: "write e.g. 'serial /dev/ttyS0'")
            }
            return true
        },
        setting("udpport", "UDP port of bcast, ucast and ucast6 (default 694)") { parser, _, value, line in
            guard let port = ConfigValues.integer(value), (1...65535).contains(port) else {
                parser.error(line, "invalid port [\(value)] for udpport", hint: "use a UDP port number from 1 to 65535")
                return false
            }
            parser.result.udpport = port
            return true
        },
        list("ping", "IPv4 ping nodes: hosts answering ICMP echo, tracked like nodes") { parser, _, value, line in
            parser.addPingNode(PingNode(name: NodeName(value).rawValue, family: .ipv4), line: line)
            return true
        },
        list("ping6", "IPv6 ping nodes") { parser, _, value, line in
            parser.addPingNode(PingNode(name: NodeName(value).rawValue, family: .ipv6), line: line)
            return true
        },
        wholeLine("ping_group", "one ping node that is up while any of its hosts answers") { $0.parsePingGroup($3, line: $4) },
        setting("arbitration", "built-in ping arbitration without an `ipfail` line (default off)", knownTo306: false,
                boolean { $0.arbitration = $1 }),
        setting("isolation_guard", "a node reaching no ping node and no peer gives up its groups (default on)",
                knownTo306: false, boolean { $0.isolationGuard = $1 }),
        setting("cluster", "the cluster's name, informational", dashD: ("linux-ha", "the name of cluster")) {
            parser, _, value, _ in
            parser.result.cluster = value
            return true
        },
        setting("hopfudge", "added to the node count to make a message's time to live",
                dashD: ("1", "# of hops above cluster size"), integer(0...255) { $0.hopfudge = $1 }),
        setting("keepalive", "interval between heartbeats", dashD: ("1000ms", "keepalive time"),
                time(positive: true) { $0.keepalive = $1 }),
        setting("deadtime", "silence after which a node is declared dead", dashD: ("30000ms", "node deadtime"),
                time { $0.deadtime = $1 }),
        setting("warntime", "silence after which a late heartbeat is logged (default deadtime/2)",
                time(positive: true) { $0.warntime = $1 }),
        setting("initdead", "how long to wait for the other nodes after starting", time { $0.initdead = $1 }),
        setting("deadping", "dead time of ping nodes (default deadtime)", time { $0.deadping = $1 }),
        // 3.0.6 refuses a second `baud` ("Baudrate multiply specified"): an error, not a warning.
        setting("baud", "serial line speed", dashD: ("19200", "baud rate"), single: false) { parser, _, value, line in
            if let earlier = parser.result.lines["baud"] {
                parser.error(line, "baud rate given twice (also on line \(earlier))", hint: "keep one 'baud' line")
            }
            guard let rate = ConfigValues.integer(value), ConfigValues.baudRates.contains(rate) else {
                parser.error(line, "invalid baudrate [\(value)]", hint: "use one of 9600, 19200, 38400, 57600, 115200, 230400, 460800")
                return false
            }
            parser.result.baud = rate
            return true
        },
        setting("auto_failback", "whether groups move back to their preferred node: on, off or legacy",
                dashD: ("legacy", "auto failback")) { parser, _, value, line in
            if let on = ConfigValues.boolean(value) {
                parser.result.autoFailback = on ? .on : .off
            } else if value.lowercased() == "legacy" {
                parser.result.autoFailback = .legacy
            } else {
                parser.error(line, "invalid auto_failback value [\(value)]", hint: "use on, off or legacy")
                return false
            }
            return true
        },
        setting("nice_failback", "obsolete; read as auto_failback off (or legacy)", recorded: false) {
            parser, _, value, line in
            if let flag = ConfigValues.boolean(value) {
                parser.result.niceFailback = flag
            } else {
                parser.error(line, "invalid nice_failback value [\(value)]", hint: "replace it with 'auto_failback on' or 'off'")
            }
            return true
        },
        setting("hbgenmethod", "how the generation number survives restarts: file or time",
                dashD: ("file", "protocol generation computation method")) { parser, _, value, line in
            guard let method = GenerationMethod(rawValue: value) else {
                parser.error(line, "Illegal hb generation method [\(value)]", hint: "use file or time")
                return false
            }
            parser.result.hbgenmethod = method
            return true
        },
        setting("realtime", "realtime priority and locked memory", dashD: ("true", "enable realtime behavior?"),
                boolean { $0.realtime = $1 }),
        // Linux SCHED_FIFO priorities (sched_get_priority_min/max).
        setting("rtprio", "the realtime priority (default 50)", integer(1...99) { $0.rtprio = $1 }),
        setting("msgfmt", "message encoding: classic or netstring", dashD: ("classic", "message format in the wire")) {
            parser, _, value, line in
            guard let format = MessageFormat(rawValue: value) else {
                parser.error(line, "invalid msgfmt [\(value)]", hint: "use classic or netstring")
                return false
            }
            parser.result.msgfmt = format
            return true
        },
        setting("conn_logd_time", "how often to retry connecting to logd",
                dashD: ("60", "the interval to reconnect to logd"),
                time(positive: true) { $0.logging.connLogdTime = $1 }),
        setting("log_badpack", "log rejected packets", dashD: ("true", "warn about bad packets"),
                boolean { $0.logBadPackets = $1 }),
        setting("syslogmsgfmt", "write file log lines in syslog format", dashD: ("true", "log to files in syslog format"),
                boolean { $0.logging.syslogFormat = $1 }),
        setting("coredumps", "allow core dumps", dashD: ("true", "enable Linux-HA core dumps"),
                boolean { $0.coredumps = $1 }),
        setting("coreroot", "where core dumps go") { parser, _, value, line in
            guard value.hasPrefix("/") else {
                parser.error(line, "core dump root [\(value)] is not an absolute path", hint: "write an absolute directory")
                return false
            }
            parser.result.coreroot = value
            return true
        },
        setting("pacemaker", "hand resources to Pacemaker; only off is supported",
                dashD: ("false", "enable Pacemaker resource management")) { parser, _, value, line in
            let word = value.lowercased()
            if ConfigValues.boolean(word) == false { return true }
            guard ConfigValues.boolean(word) == true || ["respawn", "minimal", "manual", "ccm-only", "valgrind"].contains(word) else {
                parser.error(line, "invalid pacemaker value [\(value)]", hint: "use off (this implementation runs haresources only)")
                return false
            }
            parser.unsupported(line, "Pacemaker resource management ('pacemaker \(value)')",
                               hint: "use haresources (v1 mode): set 'pacemaker off' or remove the line")
            return true
        },
        HaCfDirective(name: "crm", reading: .alias(of: "pacemaker", warns: false), summary: "old name of `pacemaker`"),
        setting("autojoin", "whether unlisted nodes may join; only none is supported",
                dashD: ("none", "set automatic join mode/style")) { parser, _, value, line in
            let word = value.lowercased()
            guard ["none", "other", "any"].contains(word) else {
                parser.error(line, "invalid autojoin value [\(value)]", hint: "use none")
                return false
            }
            parser.result.autojoin = word
            return true
        },
        setting("uuidfrom", "where the node UUID comes from; only file is supported",
                dashD: ("file", "set the source for uuid")) { parser, _, value, line in
            if value == "nodename" {
                parser.unsupported(line, "'uuidfrom nodename'",
                                   hint: "remove the line; the UUID is then kept in the state directory's hb_uuid")
            } else if value != "file" {
                parser.error(line, "invalid uuidfrom value [\(value)]", hint: "use file")
                return false
            }
            return true
        },
        setting("compression", "compression of large messages: zlib or bz2", dashD: ("zlib", "set compression module")) {
            parser, _, value, line in
            guard ["zlib", "bz2"].contains(value) else {
                parser.error(line, "unknown compression module [\(value)]", hint: "use zlib or bz2")
                return false
            }
            parser.result.compression = value
            return true
        },
        setting("compression_threshold", "compress messages above this many kilobytes",
                dashD: ("2", "set compression threshold"),
                integer(1...Int(Int32.max) / 1024) { $0.compressionThreshold = $1 }),
        setting("traditional_compression", "compress whole messages; only off is supported",
                dashD: ("no", "set traditional_compression")) { parser, name, value, line in
            guard let on = parser.flag(name, value, line: line) else { return false }
            if on { parser.unsupported(line, "'traditional_compression on'", hint: "remove the line (the default is off)") }
            return true
        },
        setting("max_rexmit_delay", "upper bound in milliseconds of the delay before asking for a retransmission",
                dashD: ("250", "set the maximum rexmit delay time"),
                integer(1...Int(Int32.max)) { $0.maxRexmitDelay = .milliseconds($1) }),
        pacemakerOnly("record_config_changes", dashD: ("on", "record changes to the cib (valid only with: pacemaker on)")),
        pacemakerOnly("record_pengine_inputs",
                      dashD: ("on", "record the input used by the policy engine (valid only with: pacemaker on)")),
        pacemakerOnly("enable_config_writes",
                      dashD: ("on", "write configuration changes to disk (valid only with: pacemaker on)")),
        setting("memreserve", "kilobytes of memory to preallocate and lock",
                dashD: ("6500", "number of kbytes to preallocate in heartbeat"),
                integer(0...Int(Int32.max)) { $0.memreserve = $1 }),
        setting("crm_daemon_dir", "Pacemaker only; no effect") { parser, name, _, line in
            parser.pacemakerOnly(name, line: line)
            return true
        },
        pacemakerOnly("crmd_spawns_pengine"),
        setting("quorum_server", "not supported: v1 clusters use no quorum server") { parser, _, _, line in
            parser.unsupported(line, "'quorum_server'", hint: "remove the line; v1 clusters do not use a quorum server")
            return true
        },
        setting("use_apphbd", "register with apphbd; only off is supported", recorded: false) { parser, name, value, line in
            guard let on = parser.flag(name, value, line: line) else { return false }
            if on { parser.unsupported(line, "registering with apphbd (use_apphbd)", hint: "remove the line") }
            return true
        },
        setting("watchdog", "a watchdog device kept fed while the daemon runs", single: false) { parser, _, value, line in
            if let earlier = parser.result.lines["watchdog"] {
                parser.error(line, "Watchdog device multiply specified (also on line \(earlier))", hint: "keep one 'watchdog' line")
            }
            guard value.hasPrefix("/") else {
                parser.error(line, "watchdog device [\(value)] is not an absolute path", hint: "write e.g. 'watchdog /dev/watchdog'")
                return false
            }
            parser.result.watchdog = value
            return true
        },
        wholeLine("stonith", "a STONITH device type and its config file") { $0.parseStonith($2, $3, line: $4) },
        wholeLine("stonith_host", "a STONITH device reachable from one host (or *), with its parameters") {
            $0.parseStonithHost($2, $3, line: $4)
        },
        wholeLine("respawn", "a program to run as a user and restart when it exits") { $0.parseRespawn($1, $2, $3, line: $4) },
        wholeLine("failfast", "like respawn, but an abnormal exit reboots the node") { $0.parseRespawn($1, $2, $3, line: $4) },
        wholeLine("apiauth", "which users and groups may use an API client's requests") { $0.parseAPIAuth($3, line: $4) },
        setting("logfile", "the log file") { parser, _, value, _ in
            parser.result.logging.logfile = value
            return true
        },
        setting("debugfile", "the debug log file") { parser, _, value, _ in
            parser.result.logging.debugfile = value
            return true
        },
        setting("logfacility", "the syslog facility, or none") { parser, _, value, line in
            guard ConfigValues.syslogFacilities.contains(value) else {
                parser.error(line, "Log facility(\(value)) not valid", hint: "use a syslog facility such as daemon or local0, or none")
                return false
            }
            parser.result.logging.facility = value == "none" ? nil : value
            return true
        },
        setting("use_logd", "log through ha_logd", boolean { $0.useLogd = $1 }),
        setting("debug", "debug level, 0 to 255", integer(0...255) { $0.debug = $1 }),
        list("env", "NAME=value, exported to scripts as HA_NAME") { parser, _, value, line in
            guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
                parser.error(line, "invalid env setting [\(value)]", hint: "write 'env NAME=value'")
                return false
            }
            parser.result.environment.append(
                EnvironmentSetting(name: String(value[..<equals]), value: String(value[value.index(after: equals)...])))
            return true
        },
        list("metrics_listen", "where Prometheus metrics are served: a loopback address:port or a socket path",
             knownTo306: false) { parser, _, value, line in
            switch MetricsEndpoint.parse(value) {
            case .success(let endpoint):
                parser.result.metricsEndpoint = endpoint
                return true
            case .failure(let failure):
                parser.error(line, "invalid metrics_listen [\(value)]", hint: failure.reason)
                return false
            }
        },
    ]

    // MARK: building entries

    /// A directive holding one value that 3.0.6 records.
    static func setting(
        _ name: String, _ summary: String, dashD: (value: String, description: String)? = nil, recorded: Bool = true,
        single: Bool = true, knownTo306: Bool = true, _ apply: @escaping ApplyWord
    ) -> HaCfDirective {
        HaCfDirective(name: name, reading: .eachWord(apply), recorded: recorded, single: single, dashD: dashD,
                      knownTo306: knownTo306, summary: summary)
    }

    /// A directive whose every value adds to a list (nodes, media, …).
    static func list(_ name: String, _ summary: String, knownTo306: Bool = true, _ apply: @escaping ApplyWord) -> HaCfDirective {
        HaCfDirective(name: name, reading: .eachWord(apply), knownTo306: knownTo306, summary: summary)
    }

    /// A directive that takes the rest of its line.
    static func wholeLine(_ name: String, _ summary: String, _ apply: @escaping ApplyLine) -> HaCfDirective {
        HaCfDirective(name: name, reading: .wholeLine(apply), summary: summary)
    }

    /// A Pacemaker setting: a boolean that has no effect here.
    static func pacemakerOnly(_ name: String, dashD: (value: String, description: String)? = nil) -> HaCfDirective {
        setting(name, "Pacemaker only; no effect", dashD: dashD) { parser, name, value, line in
            guard parser.flag(name, value, line: line) != nil else { return false }
            parser.pacemakerOnly(name, line: line)
            return true
        }
    }

    // MARK: value parsers

    static func time(positive: Bool = false, _ set: @escaping @Sendable (inout HaCf, Duration) -> Void) -> ApplyWord {
        { parser, name, value, line in
            guard let time = parser.time(name, value, line: line) else { return false }
            if positive, time <= .zero {
                parser.error(line, "\(name) [\(value)] must be greater than zero", hint: "give a time above 0")
            } else {
                set(&parser.result, time)
            }
            return true
        }
    }

    static func integer(_ range: ClosedRange<Int>, _ set: @escaping @Sendable (inout HaCf, Int) -> Void) -> ApplyWord {
        { parser, name, value, line in
            guard let number = ConfigValues.integer(value), range.contains(number) else {
                parser.error(line, "invalid \(name) [\(value)]", hint: "use a whole number from \(range.lowerBound) to \(range.upperBound)")
                return false
            }
            set(&parser.result, number)
            return true
        }
    }

    static func boolean(_ set: @escaping @Sendable (inout HaCf, Bool) -> Void) -> ApplyWord {
        { parser, name, value, line in
            guard let flag = parser.flag(name, value, line: line) else { return false }
            set(&parser.result, flag)
            return true
        }
    }
}
