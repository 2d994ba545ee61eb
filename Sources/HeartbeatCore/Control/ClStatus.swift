/// `cl_status` as a pure function: arguments and what the daemon answered in, the text for stdout
/// and stderr and the exit code out (spec §9). Output that scripts read — status words, the
/// `listnodes -v` block, `-m` sentences, exit codes — matches 3.0.6 byte for byte.
///
/// The order of checks follows 3.0.6: only the sub-command name is checked before contacting the
/// daemon; every sub-command except `hbstatus` then needs the daemon, and only after that are its
/// options and operands checked. So `cl_status nodestatus` (no node) exits 1 when the daemon is
/// down and 11 when it is up, as it does with 3.0.6.
public enum ClStatus {
    /// Exit codes of spec §9.
    public static let ok: Int32 = 0
    public static let normalFailure: Int32 = 1
    public static let parameterError: Int32 = 11
    public static let timeout: Int32 = 12
    public static let unknownError: Int32 = 13

    /// What 3.0.6 gives as the reason when nobody listens; scripts have been seen to log it.
    public static let notRunningReason = "hb_api_signon: Can't initiate connection to heartbeat"

    public struct Output: Equatable, Sendable {
        public var stdout: String
        public var stderr: String
        public var exitCode: Int32

        public init(stdout: String = "", stderr: String = "", exitCode: Int32) {
            self.stdout = stdout
            self.stderr = stderr
            self.exitCode = exitCode
        }
    }

    /// What became of the attempt to reach the daemon.
    public enum Daemon: Sendable, Equatable {
        case answered(StatusReport)
        /// Nothing listens on the control socket (or it does not exist).
        case notRunning(reason: String)
        /// Something listens but would not serve us (permission, overload, error reply).
        case refused(reason: String)
        /// No complete answer within the 5 s every run is allowed.
        case timedOut
    }

    public static let usage = """
        Usage: cl_status <sub-command> [<options>] [<parameters>]

        Sub-commands:
        clientstatus <node-name> <client-id> [<timeout>]
        \tReport whether an API client is connected on a node.
        hblinkstatus <node-name> <link-name>
        \tReport whether one heartbeat link to a node is up.
        hbstatus
        \tReport whether heartbeat runs on this machine.
        \tOptions:
        \t\t-v\tverbose: also print the version and the "listnodes -v" block
        listnodes [<option>]
        \tList the cluster nodes in configuration order.
        \tOptions:
        \t\t-p\tping nodes only
        \t\t-n\tnormal nodes only
        \t\t-v\tverbose: also print each node's status and type,
        \t\t\tfollowed by its "listhblinks -v" output
        listhblinks <node-name>
        \tList the heartbeat links (media) to a node.
        \tOptions:
        \t\t-v\tverbose: print each link's status too
        nodestatus <node-name>
        \tPrint a node's status.
        nodeweight <node-name>
        \tPrint a node's weight.
        nodesite <node-name>
        \tPrint a node's site.
        nodetype <node-name>
        \tPrint a node's type (normal or ping).
        rscstatus
        \tPrint which resources this node holds.
        hbparameter -p <parameter-name>
        \tPrint the value of a heartbeat parameter.
        \tThe man page lists the parameter names.

        """

    /// The sub-commands of 3.0.6 with their getopt option strings. `test` is its undocumented
    /// debugging command; it is kept so that it is not an "invalid sub-command".
    static let subcommands: [String: String] = [
        "hbstatus": "mv", "listnodes": "mpnv", "nodestatus": "m", "nodeweight": "m", "nodesite": "m",
        "nodetype": "m", "listhblinks": "mv", "hblinkstatus": "m", "clientstatus": "m", "rscstatus": "m",
        "hbparameter": "mp:", "test": "",
    ]

    /// The answer for runs that must not contact the daemon: usage (no arguments or just `-h`) and
    /// an unknown sub-command. Nil means: reach the daemon, then call `run`.
    public static func preflight(arguments: [String], logPrefix: String = "") -> Output? {
        guard let command = arguments.first, arguments != ["-h"] else {
            return Output(stdout: usage, exitCode: ok)
        }
        guard subcommands[command] != nil else {
            return Output(stderr: "\(logPrefix)ERROR: \(command): invalid sub-command.\n", exitCode: parameterError)
        }
        return nil
    }

    /// `report == nil` means the daemon could not be reached.
    public static func run(arguments: [String], report: StatusReport?, logPrefix: String = "") -> Output {
        run(arguments: arguments, daemon: report.map { .answered($0) } ?? .notRunning(reason: notRunningReason),
            logPrefix: logPrefix)
    }

    /// `arguments` excludes the program name. `logPrefix` goes before `ERROR:` on logged lines
    /// (the real tool passes `Mon DD HH:MM:SS host cl_status: [pid]: `, as cl_log formats them).
    public static func run(arguments: [String], daemon: Daemon, logPrefix: String = "") -> Output {
        if let early = preflight(arguments: arguments, logPrefix: logPrefix) { return early }
        var run = Run(command: arguments[0], arguments: Array(arguments.dropFirst()), logPrefix: logPrefix)
        // A 3.0.6 run that hits its alarm exits 12 with nothing more printed.
        if daemon == .timedOut { return Output(exitCode: timeout) }
        if run.command == "hbstatus" { return run.hbstatus(daemon) }
        guard case .answered(let report) = daemon else {
            let reason: String = switch daemon {
            case .notRunning(let reason), .refused(let reason): reason
            case .answered, .timedOut: ""
            }
            run.log("Cannot signon with heartbeat")
            run.log("REASON: \(reason)")
            return run.finish(normalFailure)
        }
        return run.execute(report)
    }
}

/// A node named on the command line, or the output that ends the run because it was not.
private enum Lookup {
    case found(StatusReport.Node)
    case failed(ClStatus.Output)
}

/// One run's state: the parsed options, the output built so far.
private struct Run {
    let command: String
    let arguments: [String]
    let logPrefix: String
    var stdout = ""
    var stderr = ""
    var human = false
    var flags: Set<Character> = []
    var optionValues: [Character: String] = [:]
    var operands: [String] = []

    init(command: String, arguments: [String], logPrefix: String) {
        self.command = command
        self.arguments = arguments
        self.logPrefix = logPrefix
    }

    mutating func print(_ line: String) { stdout += line + "\n" }
    mutating func complain(_ line: String) { stderr += line + "\n" }
    /// A cl_log error line.
    mutating func log(_ text: String) { stderr += "\(logPrefix)ERROR: \(text)\n" }
    func finish(_ code: Int32) -> ClStatus.Output { ClStatus.Output(stdout: stdout, stderr: stderr, exitCode: code) }

    /// GNU getopt in its default permuting mode over the arguments after the sub-command, with the
    /// sub-command as the program name in its messages. Returns false at the first bad option,
    /// unless `keepGoing` (3.0.6's `hbstatus` ignores bad options after getopt has complained).
    mutating func parseOptions(keepGoing: Bool = false) -> Bool {
        let optionString = Array(ClStatus.subcommands[command] ?? "")
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                operands.append(argument)
                continue
            }
            if argument == "--" { optionsEnded = true; continue }
            var letters = argument.dropFirst()
            while let letter = letters.first {
                letters = letters.dropFirst()
                let position = optionString.firstIndex(of: letter)
                guard letter != ":", let position else {
                    complain("\(command): invalid option -- '\(letter)'")
                    if keepGoing { continue } else { return false }
                }
                let takesValue = position + 1 < optionString.count && optionString[position + 1] == ":"
                if takesValue {
                    if !letters.isEmpty {
                        optionValues[letter] = String(letters)
                    } else if index < arguments.count {
                        optionValues[letter] = arguments[index]
                        index += 1
                    } else {
                        complain("\(command): option requires an argument -- '\(letter)'")
                        if keepGoing { break } else { return false }
                    }
                    break
                }
                flags.insert(letter)
                if letter == "m" { human = true }
            }
        }
        return true
    }

    mutating func execute(_ report: StatusReport) -> ClStatus.Output {
        switch command {
        case "listnodes": listnodes(report)
        case "nodestatus": nodestatus(report)
        case "nodeweight": nodeweight(report)
        case "nodesite": nodesite(report)
        case "nodetype": nodetype(report)
        case "listhblinks": listhblinks(report)
        case "hblinkstatus": hblinkstatus(report)
        case "clientstatus": clientstatus(report)
        case "rscstatus": rscstatus(report)
        case "hbparameter": hbparameter(report)
        default: test(report)
        }
    }

    mutating func hbstatus(_ daemon: ClStatus.Daemon) -> ClStatus.Output {
        _ = parseOptions(keepGoing: true)
        let verbose = flags.contains("v")
        let report: StatusReport
        switch daemon {
        case .answered(let answered):
            report = answered
        case .notRunning(let reason), .refused(let reason):
            let running = if case .refused = daemon { true } else { false }
            // Both sentences are fixed for compatibility: init scripts and monitors grep them.
            print(running ? "Heartbeat is apparently running on this machine, but refuses my connection"
                          : "Heartbeat is stopped on this machine.")
            if verbose && !reason.isEmpty { print("(\(reason))") }
            return finish(running ? ClStatus.ok : ClStatus.normalFailure)
        case .timedOut:
            return finish(ClStatus.timeout)
        }
        guard verbose else {
            print("Heartbeat is running on this machine.")
            return finish(ClStatus.ok)
        }
        if human {
            print("Heartbeat version \(report.version)")
            print(report.isHaresourcesMode ? "Resources controlled by \"haresources\""
                                           : "Resources controlled by Pacemaker.")
        } else {
            print("version:\t\(report.version)")
            print(report.isHaresourcesMode ? "managed by:\t\"haresources\""
                                           : "managed by:\tpacemaker\t(\(report.managedBy))")
        }
        listNodes(report, normalOnly: false, pingOnly: false, verbose: true)
        return finish(ClStatus.ok)
    }

    mutating func listnodes(_ report: StatusReport) -> ClStatus.Output {
        guard parseOptions() else { return badOption() }
        listNodes(report, normalOnly: flags.contains("n"), pingOnly: flags.contains("p"), verbose: flags.contains("v"))
        return finish(ClStatus.ok)
    }

    /// `-n` and `-p` together mean every node, as in 3.0.6.
    mutating func listNodes(_ report: StatusReport, normalOnly: Bool, pingOnly: Bool, verbose: Bool) {
        let filter: StatusReport.NodeType? = normalOnly == pingOnly ? nil : (normalOnly ? .normal : .ping)
        if human { print("The nodes are as follow:") }
        for node in report.nodes where filter == nil || node.type == filter {
            if verbose {
                stdout += "\n\(node.name)\t\(node.status.rawValue)\t(nodetype: \(node.type.rawValue))\n"
                listLinks(node, verbose: true)
            } else {
                print(node.name)
            }
        }
    }

    mutating func listLinks(_ node: StatusReport.Node, verbose: Bool) {
        if human { print("\tthis node has the following heartbeat links:") }
        for link in node.links {
            print(verbose ? "\t\(link.name)\t\(link.status.rawValue)" : "\t\(link.name)")
        }
    }

    /// Parses options and finds the node named by the first operand, or finishes with the error.
    mutating func namedNode(_ report: StatusReport, unknown: String = "Error. May be due to incorrect node name")
        -> Lookup
    {
        guard parseOptions() else { return .failed(badOption()) }
        guard let name = operands.first else { return .failed(notEnoughParameters()) }
        guard let node = report.node(named: name) else {
            complain(unknown)
            return .failed(finish(ClStatus.parameterError))
        }
        return .found(node)
    }

    mutating func nodestatus(_ report: StatusReport) -> ClStatus.Output {
        let node: StatusReport.Node
        switch namedNode(report) {
        case .found(let found): node = found
        case .failed(let output): return output
        }
        let status = node.status.rawValue
        print(human ? "The cluster node \(operands[0]) is \(status)" : status)
        switch node.status {
        case .active, .up, .ping: return finish(ClStatus.ok)
        case .initial, .dead: return finish(ClStatus.normalFailure)
        }
    }

    mutating func nodeweight(_ report: StatusReport) -> ClStatus.Output {
        switch namedNode(report, unknown: "Error. Maybe due to incorrect node name.") {
        case .found(let node):
            print(human ? "The weight of the cluster node \(operands[0]) is \(node.weight)" : String(node.weight))
            return finish(ClStatus.ok)
        case .failed(let output): return output
        }
    }

    mutating func nodesite(_ report: StatusReport) -> ClStatus.Output {
        switch namedNode(report) {
        case .found(let node):
            print(human ? "The site of the cluster node \(operands[0]) is \(node.site)" : node.site)
            return finish(ClStatus.ok)
        case .failed(let output): return output
        }
    }

    mutating func nodetype(_ report: StatusReport) -> ClStatus.Output {
        switch namedNode(report) {
        case .found(let node):
            let type = node.type.rawValue
            print(human ? "The node \(operands[0])'s type: \(type)" : type)
            return finish(ClStatus.ok)
        case .failed(let output): return output
        }
    }

    mutating func listhblinks(_ report: StatusReport) -> ClStatus.Output {
        guard parseOptions() else { return badOption() }
        guard let name = operands.first else { return notEnoughParameters() }
        guard let node = report.node(named: name) else {
            // 3.0.6 fails the link walk here and exits 13, not 11.
            log("Cannot start heartbeat link interface walk.")
            log("REASON: no node named \(name)")
            return finish(ClStatus.unknownError)
        }
        listLinks(node, verbose: flags.contains("v"))
        return finish(ClStatus.ok)
    }

    mutating func hblinkstatus(_ report: StatusReport) -> ClStatus.Output {
        guard parseOptions() else { return badOption() }
        guard operands.count >= 2 else { return notEnoughParameters() }
        let (nodeName, linkName) = (operands[0], operands[1])
        guard let node = report.node(named: nodeName), let link = node.links.first(where: { $0.name == linkName }) else {
            log("Cannot get heartbeat link status")
            log("REASON: no link \(linkName) to node \(nodeName)")
            return finish(ClStatus.unknownError)
        }
        let status = link.status.rawValue
        print(human ? "The node \(nodeName)'s heartbeat link \(linkName) is \(status)" : status)
        return finish(link.status == .up ? ClStatus.ok : ClStatus.normalFailure)
    }

    /// The optional timeout operand is accepted and ignored: the daemon answers from its table at once.
    mutating func clientstatus(_ report: StatusReport) -> ClStatus.Output {
        guard parseOptions() else { return badOption() }
        guard operands.count >= 2 else { return notEnoughParameters() }
        let (nodeName, clientName) = (operands[0], operands[1])
        guard report.node(named: nodeName) != nil else {
            log("Cannot get heartbeat client \(clientName)'s status")
            log("REASON: no node named \(nodeName)")
            return finish(ClStatus.unknownError)
        }
        let wanted = NodeName(nodeName)
        let status = report.clients.first { NodeName($0.node) == wanted && $0.client == clientName }?.status ?? .offline
        // 3.0.6 prints the bare word even with -m.
        print(status.rawValue)
        let code: Int32 = switch status {
        case .online: 0
        case .offline: 1
        case .join: 2
        case .leave: 3
        }
        return finish(code)
    }

    mutating func rscstatus(_ report: StatusReport) -> ClStatus.Output {
        guard parseOptions() else { return badOption() }
        guard report.isHaresourcesMode else {
            log("Cannot get cluster resource status of a pacemaker cluster; try crm_mon")
            return finish(ClStatus.normalFailure)
        }
        let holding = report.resources.rawValue
        print(human ? "This node is holding \(holding) resources." : holding)
        return finish(ClStatus.ok)
    }

    mutating func hbparameter(_ report: StatusReport) -> ClStatus.Output {
        guard parseOptions() else { return badOption() }
        guard let name = optionValues["p"] else {
            log("parameter name required")
            return finish(ClStatus.parameterError)
        }
        // `hbversion` is always set in 3.0.6; fall back to the report's version if the daemon left it out.
        guard let value = report.parameters[name] ?? (name == "hbversion" ? report.version : nil) else {
            log("Cannot get parameter \(name)'s value")
            log("REASON: \(name) is not set")
            return finish(ClStatus.normalFailure)
        }
        print(human ? "Heartbeat parameter \(name)'s value: \(value)" : value)
        return finish(ClStatus.ok)
    }

    /// 3.0.6's debugging sub-command; its text (typo included) is kept as it was.
    mutating func test(_ report: StatusReport) -> ClStatus.Output {
        stdout += "Dead time: \(report.deadtimeMs)\n keeplive time: \(report.keepaliveMs)\n"
        stdout += " mynodeid: \(report.localNode)\n rsc: \(report.resources.rawValue)\n"
        return finish(ClStatus.ok)
    }

    mutating func badOption() -> ClStatus.Output {
        log("\(command): bad option")
        return finish(ClStatus.parameterError)
    }

    mutating func notEnoughParameters() -> ClStatus.Output {
        complain("Not enough parameters.")
        return finish(ClStatus.parameterError)
    }
}
