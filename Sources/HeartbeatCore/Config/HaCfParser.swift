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

/// Reads `ha.cf` (spec §8): splits each line, finds its directive in `HaCfDirective.all` and
/// applies it. Unlike 3.0.6, directive order does not matter: `udpport` and `baud` apply to every
/// medium wherever they are written; we warn where a 3.0.6 node would read the same file
/// differently, and where it would refuse one of our extensions.
public struct HaCfParser {
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

        guard var entry = HaCfDirective.byName[directive] else {
            unknown(directive, line: number)
            return
        }
        if case .alias(let target, let warns) = entry.reading {
            if warns {
                warning(number, "directive '\(directive)' is an old name of '\(target)'; it is read as '\(target)'",
                        hint: "write `\(target) \(rest)` instead")
            }
            directive = target
            entry = HaCfDirective.byName[target]!
        }

        let errorsBefore = errorCount
        switch entry.reading {
        case .alias:
            preconditionFailure("an alias names a directive that is not an alias")
        case .wholeLine(let apply):
            result.lines[directive] = number
            apply(&self, directive, String(rest), rest.split(whereSeparator: { Self.whitespace.contains($0) }).map(String.init), number)
        case .eachWord(let apply):
            let values = rest.split(whereSeparator: { Self.delimiters.contains($0) }).map(String.init)
            if values.isEmpty {
                error(number, "directive '\(directive)' has no value", hint: "give a value, or remove the line")
            }
            if entry.single {
                if values.count > 1 {
                    warning(number, "'\(directive)' given \(values.count) values; only the last (\(values.last!)) is used",
                            hint: "give one value")
                } else if let earlier = result.lines[directive], !values.isEmpty {
                    warning(number, "'\(directive)' was already set on line \(earlier); this line overrides it",
                            hint: "keep only one '\(directive)' line")
                }
            }
            for value in values {
                let accepted = apply(&self, directive, value, number)
                result.lines[directive] = number
                if accepted, entry.recorded { result.recorded[directive] = value }
            }
        }
        if !entry.knownTo306, errorCount == errorsBefore {
            warning(number, "\(directive) is an extension of this implementation; a 3.0.6 node refuses to start with it",
                    hint: "keep it out of an ha.cf shared with 3.0.6 nodes")
        }
    }

    var errorCount: Int { result.diagnostics.count { $0.severity == .error } }

    mutating func unknown(_ directive: String, line: Int) {
        let hint: String
        if HaCfDirective.byName[directive.lowercased()] != nil {
            hint = "directive names are lower case: write '\(directive.lowercased())'"
        } else if Self.unshippedMedia.contains(directive) {
            hint = "3.0.6 as packaged does not ship this plugin either; remove the line"
        } else {
            hint = "check the spelling against ha.cf(5), or remove the line"
        }
        error(line, "Illegal directive [\(directive)] in \(file)", hint: hint)
    }

    // MARK: what directives add

    mutating func addNode(_ value: String, line: Int) {
        let name = NodeName(value).rawValue
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

    /// A boolean value, or nil (reported) when it is none.
    mutating func flag(_ directive: String, _ value: String, line: Int) -> Bool? {
        guard let flag = ConfigValues.boolean(value) else {
            error(line, "invalid \(directive) value [\(value)]", hint: "use true/on/yes or false/off/no")
            return nil
        }
        return flag
    }

    mutating func pacemakerOnly(_ directive: String, line: Int) {
        warning(line, "'\(directive)' only affects Pacemaker, which this implementation does not run; it has no effect",
                hint: "remove the line")
    }

    mutating func unsupported(_ line: Int, _ what: String, hint: String) {
        error(line, "\(what) is not supported by this implementation", hint: hint)
    }

    // MARK: whole-line directives

    mutating func parseUnicast(_ directive: String, _ words: [String], line: Int) {
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
    }

    mutating func parsePingGroup(_ words: [String], line: Int) {
        guard words.count >= 2 else {
            error(line, "ping_group needs a name and at least one host", hint: "write 'ping_group <name> <host> [<host>…]'")
            return
        }
        let name = NodeName(words[0]).rawValue
        if result.nodes.contains(name) || result.pingNodes.contains(where: { $0.name == name })
            || result.pingGroups.contains(where: { $0.name == name })
        {
            error(line, "ping_group name [\(name)] is already used by a node or ping node", hint: "choose another name")
            return
        }
        result.pingGroups.append(PingGroup(name: name, hosts: words.dropFirst().map { NodeName($0).rawValue }))
    }

    mutating func parseStonith(_ rest: String, _ words: [String], line: Int) {
        guard words.count >= 2 else {
            error(line, "stonith needs a device type and its config file", hint: "write 'stonith <type> <configfile>'")
            return
        }
        let parameters = rest.drop { Self.whitespace.contains($0) }.dropFirst(words[0].count)
            .drop { Self.whitespace.contains($0) }
        result.stonith.append(StonithDirective(host: nil, type: words[0], parameters: String(parameters), line: line))
    }

    mutating func parseStonithHost(_ rest: String, _ words: [String], line: Int) {
        guard words.count >= 2 else {
            error(line, "stonith_host needs a host (or *) and a device type",
                  hint: "write 'stonith_host <host|*> <type> <params…>'")
            return
        }
        var parameters = rest.drop { Self.whitespace.contains($0) }.dropFirst(words[0].count)
        parameters = parameters.drop { Self.whitespace.contains($0) }.dropFirst(words[1].count)
        parameters = parameters.drop { Self.whitespace.contains($0) }
        result.stonith.append(
            StonithDirective(host: NodeName(words[0]).rawValue, type: words[1], parameters: String(parameters), line: line))
    }

    mutating func parseRespawn(_ directive: String, _ rest: String, _ words: [String], line: Int) {
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
