import HeartbeatCore

/// A scripted takeover test: a cluster, timed steps and expectations, read from a `.scenario`
/// file (docs/scenarios.md). The same value drives the simulator and real daemons in network
/// namespaces; `ScenarioCheck` judges both runs' histories the same way.
public struct Scenario: Sendable, Hashable {
    public var name: String
    public var nodes: [String] = []
    public var media: [String] = ["eth0"]
    public var keepalive: Duration = .milliseconds(200)
    public var deadtime: Duration = .seconds(1)
    public var warntime: Duration?
    public var initdead: Duration?
    public var autoFailback: AutoFailback = .on
    public var groups: [Group] = []
    public var seed: UInt64 = 1
    /// `ping_node`: one ping node, `Scenario.pingNode`, that every node pings.
    public var pingNode = false
    /// `deadping` (ha.cf's default: deadtime).
    public var deadping: Duration?
    /// `arbitration on|off|ipfail` (default with a ping node: on).
    public var arbitration: Arbitration = .on
    /// `stonith`: every node has the test STONITH device (`Tests/scenarios/stonith/scenario`).
    public var stonith = false
    /// `monitor` lines: the `monitors` file both back-ends write (issue #17).
    public var monitors: [Monitor] = []
    public var steps: [Step] = []
    public var expectations: [Expectation] = []
    /// When the run stops (`end`, or a second after the last time mentioned).
    public var end: Duration = .zero

    public init(name: String) { self.name = name }

    /// The ping node's name in both back-ends: the responder's address in the netns run.
    public static let pingNode = "10.79.0.254"

    /// How built-in ping arbitration is asked for in ha.cf.
    public enum Arbitration: String, Sendable, Hashable {
        /// `arbitration on`
        case on
        /// Ping nodes tracked, nothing decided on them.
        case off
        /// 3.0.6's `respawn hacluster …/ipfail` line (never spawned: built in).
        case ipfail
    }

    public struct Group: Sendable, Hashable {
        public var preferredNode: String
        /// Resource names; the first names the group in expectations.
        public var resources: [String]
        public var line: Int
        public var name: String { resources[0] }

        public init(preferredNode: String, resources: [String], line: Int) {
            self.preferredNode = preferredNode
            self.resources = resources
            self.line = line
        }
    }

    /// One line of the `monitors` file: a group named by one of its resources, then the check and
    /// its options exactly as the file takes them (`status interval=1s fall=2`).
    public struct Monitor: Sendable, Hashable {
        public var resource: String
        public var words: [String]
        public var line: Int
    }

    public struct Step: Sendable, Hashable {
        public var time: Duration
        public var action: Action
        public var line: Int

        public init(time: Duration, action: Action, line: Int) {
            self.time = time
            self.action = action
            self.line = line
        }
    }

    public enum Action: Sendable, Hashable {
        case start(String)
        /// SIGTERM: the node releases its groups, sends `shutdone` and exits.
        case stop(String)
        /// kill -9 of a whole machine: its resources die with it.
        case kill(String)
        /// kill -9 (if running), then start again.
        case restart(String)
        case cutLink(String, medium: String)
        case restoreLink(String, medium: String)
        case partition([[String]])
        case heal
        case standby(String, ResourceSet)
        case takeover(String, ResourceSet)
        /// Every later `start` of the resource on the node exits 1 (`works` undoes it).
        case scriptFails(resource: String, node: String, Bool)
        /// The node's path to the ping node stops passing anything (`restorePing` mends it).
        case losePing(String)
        case restorePing(String)
        /// Every later reset by the node's STONITH device fails (`false`: succeeds again).
        case fenceFails(node: String, Bool)
        /// The resource's service on the node crashes, hangs or flaps: what its checks see.
        case breakService(resource: String, node: String, ServiceFault)
        /// The resource's service on the node works again.
        case healService(resource: String, node: String)
        /// `hbctl monitor reset [GROUP]` on the node (nil: every group).
        case monitorReset(node: String, group: String?)
    }

    public struct Expectation: Sendable, Hashable {
        public var when: When
        public var condition: Condition
        public var line: Int
        /// The text as written, for reports.
        public var text: String
    }

    public enum When: Sendable, Hashable {
        /// At some moment in [anchor, anchor + limit]; the anchor is the latest step before it.
        case within(Duration, anchor: Duration)
        case at(Duration)
        case atEnd
        /// At no moment of the run.
        case never
    }

    public enum Condition: Sendable, Hashable {
        /// Exactly these nodes hold the group, each all of it (empty: nobody holds any of it).
        case group(String, on: [String])
        /// Some group's resources run on two nodes (only with `never`).
        case twoOwners
        /// A log line of the node containing the text (`within`: in the window; `at`: so far).
        case log(String, String)
        /// `cl_status ARGS` on the node prints this (first line, trimmed).
        case clStatus(String, [String], String)
    }

    /// The sha1 secret of authkeys in both back-ends.
    public var authSecret: String { "scenario-\(seed)" }

    /// Wire tokens for resources not run as Dummy (`hbctl simulate` keeps a real haresources' own).
    public var tokens: [String: String] = [:]

    /// Every resource runs as `Dummy::NAME` (resource.d/Dummy), in both back-ends.
    public func token(_ resource: String) -> String { tokens[resource] ?? "Dummy::\(resource)" }

    /// The `monitors` file of both back-ends (nil: none), each group named by its resource's token.
    public var monitorsText: String? {
        monitors.isEmpty ? nil : monitors.map { ([token($0.resource)] + $0.words).joined(separator: " ") + "\n" }.joined()
    }

    /// The cluster as the simulator models it; the netns back-end writes ha.cf from the same
    /// values. Script runs take 2–20 ms, like the shell script on a real machine.
    public var simConfig: SimConfig {
        var config = SimConfig(
            nodeCount: nodes.count, links: media, keepalive: keepalive, deadtime: deadtime, autoFailback: autoFailback,
            groups: groups.map { group in
                ResourceGroup(preferredNode: group.preferredNode, key: token(group.resources[0]),
                              resources: group.resources.map { Resource(script: "Dummy", arguments: [$0], token: token($0)) },
                              line: group.line)
            },
            scriptTimeMin: .milliseconds(2), scriptTimeMax: .milliseconds(20))
        config.nodeNames = nodes
        if let warntime { config.warntime = warntime }
        if let initdead { config.initdead = initdead }
        if pingNode {
            config.pingNodes = 1
            config.pingNames = [Self.pingNode]
            config.arbitration = arbitration != .off
            if let deadping { config.deadping = deadping }
        }
        if stonith { config.fencing = .reliable }
        config.monitorsFile = monitorsText
        // Real daemons all read haresources; so do the simulated ones here.
        config.allNodesRunResources = true
        // Signed and checked on the simulated wire with the key the netns back-end writes.
        config.authKeys = AuthKeys(AuthKey(slot: 1, method: .sha1, secret: Array(authSecret.utf8)))
        return config
    }
}

/// A parse error at FILE:LINE with what to write instead.
public struct ScenarioError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): \(message)" }
}

extension Scenario {
    /// Reads the text of a scenario file; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ScenarioError) -> Scenario {
        var parser = ScenarioParser(file: file)
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            try parser.read(String(line), number: index + 1)
        }
        return try parser.finish()
    }
}

extension Scenario {
    /// One step as a scenario file writes it after `at TIME` (`kill node1`), for this cluster.
    public func parseStep(_ text: String) throws(ScenarioError) -> Action {
        var parser = ScenarioParser(file: "event")
        parser.scenario = self
        parser.lineNumber = 1
        return try parser.action(try ScenarioParser.words(text, error: parser.error("unterminated quote")))
    }

    /// `2s`, `1.5s`, `300ms`.
    public static func parseDuration(_ text: String) throws(ScenarioError) -> Duration {
        try ScenarioParser(file: "time").duration(text)
    }
}

struct ScenarioParser {
    let file: String
    var scenario: Scenario
    var anchor: Duration = .zero
    var lineNumber = 0
    var sawStep = false
    var explicitEnd: Duration?
    var latest: Duration = .zero
    var sawArbitration = false
    /// Errors about the whole file point at its last non-blank line.
    var lastContentLine = 1

    init(file: String) {
        self.file = file
        let base = file.split(separator: "/").last.map(String.init) ?? file
        scenario = Scenario(name: base.hasSuffix(".scenario") ? String(base.dropLast(".scenario".count)) : base)
    }

    func error(_ message: String) -> ScenarioError { ScenarioError(file: file, line: lineNumber, message: message) }

    mutating func read(_ raw: String, number: Int) throws(ScenarioError) {
        lineNumber = number
        let words = try Self.words(raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "",
                                   error: error("unterminated quote: close the \"text\""))
        guard let first = words.first else { return }
        lastContentLine = number
        let rest = Array(words.dropFirst())
        switch first {
        case "nodes", "media", "keepalive", "deadtime", "warntime", "initdead", "auto_failback", "haresources", "seed",
             "ping_node", "deadping", "arbitration", "stonith", "monitor":
            guard !sawStep else { throw error("'\(first)' describes the cluster: move it above the first step") }
            try cluster(first, rest)
        case "at":
            guard let when = rest.first else { throw error("'at' needs a time: at 2s kill node1") }
            if when == "end" {
                try expectation(.atEnd, Array(rest.dropFirst()), raw)
            } else {
                let time = try duration(when)
                latest = max(latest, time)
                let body = Array(rest.dropFirst())
                if let verb = body.first, ["group", "log", "cl_status"].contains(verb) {
                    try expectation(.at(time), body, raw)
                } else {
                    guard time >= anchor else { throw error("steps must be in time order: this one is before the step at \(anchor)") }
                    sawStep = true
                    anchor = time
                    scenario.steps.append(Scenario.Step(time: time, action: try action(body), line: number))
                }
            }
        case "within":
            guard sawStep else { throw error("'within' counts from the step above it: put a step (at 0s start all) first") }
            guard rest.count >= 2 else { throw error("'within' needs a time and a condition: within 2s group web on node2") }
            let limit = try duration(rest[0])
            latest = max(latest, anchor + limit)
            try expectation(.within(limit, anchor: anchor), Array(rest.dropFirst()), raw)
        case "never":
            try expectation(.never, rest, raw)
        case "end":
            guard rest.count == 1 else { throw error("write the run's length: end 12s") }
            explicitEnd = try duration(rest[0])
        default:
            throw error("unknown line '\(first)': expected nodes, media, keepalive, deadtime, warntime, initdead, auto_failback, haresources, seed, ping_node, deadping, arbitration, stonith, monitor, at, within, never or end")
        }
    }

    mutating func cluster(_ keyword: String, _ rest: [String]) throws(ScenarioError) {
        switch keyword {
        case "nodes":
            guard rest.count >= 2 else { throw error("a cluster needs at least two nodes: nodes node1 node2") }
            for (index, name) in rest.enumerated() where name != SimConfig.nodeName(index) {
                throw error("nodes are named node1, node2, … in order: write \(SimConfig.nodeName(index)) instead of \(name)")
            }
            guard rest.count <= SimLimits.maxNodes else { throw error("at most \(SimLimits.maxNodes) nodes") }
            scenario.nodes = rest
        case "media":
            guard !rest.isEmpty, rest.count <= 2, rest.enumerated().allSatisfy({ $1 == "eth\($0)" }) else {
                throw error("media are eth0, optionally eth1: media eth0 eth1")
            }
            scenario.media = rest
        case "ping_node", "stonith":
            guard rest.isEmpty else {
                throw error(keyword == "ping_node" ? "'ping_node' takes nothing (one ping node, \(Scenario.pingNode)): ping_node"
                            : "'stonith' takes nothing (every node gets the test STONITH device): stonith")
            }
            if keyword == "ping_node" { scenario.pingNode = true } else { scenario.stonith = true }
        case "arbitration":
            guard rest.count == 1, let mode = Scenario.Arbitration(rawValue: rest[0]) else {
                throw error("arbitration is on, off or ipfail (3.0.6's respawn line)")
            }
            scenario.arbitration = mode
            sawArbitration = true
        case "keepalive", "deadtime", "warntime", "initdead", "deadping":
            guard rest.count == 1 else { throw error("write one time: \(keyword) 1s") }
            let value = try duration(rest[0])
            guard value > .zero else { throw error("\(keyword) must be more than 0") }
            switch keyword {
            case "keepalive": scenario.keepalive = value
            case "deadtime": scenario.deadtime = value
            case "warntime": scenario.warntime = value
            case "deadping": scenario.deadping = value
            default: scenario.initdead = value
            }
        case "auto_failback":
            guard rest.count == 1, let mode = AutoFailback(rawValue: rest[0]) else {
                throw error("auto_failback is on, off or legacy")
            }
            scenario.autoFailback = mode
        case "seed":
            guard rest.count == 1, let seed = UInt64(rest[0]) else { throw error("seed is a whole number: seed 7") }
            scenario.seed = seed
        case "monitor":
            guard rest.count >= 2 else { throw error("write: monitor web status interval=1s (a resource of the group, then the check and its options)") }
            try resource(rest[0])
            scenario.monitors.append(Scenario.Monitor(resource: rest[0], words: Array(rest.dropFirst()), line: lineNumber))
        default:
            guard rest.count >= 2 else { throw error("haresources needs a node and resources: haresources node1 web db") }
            try node(rest[0])
            for resource in rest.dropFirst() {
                guard !resource.isEmpty, resource.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
                    throw error("resource names are letters, digits, '.', '_' or '-' (they run as Dummy::NAME): '\(resource)'")
                }
                if scenario.groups.contains(where: { $0.resources.contains(resource) }) {
                    throw error("resource \(resource) is already in a group: give it another name")
                }
            }
            scenario.groups.append(Scenario.Group(preferredNode: rest[0], resources: Array(rest.dropFirst()), line: lineNumber))
        }
    }

    mutating func action(_ words: [String]) throws(ScenarioError) -> Scenario.Action {
        guard let verb = words.first else { throw error("'at TIME' needs a step: at 2s kill node1") }
        let args = Array(words.dropFirst())
        func oneNode(_ example: String) throws(ScenarioError) -> String {
            guard args.count == 1 else { throw error("write: at 1s \(verb) \(example)") }
            return try node(args[0])
        }
        switch verb {
        case "start", "stop", "kill", "restart":
            if verb == "start", args == ["all"] { return .start("all") }
            if verb == "stop", args == ["all"] { return .stop("all") }
            let name = try oneNode(verb == "start" || verb == "stop" ? "node1 (or all)" : "node1")
            switch verb {
            case "start": return .start(name)
            case "stop": return .stop(name)
            case "kill": return .kill(name)
            default: return .restart(name)
            }
        case "restore" where args.first == "ping":
            guard args.count == 2 else { throw error("write: at 1s restore ping node1") }
            return .restorePing(try pingStep(args[1]))
        case "cut", "restore":
            guard args.count == 3, args[0] == "link" else {
                throw error(verb == "cut" ? "write: at 1s cut link node1 eth0" : "write: at 1s restore link node1 eth0 (or: restore ping node1)")
            }
            let name = try node(args[1])
            guard scenario.media.contains(args[2]) else { throw error("no medium \(args[2]): the media are \(scenario.media.joined(separator: " "))") }
            return verb == "cut" ? .cutLink(name, medium: args[2]) : .restoreLink(name, medium: args[2])
        case "partition":
            return .partition(try sides(args))
        case "heal" where args.first == "service":
            guard args.count == 4, args[2] == "on" else { throw error("write: at 5s heal service web on node1") }
            return .healService(resource: try resource(args[1]), node: try node(args[3]))
        case "heal":
            guard args.isEmpty else { throw error("'heal' takes nothing (or: heal service web on node1): at 5s heal") }
            return .heal
        case "crash", "hang":
            guard (3...4).contains(args.count), args[1] == "on", args.count == 3 || args[3] == "persistent" else {
                throw error("write: at 6s \(verb) web on node1 [persistent]")
            }
            let fault = ServiceFault(verb == "crash" ? .crashed : .hung, persistent: args.count == 4)
            return .breakService(resource: try resource(args[0]), node: try node(args[2]), fault)
        case "flap":
            guard (5...6).contains(args.count), args[1] == "on", args[3] == "every", let every = Int(args[4]), (2...100).contains(every),
                  args.count == 5 || args[5] == "persistent" else {
                throw error("write: at 6s flap web on node1 every 3 [persistent] (every third check fails; 2 to 100)")
            }
            let fault = ServiceFault(.flapping(every: every), persistent: args.count == 6)
            return .breakService(resource: try resource(args[0]), node: try node(args[2]), fault)
        case "monitor":
            guard (2...3).contains(args.count), args[0] == "reset" else { throw error("write: at 6s monitor reset node1 [web]") }
            let group: String? = args.count == 3 ? try groupName(args[2]) : nil
            return .monitorReset(node: try node(args[1]), group: group)
        case "standby", "takeover":
            guard (1...2).contains(args.count) else { throw error("write: at 1s \(verb) node1 [all|local|foreign]") }
            let name = try node(args[0])
            guard let set = ResourceSet(rawValue: args.count == 2 ? args[1] : "all") else {
                throw error("\(verb) takes all, local or foreign, not \(args[1])")
            }
            return verb == "standby" ? .standby(name, set) : .takeover(name, set)
        case "script":
            guard args.count == 4, ["fails", "works"].contains(args[1]), args[2] == "on" else {
                throw error("write: at 1s script web fails on node2 (or: works on node2)")
            }
            try resource(args[0])
            return .scriptFails(resource: args[0], node: try node(args[3]), args[1] == "fails")
        case "lose":
            guard args.count == 2, args[0] == "ping" else { throw error("write: at 1s lose ping node1") }
            return .losePing(try pingStep(args[1]))
        case "fence":
            guard args.count == 3, ["fails", "works"].contains(args[0]), args[1] == "on" else {
                throw error("write: at 1s fence fails on node2 (or: works on node2)")
            }
            guard scenario.stonith else { throw error("'fence' needs a STONITH device: add a 'stonith' line above the first step") }
            return .fenceFails(node: try node(args[2]), args[0] == "fails")
        default:
            throw error("unknown step '\(verb)': expected start, stop, kill, restart, cut link, restore link, lose ping, restore ping, partition, heal, standby, takeover, script, fence, crash, hang, flap, heal service or monitor reset")
        }
    }

    /// The node of a `lose ping` / `restore ping` step, once a ping node is configured.
    func pingStep(_ name: String) throws(ScenarioError) -> String {
        guard scenario.pingNode else { throw error("no ping node: add a 'ping_node' line above the first step") }
        return try node(name)
    }

    /// `{node1} {node2 node3}`: every node in exactly one side.
    func sides(_ words: [String]) throws(ScenarioError) -> [[String]] {
        let example = "write: at 1s partition {node1} {node2}"
        let text = words.joined(separator: " ")
        var sides: [[String]] = []
        var current: [String]?
        var token = ""
        for character in text + " " {
            switch character {
            case "{":
                guard current == nil else { throw error("a '{' inside a side: \(example)") }
                current = []
            case "}", " ":
                if !token.isEmpty {
                    guard current != nil else { throw error("\(token) is outside braces: \(example)") }
                    current!.append(try node(token))
                    token = ""
                }
                if character == "}" {
                    guard let side = current, !side.isEmpty else { throw error("an empty or unopened side: \(example)") }
                    sides.append(side)
                    current = nil
                }
            default:
                token.append(character)
            }
        }
        guard current == nil, sides.count >= 2 else { throw error(example) }
        let listed = sides.flatMap { $0 }
        guard Set(listed).count == listed.count, Set(listed) == Set(scenario.nodes) else {
            throw error("name every node in exactly one side (the nodes are \(scenario.nodes.joined(separator: " ")))")
        }
        return sides
    }

    mutating func expectation(_ when: Scenario.When, _ words: [String], _ raw: String) throws(ScenarioError) {
        let text = raw.split(separator: "#", maxSplits: 1).first.map { String($0).trimmingSpaces } ?? raw
        let condition: Scenario.Condition
        switch words.first {
        case "group":
            guard words.count >= 4, words[2] == "on" else { throw error("write: group web on node2 (or: on nobody, on node1 node2)") }
            try groupName(words[1])
            var owners: [String] = []
            if words[3...] != ["nobody"] {
                for name in words[3...] { owners.append(try node(name)) }
            }
            condition = .group(words[1], on: owners)
        case "two":
            guard words == ["two", "owners"], when == .never else { throw error("write: never two owners") }
            condition = .twoOwners
        case "log":
            guard words.count == 3 else { throw error("write: log node2 \"is dead\"") }
            condition = .log(try node(words[1]), words[2])
        case "cl_status":
            guard words.count >= 5, words[words.count - 2] == "=" else {
                throw error("write: cl_status node1 rscstatus = all (or: cl_status node1 nodestatus node2 = dead)")
            }
            let arguments = Array(words[2..<(words.count - 2)])
            guard ["rscstatus", "nodestatus", "hbstatus"].contains(arguments[0]) else {
                throw error("cl_status checks rscstatus, nodestatus NODE or hbstatus")
            }
            condition = .clStatus(try node(words[1]), arguments, words[words.count - 1])
        default:
            throw error("expected a condition: group web on node2, two owners, log node2 \"text\" or cl_status node1 rscstatus = all")
        }
        if when == .never, case .clStatus = condition { throw error("'never cl_status' cannot be watched: use at or within") }
        scenario.expectations.append(Scenario.Expectation(when: when, condition: condition, line: lineNumber, text: text))
    }

    /// A resource named in the haresources lines above.
    @discardableResult
    func resource(_ name: String) throws(ScenarioError) -> String {
        guard scenario.groups.contains(where: { $0.resources.contains(name) }) else {
            throw error("no resource \(name) in the haresources lines above")
        }
        return name
    }

    /// A group, by its first resource.
    @discardableResult
    func groupName(_ name: String) throws(ScenarioError) -> String {
        guard scenario.groups.contains(where: { $0.name == name }) else {
            throw error("no group \(name): a group is named by its first resource (\(scenario.groups.map(\.name).joined(separator: ", ")))")
        }
        return name
    }

    @discardableResult
    func node(_ name: String) throws(ScenarioError) -> String {
        guard !scenario.nodes.isEmpty else { throw error("say which nodes there are first: nodes node1 node2") }
        guard scenario.nodes.contains(name) else { throw error("no node \(name): the nodes are \(scenario.nodes.joined(separator: " "))") }
        return name
    }

    /// `2s`, `1.5s`, `300ms`.
    func duration(_ text: String) throws(ScenarioError) -> Duration {
        let (digits, scale): (Substring, Int64) = text.hasSuffix("ms")
            ? (text.dropLast(2), 1_000_000) : text.hasSuffix("s") ? (text.dropLast(), 1_000_000_000) : ("", 0)
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard scale > 0, (1...2).contains(parts.count), let whole = Int64(parts[0]), whole < 100_000 else {
            throw error("'\(text)' is not a time: write 2s, 1.5s or 300ms")
        }
        var nanoseconds = whole * scale
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 3, let fraction = Int64(parts[1]) else {
                throw error("'\(text)' is not a time: write 2s, 1.5s or 300ms")
            }
            var divisor: Int64 = 1
            for _ in 0..<parts[1].count { divisor *= 10 }
            nanoseconds += fraction * scale / divisor
        }
        return .nanoseconds(nanoseconds)
    }

    mutating func finish() throws(ScenarioError) -> Scenario {
        lineNumber = lastContentLine
        guard !scenario.nodes.isEmpty else { throw error("no 'nodes' line: start with nodes node1 node2") }
        guard !scenario.groups.isEmpty else { throw error("no 'haresources' line: add one, e.g. haresources node1 web") }
        guard !scenario.steps.isEmpty else { throw error("no steps: add one, e.g. at 0s start all") }
        guard !scenario.expectations.isEmpty else { throw error("no expectations: a scenario must check something, e.g. at end group web on node1") }
        guard scenario.keepalive < scenario.deadtime else { throw error("keepalive must be shorter than deadtime") }
        if !scenario.pingNode, scenario.deadping != nil || sawArbitration {
            throw error("'deadping' and 'arbitration' are about ping nodes: add a 'ping_node' line")
        }
        if let deadping = scenario.deadping, deadping <= scenario.keepalive * 2 {
            throw error("deadping must be more than twice keepalive (as ha.cf requires)")
        }
        if let explicitEnd {
            guard explicitEnd >= latest else { throw error("'end' is before the last time the file mentions (\(latest))") }
            scenario.end = explicitEnd
        } else {
            scenario.end = latest + .seconds(1)
        }
        return scenario
    }

    /// Splits on blanks; "double quoted text" is one word.
    static func words(_ line: String, error: ScenarioError) throws(ScenarioError) -> [String] {
        var words: [String] = []
        var word = ""
        var quoted = false
        var wasQuoted = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
                wasQuoted = true
            } else if !quoted, character == " " || character == "\t" || character == "\r" {
                if !word.isEmpty || wasQuoted { words.append(word) }
                word = ""
                wasQuoted = false
            } else {
                word.append(character)
            }
        }
        guard !quoted else { throw error }
        if !word.isEmpty || wasQuoted { words.append(word) }
        return words
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}

extension Duration {
    /// `1.5s`, `300ms`: how scenario files write times.
    public var scenarioText: String {
        let ms = milliseconds
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        if ms < 1000 { return "\(ms)ms" }
        var fraction = String(ms % 1000 + 1000).dropFirst()
        while fraction.hasSuffix("0") { fraction = fraction.dropLast() }
        return "\(ms / 1000).\(fraction)s"
    }
}
