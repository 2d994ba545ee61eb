import Glibc
import HeartbeatCore
import HeartbeatSim

/// Real `heartbeat` daemons of this build in network namespaces, one per scenario node, each with
/// its own config, state and run directories; every resource is `resource.d/Dummy`, whose log of
/// starts and stops is the ownership history. `Tests/scenarios/netns-driver.sh` does the root
/// work (namespaces, links, processes) one command at a time and cleans up when hbctl goes away.
struct NetnsScenarioBackend: ScenarioBackend {
    let scenario: Scenario
    let work: String
    let driver: pid_t
    let commands: Int32
    let replies: UnsafeMutablePointer<FILE>
    var started = Duration.zero
    var logOffsets: [Int]
    var events = ScenarioHistory()
    var failure: String?

    init(_ scenario: Scenario, bin: String, root: String) throws {
        guard getuid() == 0 else { throw CommandError(description: "--netns needs root (network namespaces)") }
        self.scenario = scenario
        var template = Array("/tmp/hb-scenario.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CommandError(description: "mkdtemp: \(String(cString: strerror(errno)))") }
        work = String(cString: made)
        logOffsets = Array(repeating: 0, count: scenario.nodes.count)
        let absoluteRoot = Self.absolute(root)
        for index in scenario.nodes.indices { try Self.writeNode(index, scenario, work: work, root: absoluteRoot) }
        var toDriver: [Int32] = [0, 0]
        var fromDriver: [Int32] = [0, 0]
        guard pipe(&toDriver) == 0, pipe(&fromDriver) == 0 else { throw CommandError(description: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toDriver[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromDriver[1], 1)
        for fd in toDriver + fromDriver { posix_spawn_file_actions_addclose(&actions, fd) }
        let arguments = ["/bin/bash", "\(absoluteRoot)/Tests/scenarios/netns-driver.sh"]
        var environment = ["WORK=\(work)", "HB_BIN=\(Self.absolute(bin))", "HB_ROOT=\(absoluteRoot)",
                           "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.indices.map { strdup(environment[$0]) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        let result = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
        close(toDriver[0])
        close(fromDriver[1])
        guard result == 0 else { throw CommandError(description: "cannot start the netns driver: \(String(cString: strerror(result)))") }
        environment.removeAll()
        driver = pid
        commands = toDriver[1]
        replies = fdopen(fromDriver[0], "r")
        _ = try send("setup \(scenario.nodes.count) \(scenario.media.count) \(scenario.pingNode ? 1 : 0)")
        started = wallClock()
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + path
    }

    /// ha.cf, authkeys and haresources for node `index`, from the same values the simulator uses.
    /// ha.cf has the one layout of every test's ha.cf (`ha_cf` in Tests/lib/nodes.sh); it is
    /// written here rather than by the driver because the values are the parsed scenario's.
    static func writeNode(_ index: Int, _ scenario: Scenario, work: String, root: String) throws {
        let dir = "\(work)/node\(index + 1)"
        for sub in ["", "/etc", "/etc/resource.d", "/state", "/run", "/rsc"] { mkdir(dir + sub, 0o755) }
        let config = scenario.simConfig
        let haCf = """
            logfile \(dir)/ha-log
            udpport 694
            keepalive \(config.keepalive.milliseconds)ms
            \(config.warntime.map { "warntime \($0.milliseconds)ms" } ?? "")
            deadtime \(config.deadtime.milliseconds)ms
            initdead \(config.initdead.milliseconds)ms
            \(scenario.media.map { "bcast \($0)" }.joined(separator: "\n"))
            auto_failback \(scenario.autoFailback.rawValue)
            node \(scenario.nodes.joined(separator: " "))

            """ + pingLines(scenario) + stonithLines(scenario, node: index + 1, work: work)
        let haresources = scenario.groups.map { group in
            ([group.preferredNode] + group.resources.map(scenario.token)).joined(separator: " ")
        }.joined(separator: "\n") + "\n"
        try write(haCf, to: "\(dir)/etc/ha.cf")
        try write("auth 1\n1 sha1 \(scenario.authSecret)\n", to: "\(dir)/etc/authkeys")
        chmod("\(dir)/etc/authkeys", 0o600)
        try write(haresources, to: "\(dir)/etc/haresources")
        if let monitors = scenario.monitorsText { try write(monitors, to: "\(dir)/etc/monitors") }
        symlink("\(root)/resource.d/Dummy", "\(dir)/etc/resource.d/Dummy")
    }

    /// The ping node is the responder the driver puts on the ping network (10.79.0.0/24).
    static func pingLines(_ scenario: Scenario) -> String {
        guard scenario.pingNode else { return "" }
        var lines = ["ping \(Scenario.pingNode)"]
        if let deadping = scenario.deadping { lines.append("deadping \(deadping.milliseconds)ms") }
        switch scenario.arbitration {
        case .on: lines.append("arbitration on")
        // Debian's path of 3.0.6's ipfail (the line must name an executable; it is never run).
        case .ipfail: lines.append("respawn hacluster /usr/libexec/heartbeat/ipfail")
        case .off: break
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Tests/scenarios/stonith/scenario: `work` finds the nodes' PIDs and flag files, `caller`
    /// says whose device it is (`fence fails on NODE`).
    static func stonithLines(_ scenario: Scenario, node: Int, work: String) -> String {
        scenario.stonith ? "stonith_host * external/scenario work=\(work) caller=node\(node)\n" : ""
    }

    static func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "w") else { throw CommandError(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { fclose(file) }
        guard fputs(text, file) >= 0 else { throw CommandError(description: "\(path): write failed") }
    }

    /// One command to the driver, its one-line answer back.
    @discardableResult
    mutating func send(_ command: String) throws -> String {
        let line = command + "\n"
        guard Glibc.write(commands, line, line.utf8.count) == line.utf8.count else { throw CommandError(description: "netns driver is gone") }
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        guard getline(&buffer, &capacity, replies) > 0, let buffer else { throw CommandError(description: "netns driver is gone") }
        let reply = String(cString: buffer).trimmingCharacters(in: "\n")
        if reply.hasPrefix("err") { throw CommandError(description: "netns driver: \(command): \(reply.dropFirst(4))") }
        return String(reply.dropFirst(3))
    }

    var elapsed: Duration { wallClock() - started }

    mutating func advance(to time: Duration) throws {
        while true {
            readLogs()
            let left = time - elapsed
            if left <= .zero { return }
            let nap = min(left, .milliseconds(10))
            var spec = timespec(tv_sec: Int(nap.components.seconds), tv_nsec: Int(nap.components.attoseconds / 1_000_000_000))
            nanosleep(&spec, nil)
        }
    }

    /// New lines of every daemon's log, stamped with the time they were first seen.
    mutating func readLogs() {
        for index in scenario.nodes.indices {
            guard let file = fopen("\(work)/node\(index + 1)/ha-log", "r") else { continue }
            defer { fclose(file) }
            fseek(file, logOffsets[index], SEEK_SET)
            var buffer: UnsafeMutablePointer<CChar>?
            var capacity = 0
            defer { free(buffer) }
            while true {
                let count = getline(&buffer, &capacity, file)
                guard count > 0, let line = buffer, line[count - 1] == 10 else { break }
                logOffsets[index] += count
                events.append(.log(node: scenario.nodes[index], String(cString: line).trimmingCharacters(in: "\n")), at: elapsed)
            }
        }
    }

    func number(_ node: String) -> Int { scenario.nodes.firstIndex(of: node)! + 1 }

    mutating func perform(_ action: Scenario.Action) throws {
        switch action {
        case .start("all"): for node in scenario.nodes { try send("start \(number(node))") }
        case .start(let node): try send("start \(number(node))")
        case .stop("all"): for node in scenario.nodes { try send("stop \(number(node))") }
        case .stop(let node): try send("stop \(number(node))")
        case .kill(let node):
            try send("kill \(number(node))")
            events.append(.down(node: node), at: elapsed)
        case .restart(let node):
            try send("kill \(number(node))")
            events.append(.down(node: node), at: elapsed)
            try send("start \(number(node))")
        case .cutLink(let node, let medium):
            try send("link \(number(node)) \(scenario.media.firstIndex(of: medium)!) down")
        case .restoreLink(let node, let medium):
            try send("link \(number(node)) \(scenario.media.firstIndex(of: medium)!) up")
        case .partition(let sides):
            try send("partition " + sides.map { $0.map { String(number($0)) }.joined(separator: ",") }.joined(separator: "|"))
        case .heal: try send("heal")
        case .standby(let node, let set): try send("hb_standby \(number(node)) \(set.rawValue)")
        case .takeover(let node, let set): try send("hb_takeover \(number(node)) \(set.rawValue)")
        case .scriptFails(let resource, let node, let fails):
            let path = "\(work)/node\(number(node))/rsc/Dummy-\(resource).fail-start"
            if fails { try Self.write("", to: path) } else { unlink(path) }
        case .losePing(let node): try send("ping \(number(node)) down")
        case .restorePing(let node): try send("ping \(number(node)) up")
        case .fenceFails(let node, let fails):
            let path = "\(work)/node\(number(node))/fence-fail"
            if fails { try Self.write("", to: path) } else { unlink(path) }
        case .breakService(let resource, let node, let fault):
            // Dummy's state file is its service: without it `status` says stopped until the next start.
            let state = "\(work)/node\(number(node))/rsc/Dummy-\(resource)"
            let persistent = fault.persistent ? "persistent\n" : ""
            switch fault.kind {
            case .crashed:
                unlink(state)
                if fault.persistent { try Self.write(persistent, to: state + ".fail-status") }
            case .hung: try Self.write(persistent, to: state + ".hang-status")
            case .flapping(let every): try Self.write("\(every)\n" + persistent, to: state + ".flap-status")
            }
        case .healService(let resource, let node):
            let state = "\(work)/node\(number(node))/rsc/Dummy-\(resource)"
            for flag in [".fail-status", ".hang-status", ".flap-status"] { unlink(state + flag) }
        case .monitorReset(let node, let group):
            try send("monitor_reset \(number(node)) \(group.map(scenario.token) ?? "")")
        }
    }

    mutating func clStatus(_ node: String, _ arguments: [String]) throws -> String {
        try send("cl_status \(number(node)) \(arguments.joined(separator: " "))").trimmingCharacters(in: " ")
    }

    /// The daemons' log lines, the crashes, and Dummy's log: "<epoch-ns> <node> <name> <action> <result>"
    /// (the STONITH plugin adds "<epoch-ns> <node> - fenced <by>" when it powers a node off).
    mutating func history() throws -> ScenarioHistory {
        readLogs()
        var history = events
        let text = (try? readText("\(work)/scripts.log")) ?? ""
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 5, let stamp = Int64(fields[0]) else { continue }
            let time = Duration.nanoseconds(stamp) - started
            let (node, name) = (fields[1], fields[2])
            switch (fields[3], fields[4]) {
            case ("start", "begin"): history.append(.scriptBegan(node: node, resource: name, .start), at: time)
            case ("start", "failed"): history.append(.scriptEnded(node: node, resource: name, .start, exitCode: 1), at: time)
            case ("stop", "ok"): history.append(.scriptEnded(node: node, resource: name, .stop, exitCode: 0), at: time)
            case ("stop", "failed"): history.append(.scriptEnded(node: node, resource: name, .stop, exitCode: 1), at: time)
            case ("fenced", _): history.append(.down(node: node), at: time)
            default: continue
            }
        }
        history.events.sort { $0.time < $1.time }
        return history
    }

    /// Closing the driver's stdin makes it kill the daemons, delete the namespaces and, unless
    /// told to keep it, the work directory.
    mutating func tearDown(keep: Bool) {
        if keep, (try? send("keep")) != nil { print("   work directory kept: \(work)") }
        close(commands)
        fclose(replies)
        var status: Int32 = 0
        while waitpid(driver, &status, 0) < 0 && errno == EINTR {}
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
