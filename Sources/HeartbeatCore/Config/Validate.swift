extension ClusterConfig {
    /// Parses the files and checks every relation between values in this one place (like
    /// etcd raft's `Config.validate`): timing order, required media and nodes, the local node, the
    /// haresources nodes and scripts, respawn programs, the monitors' groups. Fills 3.0.6's defaults and derived values.
    ///
    /// Every problem in every file is reported, each with its file and line; errors in one file do
    /// not stop the others from being checked.
    ///
    /// - Returns: the configuration when there is no error, and all diagnostics (errors and warnings).
    public static func validate(_ input: ConfigInput, machine: some MachineFacts) -> (ClusterConfig?, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []

        let haCf: HaCf?
        switch input.haCf {
        case .text(let text):
            haCf = HaCfParser.parse(text, file: input.haCfPath)
            diagnostics += haCf!.diagnostics
        case .missing, .unreadable:
            haCf = nil
            diagnostics.append(cannotRead(input.haCf, input.haCfPath, what: "config file",
                                          fix: "copy the annotated sample /usr/share/doc/heartbeat/ha.cf.gz there and edit it"))
        }

        var authKeys: AuthKeys?
        switch input.authKeys {
        case .text(let text):
            let (keys, found) = AuthKeysParser.parse(text, file: input.authKeysPath, mode: input.authKeysMode)
            authKeys = keys
            diagnostics += found
        case .missing, .unreadable:
            diagnostics.append(cannotRead(input.authKeys, input.authKeysPath, what: "keyfile",
                                          fix: "create it with 'auth 1' and '1 sha1 <secret>', then chmod 600 it"))
        }

        var resources = HaResources()
        switch input.haResources {
        case .text(let text):
            resources = HaResourcesParser.parse(text, file: input.haResourcesPath)
            diagnostics += resources.diagnostics
        case .missing, .unreadable:
            // v1 resource management needs the file, even when it lists no groups (spec §8).
            diagnostics.append(cannotRead(input.haResources, input.haResourcesPath, what: "resources file",
                                          fix: "create it (an empty file means no resource groups): touch \(input.haResourcesPath)"))
        }

        guard let haCf else { return (nil, sorted(diagnostics, input)) }
        var check = Checker(haCf: haCf, input: input, machine: machine)
        let config = check.run(authKeys: authKeys, resources: resources)
        diagnostics += check.diagnostics
        let all = sorted(diagnostics, input)
        return (all.hasErrors ? nil : config, all)
    }

    static func cannotRead(_ contents: ConfigInput.Contents, _ path: String, what: String, fix: String) -> Diagnostic {
        if case .unreadable(let reason) = contents {
            return Diagnostic(.error, file: path, line: 0, "Cannot open \(what) [\(path)]: \(reason)",
                              hint: "make it readable by the user running heartbeat")
        }
        return Diagnostic(.error, file: path, line: 0, "Cannot open \(what) [\(path)]: it does not exist", hint: fix)
    }

    /// The `monitors` file checked against the validated groups and the machine; no checks and no
    /// diagnostics when it is missing. `validate` calls it, and so does `heartbeat -r` to re-read it.
    public static func validateMonitors(
        _ contents: ConfigInput.Contents, file: String, groups: [ResourceGroup], machine: some MachineFacts
    ) -> ([MonitorSpec], [Diagnostic]) {
        switch contents {
        case .missing:
            return ([], [])
        case .unreadable:
            return ([], [cannotRead(contents, file, what: "monitors file", fix: "remove it for no monitoring")])
        case .text(let text):
            var (specs, diagnostics) = MonitorsParser.parse(text, file: file, groups: groups)
            for spec in specs {
                if case .exec(let path, _) = spec.check, !machine.isExecutableFile(path) {
                    diagnostics.append(Diagnostic(
                        .warning, file: file, line: spec.line, "check program [\(path)] is missing or not executable: the check will fail",
                        hint: "install it there and chmod +x it (check `ls -l \(path)`)"))
                }
            }
            return (specs, diagnostics)
        }
    }

    /// Groups diagnostics by file (ha.cf, authkeys, haresources, monitors, others) and orders each by line.
    static func sorted(_ diagnostics: [Diagnostic], _ input: ConfigInput) -> [Diagnostic] {
        let order = [input.haCfPath, input.authKeysPath, input.haResourcesPath, input.monitorsPath]
        let rank = { (d: Diagnostic) in order.firstIndex(of: d.file) ?? order.count }
        return diagnostics.enumerated().sorted { a, b in
            (rank(a.element), a.element.line, a.offset) < (rank(b.element), b.element.line, b.offset)
        }.map(\.element)
    }
}

/// The relation checks, kept together so a reader sees every rule in one file.
private struct Checker<Machine: MachineFacts> {
    var haCf: HaCf
    let input: ConfigInput
    let machine: Machine
    var diagnostics: [Diagnostic] = []

    init(haCf: HaCf, input: ConfigInput, machine: Machine) {
        self.haCf = haCf
        self.input = input
        self.machine = machine
    }

    var file: String { input.haCfPath }

    /// Where a directive was written, or 0 (the whole file) when it has its default.
    func line(_ directive: String) -> Int { haCf.lines[directive] ?? 0 }

    mutating func error(_ line: Int, _ message: String, hint: String, file: String? = nil) {
        diagnostics.append(Diagnostic(.error, file: file ?? self.file, line: line, message, hint: hint))
    }

    mutating func warning(_ line: Int, _ message: String, hint: String, file: String? = nil) {
        diagnostics.append(Diagnostic(.warning, file: file ?? self.file, line: line, message, hint: hint))
    }

    mutating func run(authKeys: AuthKeys?, resources: HaResources) -> ClusterConfig? {
        var parameters = haCf.recorded
        checkMembership()
        let timing = checkTiming(&parameters)
        checkMedia()
        let autoFailback = checkFailback()
        let logging = checkLogging(&parameters)
        checkRespawn()
        checkStonith()
        let groups = checkResources(resources)
        checkPartitionRisk(groups: groups)
        checkSharedDisks(resources)
        let (monitors, monitorDiagnostics) = ClusterConfig.validateMonitors(
            input.monitors, file: input.monitorsPath, groups: groups, machine: machine)
        diagnostics += monitorDiagnostics

        // 3.0.6 fills these when they are not written (spec §8; `heartbeat -D`).
        for (name, value) in HeartbeatDefaults.table.map({ ($0.directive, $0.value) }) where parameters[name] == nil {
            parameters[name] = value
        }
        if parameters["udpport"] == nil { parameters["udpport"] = "694" }
        if parameters["debug"] == nil { parameters["debug"] = String(haCf.debug) }

        guard let authKeys, let timing else { return nil }
        return ClusterConfig(
            localNode: machine.localNodeName, nodes: haCf.nodes, media: haCf.media, pingNodes: haCf.pingNodes,
            pingGroups: haCf.pingGroups, udpport: haCf.udpport ?? 694, baud: haCf.baud,
            keepalive: haCf.keepalive, deadtime: haCf.deadtime, warntime: timing.warntime,
            initdead: timing.initdead, deadping: timing.deadping, autoFailback: autoFailback,
            watchdog: haCf.watchdog, stonith: haCf.stonith, respawn: haCf.respawn,
            arbitrationDirective: haCf.arbitration, isolationGuard: haCf.isolationGuard,
            apiAuth: haCf.apiAuth + APIAuth.builtIn.filter { builtIn in !haCf.apiAuth.contains { $0.client == builtIn.client } },
            logging: logging, debug: haCf.debug, logBadPackets: haCf.logBadPackets, realtime: haCf.realtime,
            // The midpoint of Linux's SCHED_FIFO range 1…99 (spec §8).
            rtprio: haCf.rtprio ?? 50, memreserve: haCf.memreserve, hbgenmethod: haCf.hbgenmethod,
            msgfmt: haCf.msgfmt, hopfudge: haCf.hopfudge, maxRexmitDelay: haCf.maxRexmitDelay,
            compression: haCf.compression, compressionThreshold: haCf.compressionThreshold,
            coredumps: haCf.coredumps, coreroot: haCf.coreroot, environment: haCf.environment,
            cluster: haCf.cluster, authKeys: authKeys, resourceGroups: groups, parameters: parameters,
            metricsEndpoint: haCf.metricsEndpoint, monitors: monitors)
    }

    // MARK: nodes and media

    mutating func checkMembership() {
        if haCf.nodes.isEmpty {
            error(line("node"), "no nodes defined", hint: "add a 'node <name>' line for every cluster member (names as `uname -n` prints them)")
        }
        let local = machine.localNodeName
        if !haCf.nodes.isEmpty, !haCf.nodes.contains(local) {
            error(line("node"), "Current node [\(local)] not in configuration!",
                  hint: "add 'node \(local)' to ha.cf; node names are `uname -n`, or the first line of \(ConfigInput.join(input.configDirectory, "nodeinfo"))")
        }
        // The haresources resource manager (v1) cannot work with nodes joining on their own (spec §5.7).
        if haCf.autojoin != "none" {
            error(line("autojoin"), "R1 style resource management conflicts with autojoin set",
                  hint: "set 'autojoin none' (or remove the line): haresources needs every node listed")
        }
    }

    mutating func checkMedia() {
        if haCf.media.isEmpty {
            error(0, "No heartbeat media defined",
                  hint: "add a medium, e.g. 'bcast eth0', 'ucast eth0 <peer address>' or 'mcast eth0 239.0.0.1 694 1 0'")
        }
        for (medium, line) in zip(haCf.media, haCf.mediaLines) {
            switch medium {
            case .ucast(_, let peer), .ucast6(_, let peer):
                let address = String(peer.prefix { $0 != "%" })
                if machine.isLocalAddress(address) {
                    warning(line, "ucast peer [\(peer)] is an address of this machine; this line only loops back to us here",
                            hint: "normal when one ha.cf is shared by all nodes; otherwise give the peer's address")
                }
            default:
                break
            }
        }
    }

    // MARK: timing (spec §5.2)

    struct Timing {
        var warntime: Duration
        var initdead: Duration
        var deadping: Duration
    }

    mutating func checkTiming(_ parameters: inout [String: String]) -> Timing? {
        let keepalive = haCf.keepalive
        let deadtime = haCf.deadtime
        let ms = ConfigValues.millisecondsText
        var good = true
        let timingLine = haCf.lines["deadtime"] ?? line("keepalive")

        if deadtime <= keepalive * 2 {
            error(timingLine, "Dead time [\(ms(deadtime))] is too small compared to keepalive [\(ms(keepalive))]",
                  hint: "deadtime must be more than twice keepalive; the FAQ suggests deadtime of 30–60 s")
            good = false
        }

        // 3.0.6 derives warntime as deadtime/2 when it is not written.
        let warntime = haCf.warntime ?? deadtime / 2
        if haCf.warntime == nil { parameters["warntime"] = ms(warntime) }
        let warnLine = haCf.lines["warntime"] ?? timingLine
        if warntime <= keepalive {
            error(warnLine, "warntime [\(ms(warntime))] must be greater than keepalive [\(ms(keepalive))]",
                  hint: "otherwise every heartbeat is reported late; set warntime between keepalive and deadtime")
            good = false
        }
        if warntime >= deadtime {
            error(warnLine, "warntime [\(ms(warntime))] must be less than deadtime [\(ms(deadtime))]",
                  hint: "a late-heartbeat warning must come before the node is declared dead; ½–¼ of deadtime is usual")
            good = false
        }

        let initdead: Duration
        if let written = haCf.initdead {
            initdead = written
            if initdead < deadtime {
                error(line("initdead"), "Initial dead time [\(ms(initdead))] is smaller than deadtime [\(ms(deadtime))]",
                      hint: "set initdead to at least deadtime (twice deadtime is recommended)")
                good = false
            } else if initdead < deadtime * 2 {
                warning(line("initdead"), "initdead [\(ms(initdead))] is less than twice deadtime [\(ms(deadtime))]",
                        hint: "networks can be slow to come up after a reboot; twice deadtime is recommended")
            }
        } else {
            // Derived as 3.0.6 does (spec §5.2).
            if deadtime > .seconds(10) {
                initdead = deadtime
            } else if deadtime < .seconds(6) {
                initdead = .seconds(12)
            } else {
                initdead = deadtime * 2
            }
            parameters["initdead"] = ms(initdead)
        }
        if initdead >= deadtime, initdead < .seconds(10) {
            warning(line("initdead"), "Initial dead time [\(ms(initdead))] may be too small!",
                    hint: "initdead accounts for slow network start-up; it should be >= deadtime and >= 10 seconds")
        }

        let deadping: Duration
        if let written = haCf.deadping {
            deadping = written
            if deadping <= keepalive * 2 {
                error(line("deadping"), "Ping dead time [\(ms(deadping))] is too small compared to keepalive [\(ms(keepalive))]",
                      hint: "deadping must be more than twice keepalive")
                good = false
            }
        } else {
            deadping = deadtime
            parameters["deadping"] = ms(deadping)
        }
        return good ? Timing(warntime: warntime, initdead: initdead, deadping: deadping) : nil
    }

    // MARK: failback (spec §6.6)

    mutating func checkFailback() -> AutoFailback {
        var mode = haCf.autoFailback ?? .legacy
        if haCf.niceFailback != nil {
            // 3.0.6 turns nice_failback into 'off' when auto_failback on/off is already set, else 'legacy'.
            let mapped: AutoFailback = (mode == .legacy) ? .legacy : .off
            warning(line("nice_failback"), "nice_failback is obsolete; it is read as 'auto_failback \(mapped.rawValue)'",
                    hint: "replace it with 'auto_failback on' or 'auto_failback off'")
            mode = mapped
        }
        if mode == .legacy {
            warning(line("auto_failback"), "Deprecated 'legacy' auto_failback option selected.",
                    hint: "convert to 'auto_failback on' (every node must use the same setting); standby and ipfail need it")
        }
        return mode
    }

    // MARK: logging (spec §7.6)

    mutating func checkLogging(_ parameters: inout [String: String]) -> LoggingSettings {
        var logging = haCf.logging
        let anyLog = logging.logfile != nil || logging.debugfile != nil || logging.facility != nil
        if anyLog {
            logging.useLogd = haCf.useLogd ?? false
            // With only a facility, 3.0.6 points the files at /dev/null so stray script output vanishes.
            if logging.facility != nil {
                if logging.logfile == nil { logging.logfile = "/dev/null" }
                if logging.debugfile == nil { logging.debugfile = "/dev/null" }
            }
        } else if haCf.useLogd == false {
            error(line("use_logd"), "No log entry found in ha.cf and use_logd is set to off",
                  hint: "add 'logfacility daemon' or 'logfile /var/log/ha-log', or set 'use_logd yes'")
        } else {
            logging.useLogd = true
            parameters["use_logd"] = parameters["use_logd"] ?? "yes"
        }
        return logging
    }

    // MARK: respawn, failfast, stonith (spec §7.3, §7.4)

    mutating func checkRespawn() {
        for (entry, line) in zip(haCf.respawn, haCf.respawnLines) {
            if !machine.userExists(entry.user) {
                error(line, "Invalid uid [\(entry.user)] specified for client child",
                      hint: "use an existing user, e.g. hacluster or root")
            }
            if !machine.isExecutableFile(entry.path) {
                error(line, "Client child command [\(entry.path)] is not executable",
                      hint: "install the program there, or fix the path (check `ls -l \(entry.path)`)")
            }
        }
    }

    mutating func checkStonith() {
        for directive in haCf.stonith {
            if let host = directive.host, host != "*", !haCf.nodes.contains(host) {
                warning(directive.line, "stonith_host [\(host)] is not a cluster node, so no node uses this line",
                        hint: "write a node name from the node lines, or * for any node")
            }
        }
    }

    /// A heartbeat-only partition (spec §10.1, §10.3): without STONITH and with one medium, a
    /// cut of that one link makes both nodes run every group.
    mutating func checkPartitionRisk(groups: [ResourceGroup]) {
        let links = Set(haCf.media.map(\.linkName))
        guard !isFenced, !groups.isEmpty, links.count == 1 else { return }
        warning(haCf.mediaLines.first ?? 0, ClusterConfig.partitionRiskWarning, hint: ClusterConfig.partitionRiskHint)
    }

    /// Whether a STONITH device serves this node (a stonith line, or stonith_host for it or *).
    var isFenced: Bool {
        haCf.stonith.contains { $0.host == nil || $0.host == "*" || $0.host == machine.localNodeName }
    }

    /// A block device's file system in a group without STONITH: warned on its haresources line.
    mutating func checkSharedDisks(_ resources: HaResources) {
        guard !isFenced else { return }
        for (group, lines) in zip(resources.groups, resources.resourceLines) {
            for (resource, line) in zip(group.resources, lines) {
                guard let device = ClusterConfig.mountedBlockDevice(resource) else { continue }
                warning(line, ClusterConfig.sharedDiskWarning(device: device), hint: ClusterConfig.sharedDiskHint,
                        file: input.haResourcesPath)
            }
        }
    }

    // MARK: haresources (spec §6.1, §6.2)

    mutating func checkResources(_ resources: HaResources) -> [ResourceGroup] {
        let file = input.haResourcesPath
        // v1 holdings (`rsc_hold` local/foreign) describe two nodes: with more, every survivor
        // would start a dead node's groups (our simulator shows it; 3.0.6 has no rule either).
        if haCf.nodes.count > 2, let first = resources.groups.first {
            warning(first.line, "haresources resource management is for two nodes; with \(haCf.nodes.count) nodes a dead node's groups may start on more than one survivor",
                    hint: "keep haresources groups on a pair of nodes and run the other nodes without groups, or use Pacemaker", file: file)
        }
        var groups: [ResourceGroup] = []
        var missing: Set<String> = []
        for (group, lines) in zip(resources.groups, resources.resourceLines) {
            var group = group
            if !haCf.nodes.contains(group.preferredNode) {
                let known = haCf.nodes.isEmpty ? "none are configured" : haCf.nodes.joined(separator: ", ")
                error(group.line, "Bad nodename in \(file) [\(group.preferredNode)]",
                      hint: "the first word must be a node from ha.cf (\(known))", file: file)
            }
            for (index, resource) in group.resources.enumerated() {
                if let path = locate(resource.script) {
                    group.resources[index].path = path
                } else if missing.insert(resource.script).inserted {
                    error(lines[index], "Cannot locate resource script \(resource.script)",
                          hint: "install an executable \(resource.script) in \(input.resourceDirectory)/ or \(input.initDirectory)/",
                          file: file)
                }
            }
            groups.append(group)
        }
        return groups
    }

    /// 3.0.6's lookup order: `<configdir>/resource.d/<script>`, then `<initd>/<script>` (spec §6.2).
    func locate(_ script: String) -> String? {
        [ConfigInput.join(input.resourceDirectory, script), ConfigInput.join(input.initDirectory, script)]
            .first { machine.isExecutableFile($0) }
    }
}
