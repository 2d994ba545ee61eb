import Glibc
import HeartbeatCore

/// The running daemon: one event loop that feeds packets, timer ticks, script exits and signals to
/// the pure `Node` (membership + resources) and carries out the effects it returns
/// (docs/architecture.md, "The daemon").
public final class Daemon {
    var config: ClusterConfig
    let paths: DaemonPaths
    let options: DaemonOptions
    let logger: Logger
    let loop: EventLoop
    var node: Node
    let io: DaemonIO
    var pingMedium: PingMedium?
    private var endpoints = LocalEndpoints()
    private(set) var scriptEnvironment: ScriptEnvironment
    private var runningScripts = RunningScripts()
    /// Packets refused before they reached membership, by `WireError.reason`.
    private(set) var wireRejects: [String: Int] = [:]
    private var loadAverage = "n/a"
    private var nextLoadAverage = Instant.zero
    /// The kernel recomputes the load average every 5 s: reading it more often finds the same text.
    private static let loadAveragePeriod: Duration = .seconds(5)
    private var nextHousekeeping = Instant.zero
    private static let housekeepingPeriod: Duration = .seconds(1)
    /// Housekeeping rides on the next wake-up that comes anyway (a heartbeat to send, every
    /// keepalive) once it is due; only when none comes within this slack does it wake the loop itself.
    private static let housekeepingSlack: Duration = .milliseconds(500)
    private var nextWatchdogPing: Instant?
    private(set) var shutdown = Shutdown.notAsked
    var shuttingDown: Bool { shutdown != .notAsked }
    /// A shutdown that waits on resource release gives up after this (3.0.6: 60 minutes).
    private static let shutdownPatience: Duration = .seconds(3600)
    var fencing = FencingParts()
    private var metricsState = MetricsState()
    /// The groups that may run here, as recorded in the state directory (Daemon+HeldGroups.swift).
    var heldGroups = HeldGroups()
    private let announcer: AddressAnnouncer

    /// The daemon on this machine's media, scripts, clocks, state directory and systemd.
    public convenience init(config: ClusterConfig, paths: DaemonPaths, options: DaemonOptions) throws(SystemError) {
        let logger = Logger(destinations: Self.logDestinations(config, options))
        let loop = try EventLoop()
        let deliveries = Deliveries()
        let io = DaemonIO(
            clock: SystemClock(),
            transport: Media(media: config.media, udpport: config.udpport, baud: config.baud,
                             localAddresses: Set(localIPv4Addresses()), loop: loop, logger: logger) {
                deliveries.daemon?.received($0, on: $1)
            },
            scripts: ScriptRunner(loop: loop) { deliveries.daemon?.scriptFinished($0) },
            checks: CheckRunner(loop: loop) { deliveries.daemon?.handle(.checkFinished($0, $1)) },
            notifier: SystemdNotifier.fromProcess())
        try self.init(config: config, paths: paths, options: options, logger: logger, loop: loop, io: io,
                      state: StateFiles(directory: paths.stateDir))
        deliveries.daemon = self
    }

    /// The daemon on the given I/O: the machine's (above) or a unit test's fakes.
    init(config: ClusterConfig, paths: DaemonPaths, options: DaemonOptions, logger: Logger, loop: EventLoop,
         io: DaemonIO, state: any IdentityStore) throws(SystemError) {
        self.config = config
        self.paths = paths
        self.options = options
        self.logger = logger
        self.loop = loop
        self.io = io
        announcer = AddressAnnouncer(logger: logger, loop: loop)
        scriptEnvironment = ScriptEnvironment(config: config, paths: paths)

        let generation: UInt64
        switch config.hbgenmethod {
        case .time:
            generation = io.clock.wallClockSeconds()
        case .file:
            let bumped = try state.bumpGeneration(wallClockSeconds: io.clock.wallClockSeconds())
            if let (level, text) = bumped.note { logger.log(level, text) }
            generation = bumped.generation
        }
        logger.log(.info, "Heartbeat generation: \(generation)")
        let (uuid, uuidNote) = try state.loadOrCreateUUID()
        if let (level, text) = uuidNote { logger.log(level, text) }
        if options.manageResources { heldGroups = Self.loadHeldGroups(StateFiles(directory: paths.stateDir), config: config, logger: logger) }

        node = Node(cluster: config,
                    identity: NodeIdentity(uuid: uuid, generation: generation,
                                           ackSeed: UInt64(UInt32(bitPattern: getpid())) ^ generation),
                    scripts: options.manageResources ? .standard : nil)
        loop.onTimer { [unowned self] in self.timerFired() }
        announcer.onAddressEvent = { [unowned self] in
            let now = self.io.clock.now()
            self.announcer.announceAppeared(now: now)
            self.armTimer(now: now)
        }
    }

    /// Runs until SIGTERM/SIGINT. Returns the process exit code.
    public func run() -> Int32 {
        logger.log(.info, "Configuration validated. Starting heartbeat \(heartbeatVersion)")
        enterRealtimeIfAsked()
        do {
            try loop.handleSignals([SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE, SIGCHLD]) { [unowned self] in
                self.signalled($0)
            }
        } catch {
            logger.log(.error, "Cannot handle signals: \(error)")
            return 1
        }
        startPingMedium()
        openControlAndMetrics()
        startFencingParts()
        do {
            endpoints.fifo = try FifoReader(path: paths.fifo, loop: loop, logger: logger) { [unowned self] in self.handle(.fromScript($0)) }
        } catch {
            logger.log(.error, "Cannot open the FIFO \(paths.fifo): \(error)")
        }
        refreshLoadAverage()
        handle(.start)
        io.notifier?.send("READY=1\nSTATUS=\(statusReport().systemdStatus)")
        if let interval = io.notifier?.watchdogInterval { nextWatchdogPing = io.clock.now() + interval }
        armTimer(now: io.clock.now())
        loop.run()
        io.checks.cancelAll()
        fencing.respawn?.stopAll()
        fencing.watchdog?.close()
        endpoints.close()
        logger.log(.info, "Heartbeat shutdown complete.")
        return 0
    }

    private func openControlAndMetrics() {
        do {
            let control = try ControlServer(
                path: paths.controlSocket, loop: loop,
                report: { [unowned self] in self.statusReport() },
                perform: { [unowned self] request, _ in self.perform(request) })
            control.authorization = .fromConfig(config, logger: logger)
            endpoints.control = control
        } catch {
            logger.log(.error, "Cannot open the control socket \(paths.controlSocket): \(error)")
        }
        if let endpoint = config.metricsEndpoint {
            do {
                endpoints.metrics = try MetricsServer(endpoint: endpoint, loop: loop) { [unowned self] in self.metricsText() }
                logger.log(.info, "Metrics served on \(endpoint)")
            } catch {
                logger.log(.error, "Cannot serve metrics on \(endpoint): \(error)")
            }
        }
    }

    // MARK: Events into the core

    func handle(_ event: Node.Event) {
        let now = io.clock.now()
        let effects = node.handle(event, now: now)
        perform(effects)
        if fencing.respawn != nil, node.membership.communicationState == .up { startRespawnClients() }
        armTimer(now: now)
        // A steady heartbeat only sends, a monitor only runs its checks; a change of what systemd
        // and the metrics show (node status, group owner, resources) comes with an effect of its
        // own. So the status is projected only then, not on every packet, tick and check.
        guard io.notifier != nil || endpoints.metrics != nil,
              effects.contains(where: { !$0.leavesStatusAlone }) else { return }
        let report = statusReport()
        io.notifier?.status(report.systemdStatus)
        if endpoints.metrics != nil { metricsState.observe(report) }
    }

    private func metricsText() -> String {
        var heartbeats: [String: LateHeartbeatStats] = [:]
        for peer in node.membership.nodes { heartbeats[peer.name] = peer.heartbeats }
        return metricsState.text(statusReport(), heartbeats: heartbeats)
    }

    func received(_ bytes: ArraySlice<UInt8>, on link: String) {
        do {
            let decoded = try Wire.decode(Array(bytes), keys: config.authKeys)
            handle(.received(decoded.message, link: link))
        } catch {
            wireRejects[error.reason, default: 0] += 1
            if config.logBadPackets {
                // Keyed by reason, so a flood of varied garbage still collapses into one line a window.
                logger.log(.error, "Rejected packet on \(link): \(error.reason)", rateLimited: true)
                logger.log(.debug, "Rejected packet on \(link): \(error)")
            }
        }
    }

    private func timerFired() {
        let now = io.clock.now()
        if now >= nextHousekeeping { housekeeping(now: now) }
        if let due = nextWatchdogPing, now >= due, let interval = io.notifier?.watchdogInterval {
            // Sent from the loop itself, so a stuck loop stops the pings and systemd restarts us.
            io.notifier?.send("WATCHDOG=1")
            nextWatchdogPing = now + interval
        }
        io.scripts.enforceTimeouts(now: now)
        io.checks.enforceTimeouts(now: now)
        announcer.sendDue(now: now)
        if let deadline = shutdown.deadline, now >= deadline {
            logger.log(.critical, "Emergency shutdown: resources not released within \(Self.shutdownPatience).")
            loop.stop()
            return
        }
        handle(.tick)
    }

    private func housekeeping(now: Instant) {
        nextHousekeeping = now + Self.housekeepingPeriod
        if now >= nextLoadAverage {
            refreshLoadAverage()
            nextLoadAverage = now + Self.loadAveragePeriod
        }
        fencing.stonith?.checkStatus(now: now)
        io.transport.reopenBroken()
        pingMedium?.reopenBroken()
        logger.flushRepeats()
    }

    private func armTimer(now: Instant) {
        if nextHousekeeping == .zero { nextHousekeeping = now + Self.housekeepingPeriod }
        // One comparison at a time: this runs after every event, and an array of candidates is an allocation.
        var deadline = nextHousekeeping + Self.housekeepingSlack
        func consider(_ candidate: Instant?) { if let candidate, candidate < deadline { deadline = candidate } }
        consider(inPlace { $0.nextDeadline })
        consider(io.scripts.nextDeadline)
        consider(io.checks.nextDeadline)
        consider(shutdown.deadline)
        consider(nextWatchdogPing)
        consider(announcer.nextDeadline)
        loop.setDeadline(deadline)
    }

    /// Reads the node through an in-place access: a computed property read off the stored
    /// `node` copies the whole Node first (every array in it retained, then released).
    private func inPlace<Value>(_ read: (inout Node) -> Value) -> Value { read(&node) }

    // MARK: Effects out of the core

    func perform(_ effects: [Node.Effect]) {
        for effect in effects {
            switch effect {
            case .send(let message), .resend(let message):
                transmit(message)
            case .heartbeatSent:
                // Our own heartbeat goes out only while the event loop runs: feed the watchdog (spec §7.2).
                fencing.watchdog?.feed()
                pingMedium?.sendHeartbeat(timestamp: String(io.clock.wallClockSeconds(), radix: 16))
            case .groupStateChanged(let group, _, let to):
                recordGroupState(group, to)
            case .nodeStatusChanged, .linkStatusChanged:
                // Logged by the core in 3.0.6's words; the status report shows the states.
                break
            case .log(let level, let text):
                logger.log(level, text)
            case .runScript(let run):
                start(run)
            case .announce(let group, let addresses):
                announcer.announce(group: group, addresses: addresses, now: io.clock.now())
            case .notify(let message):
                runEventScript(for: message)
            case .fence(let node):
                fence(node)
            case .starveWatchdog:
                fencing.watchdog?.starve()
            case .shutdownComplete:
                shutdown = .complete
                loop.stop()
            case .runCheck(let run):
                // Checks see what scripts see, so `status` runs each script as the resource queue would.
                io.checks.start(run, environment: scriptEnvironment.entries())
            case .cancelCheck(let id):
                io.checks.cancel(id)
            }
        }
    }

    // MARK: Scripts

    private func start(_ run: ScriptRun) {
        let arguments = run.resource.arguments + [run.operation.rawValue]
        let description = ([run.resource.script] + arguments).joined(separator: " ")
        logger.log(.info, "Running \(description)")
        if run.operation == .start, let address = ServiceAddress(resource: run.resource) {
            announcer.awaitAddress(address, script: run.id)
        }
        do {
            try io.scripts.run(id: run.id, path: run.resource.path, arguments: arguments,
                               environment: scriptEnvironment.entries(), timeout: run.timeout)
            runningScripts.started(run.id, description: description, isEventScript: false)
        } catch {
            announcer.scriptEnded(run.id)
            logger.log(.error, "Cannot run \(description): \(error)")
            handle(.scriptFinished(run.id, exitCode: 127, output: ""))
        }
    }

    /// `harc TYPE` when `rc.d/TYPE` exists, as 3.0.6 notifies the world of a message (spec §6.4).
    private func runEventScript(for message: Message) {
        guard let type = message.type?.rawValue.lowercased(), !type.isEmpty, !type.contains("/"), !type.hasPrefix("."),
              access(paths.configDir + "/rc.d/" + type, X_OK) == 0, access(paths.configDir + "/harc", X_OK) == 0
        else { return }
        let id = runningScripts.nextEventScriptID()
        do {
            try io.scripts.run(id: id, path: paths.configDir + "/harc", arguments: [type],
                               environment: scriptEnvironment.entries(for: message, localStatus: node.membership.localStatus.rawValue),
                               timeout: ScriptTimings.standard.startTimeout)
            runningScripts.started(id, description: "harc \(type)", isEventScript: true)
        } catch {
            logger.log(.error, "Cannot run harc \(type): \(error)")
        }
    }

    func scriptFinished(_ result: ScriptRunner.Finished) {
        if fencing.stonith?.finished(result) == true { return }
        guard let script = runningScripts.finished(result.id) else { return }
        // A resource script's last argument is its operation (start, stop, status).
        let operation = script.isEventScript ? "event" : String(script.description.split(separator: " ").last ?? "")
        metricsState.scriptFinished(operation: operation, duration: result.duration)
        let milliseconds = result.duration.milliseconds
        for line in result.output.split(separator: "\n") where !line.isEmpty {
            logger.toDebugFile("\(script.description): \(line)")
        }
        if result.timedOut {
            logger.log(.error, "\(script.description) timed out after \(milliseconds) ms and was killed")
        } else if result.exitCode != 0 {
            logger.log(script.isEventScript ? .warning : .info, "\(script.description) exited \(result.exitCode) after \(milliseconds) ms")
        } else {
            logger.log(.debug, "\(script.description) done in \(milliseconds) ms")
        }
        guard !script.isEventScript else { return }
        announcer.scriptEnded(result.id)
        handle(result.timedOut ? .scriptTimedOut(result.id)
                               : .scriptFinished(result.id, exitCode: result.exitCode, output: result.output))
    }

    @discardableResult
    private func admin(_ request: ControlRequest) -> Result<String, ControlError> {
        guard node.resources != nil else {
            return .failure(ControlError("heartbeat runs without resource management (-M): no group can move"))
        }
        switch request {
        case .standby(let set):
            handle(.standby(set))
            return .success("standby \(set.rawValue) requested")
        case .takeover(let set):
            handle(.takeover(set))
            return .success("takeover \(set.rawValue) requested")
        case .fenceConfirm(let node):
            guard let stonith = fencing.stonith else { return .failure(ControlError("no STONITH device is configured")) }
            return stonith.confirm(node)
        case .monitorReset(let name):
            // The core resolves the name the same way; asking first lets the admin hear of a typo.
            if let name, node.resources?.monitoredGroupKey(named: name) == nil {
                return .failure(ControlError("no monitored group \(name) (see hbctl status)"))
            }
            handle(.monitorReset(group: name))
            return .success("monitor state reset for \(name.map { "group \($0)" } ?? "every monitored group")")
        case .status, .reload:
            return .failure(ControlError("not an admin request"))
        }
    }

    /// Stamps the message as the core says (`Node.outbound`), then signs it and sends it on every medium.
    private func transmit(_ message: Message) {
        let stamped = node.outbound.stamped(message, Outbound.Stamp(timestamp: io.clock.wallClockSeconds(), load: loadAverage))
        do {
            try io.transport.send(stamped, keys: config.authKeys, innerAuth: node.outbound.innerAuth)
        } catch {
            logger.log(.error, "Cannot encode \(message.type?.rawValue ?? "message"): \(error)")
        }
    }

    // MARK: Local clients (cl_status, hbctl)

    /// Everything `cl_status` and `hbctl status` show: the core's projection of the node, with
    /// the packets refused before decoding and the configuration's parameters.
    func statusReport() -> StatusReport {
        node.statusReport(now: io.clock.now(), parameters: config.parameters, wireRejects: wireRejects)
    }

    func perform(_ request: ControlRequest) -> Result<String, ControlError> {
        switch request {
        case .status:
            return .success(statusReport().encoded())
        case .reload:
            return reload() ? .success("configuration reloaded") : .failure(ControlError("configuration has errors; nothing changed"))
        case .standby, .takeover, .fenceConfirm, .monitorReset:
            return admin(request)
        }
    }

    // MARK: Signals, realtime, housekeeping

    func signalled(_ signal: Int32) {
        switch signal {
        case SIGTERM, SIGINT:
            guard !shuttingDown else { break }
            logger.log(.info, "Heartbeat shutdown in progress. (\(getpid()))")
            io.notifier?.send("STOPPING=1")
            // The node releases every group, sends shutdone, then reports shutdownComplete.
            shutdown = .releasing(deadline: io.clock.now() + Self.shutdownPatience)
            handle(.shutdown)
        case SIGCHLD:
            io.scripts.reap { [unowned self] pid, status in
                guard !self.io.checks.reaped(pid: pid, status: status) else { return }
                self.fencing.respawn?.exited(pid: pid, status: status, shuttingDown: self.shuttingDown)
            }
        case SIGHUP:
            reload()
        case SIGUSR1:
            logger.destinations.debugLevel += 1
            logger.log(.info, "debug now set to \(logger.destinations.debugLevel)")
        case SIGUSR2:
            logger.destinations.debugLevel = max(0, logger.destinations.debugLevel - 1)
            logger.log(.info, "debug now set to \(logger.destinations.debugLevel)")
        default:
            break
        }
    }

    /// SIGHUP: a new configuration is validated first; on any error nothing changes.
    @discardableResult
    private func reload() -> Bool {
        let (newConfig, diagnostics) = loadConfiguration(paths: paths)
        for diagnostic in diagnostics {
            logger.log(diagnostic.severity == .error ? .error : .warning, diagnostic.description)
        }
        guard let newConfig else {
            logger.log(.error, "Configuration has errors: reload refused, running configuration unchanged.")
            return false
        }
        let membershipChanged = newConfig.nodes != config.nodes || newConfig.media != config.media
            || newConfig.keepalive != config.keepalive || newConfig.deadtime != config.deadtime
            || newConfig.warntime != config.warntime || newConfig.udpport != config.udpport
        config.authKeys = newConfig.authKeys
        config.logging = newConfig.logging
        config.logBadPackets = newConfig.logBadPackets
        config.debug = newConfig.debug
        config.apiAuth = newConfig.apiAuth
        endpoints.control?.authorization = .fromConfig(newConfig, logger: logger)
        logger.destinations = Self.logDestinations(newConfig, options)
        logger.log(.info, "Configuration reloaded: authkeys, apiauth and logging applied.")
        reloadMonitors()
        if membershipChanged {
            logger.log(.warning, "Changes to nodes, media or timing take effect when heartbeat restarts.")
        }
        return true
    }

    /// The monitors file is read against the groups that run now (a haresources change waits for a
    /// restart). Unchanged lines keep their counts; checks of dropped lines are cancelled; a file
    /// with errors leaves the running checks as they are.
    private func reloadMonitors() {
        let monitors: [MonitorSpec]
        do {
            monitors = try ConfigLoader.loadMonitors(dir: paths.configDir, cluster: config)
        } catch {
            for diagnostic in error.diagnostics {
                logger.log(diagnostic.severity == .error ? .error : .warning, diagnostic.description)
            }
            logger.log(.error, "The monitors file has errors: the running checks go on unchanged.")
            return
        }
        guard monitors != config.monitors else { return }
        config.monitors = monitors
        perform(node.replaceMonitors(monitors))
        armTimer(now: io.clock.now())
    }

    /// `/proc/loadavg` is read here, every 5 s, so the send path itself does no file I/O.
    private func refreshLoadAverage() {
        guard let bytes = readSmallFile("/proc/loadavg", limit: 128) else { return }
        loadAverage = String(decoding: bytes, as: UTF8.self).trimmingSpaces
    }
}

private extension Node.Effect {
    var leavesStatusAlone: Bool {
        switch self {
        case .send, .resend, .heartbeatSent, .runCheck, .cancelCheck: true
        default: false
        }
    }
}

/// Lets the media and the script runner, built before the daemon, deliver to it.
private final class Deliveries {
    weak var daemon: Daemon?
}

/// The ways local clients reach the daemon: `cl_status`/`hbctl` over the control socket, scrapers
/// over the metrics endpoint (when ha.cf has `metrics_listen`), scripts through the FIFO.
private struct LocalEndpoints {
    var control: ControlServer?
    var metrics: MetricsServer?
    var fifo: FifoReader?

    func close() {
        control?.close()
        metrics?.close()
    }
}

/// What each running script is, for its log line when it ends. Event scripts (`harc TYPE`) take
/// ids of their own, apart from the resource scripts' and the STONITH plugin's.
private struct RunningScripts {
    private var running: [UInt64: (description: String, isEventScript: Bool)] = [:]
    private var nextEventID: UInt64 = 1 << 62

    mutating func nextEventScriptID() -> UInt64 {
        defer { nextEventID += 1 }
        return nextEventID
    }

    mutating func started(_ id: UInt64, description: String, isEventScript: Bool) {
        running[id] = (description, isEventScript)
    }

    mutating func finished(_ id: UInt64) -> (description: String, isEventScript: Bool)? {
        running.removeValue(forKey: id)
    }
}

/// SIGTERM asks for a shutdown; the node then releases its groups within the patience, and says
/// when it is done.
enum Shutdown: Equatable {
    case notAsked
    case releasing(deadline: Instant)
    case complete

    /// When a shutdown still releasing gives up.
    var deadline: Instant? {
        if case .releasing(let deadline) = self { deadline } else { nil }
    }
}
