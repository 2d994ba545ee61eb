import Glibc
import HeartbeatCore

/// The running daemon: one event loop that feeds packets, timer ticks, script exits and signals to
/// the pure `Node` (membership + resources) and carries out the effects it returns
/// (docs/architecture.md, "The daemon").
public final class Daemon {
    var config: ClusterConfig
    private let paths: DaemonPaths
    let options: DaemonOptions
    let logger: Logger
    let loop: EventLoop
    var node: Node
    private var media: Media!
    var pingMedium: PingMedium?
    private var control: ControlServer?
    private(set) var scripts: ScriptRunner!
    private var fifo: FifoReader?
    private(set) var scriptEnvironment: ScriptEnvironment
    /// What each running script is, for its log line when it ends.
    private var runningScripts: [UInt64: (description: String, isEventScript: Bool)] = [:]
    private var nextEventScriptID: UInt64 = 1 << 62
    /// Packets refused before they reached membership, by `WireError.reason`.
    private(set) var wireRejects: [String: Int] = [:]
    private var loadAverage = "n/a"
    private var nextHousekeeping = Instant.zero
    private static let housekeepingPeriod: Duration = .seconds(1)
    private(set) var shuttingDown = false
    /// A shutdown that waits on resource release gives up after this (3.0.6: 60 minutes).
    private static let shutdownPatience: Duration = .seconds(3600)
    private var shutdownDeadline: Instant?
    var watchdog: Watchdog?
    var stonith: Stonith?
    var respawn: RespawnClients?
    var respawnStarted = false
    /// systemd's notification socket when started by a `Type=notify` unit.
    private let systemd = SystemdNotifier.fromProcess()
    private var nextWatchdogPing: Instant?
    /// The Prometheus endpoint, when ha.cf has `metrics_listen`.
    private var metrics: MetricsServer?
    private var metricsState = MetricsState()

    public init(config: ClusterConfig, paths: DaemonPaths, options: DaemonOptions) throws(SystemError) {
        self.config = config
        self.paths = paths
        self.options = options
        logger = Logger(destinations: Self.logDestinations(config, options))
        loop = try EventLoop()
        scriptEnvironment = ScriptEnvironment(config: config, paths: paths)

        let state = StateFiles(directory: paths.stateDir)
        let generation: UInt64
        switch config.hbgenmethod {
        case .time:
            generation = UInt64(time(nil))
        case .file:
            let bumped = try state.bumpGeneration(wallClockSeconds: UInt64(time(nil)))
            if let (level, text) = bumped.note { logger.log(level, text) }
            generation = bumped.generation
        }
        logger.log(.info, "Heartbeat generation: \(generation)")
        let (uuid, uuidNote) = try state.loadOrCreateUUID()
        if let (level, text) = uuidNote { logger.log(level, text) }

        node = Node(cluster: config,
                    identity: NodeIdentity(uuid: uuid, generation: generation,
                                           ackSeed: UInt64(UInt32(bitPattern: getpid())) ^ generation),
                    scripts: options.manageResources ? .standard : nil)
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
        let localAddresses = Set(localIPv4Addresses())
        media = Media(media: config.media, udpport: config.udpport, baud: config.baud, localAddresses: localAddresses,
                      loop: loop, logger: logger) { [unowned self] bytes, link in self.received(bytes, on: link) }
        startPingMedium()
        do {
            control = try ControlServer(
                path: paths.controlSocket, loop: loop,
                report: { [unowned self] in self.statusReport() },
                perform: { [unowned self] request, _ in self.perform(request) })
            control?.authorization = .fromConfig(config, logger: logger)
        } catch {
            logger.log(.error, "Cannot open the control socket \(paths.controlSocket): \(error)")
        }
        if let endpoint = config.metricsEndpoint {
            do {
                metrics = try MetricsServer(endpoint: endpoint, loop: loop) { [unowned self] in self.metricsText() }
                logger.log(.info, "Metrics served on \(endpoint)")
            } catch {
                logger.log(.error, "Cannot serve metrics on \(endpoint): \(error)")
            }
        }
        scripts = ScriptRunner(loop: loop) { [unowned self] in self.scriptFinished($0) }
        startFencingParts()
        do {
            fifo = try FifoReader(path: paths.fifo, loop: loop, logger: logger) { [unowned self] in self.handle(.fromScript($0)) }
        } catch {
            logger.log(.error, "Cannot open the FIFO \(paths.fifo): \(error)")
        }
        refreshLoadAverage()
        handle(.start)
        systemd?.send("READY=1\nSTATUS=\(statusReport().systemdStatus)")
        if let interval = systemd?.watchdogInterval { nextWatchdogPing = EventLoop.now() + interval }
        armTimer(now: EventLoop.now())
        loop.run()
        respawn?.stopAll()
        watchdog?.close()
        control?.close()
        metrics?.close()
        logger.log(.info, "Heartbeat shutdown complete.")
        return 0
    }

    // MARK: Events into the core

    func handle(_ event: Node.Event) {
        let now = EventLoop.now()
        perform(node.handle(event, now: now))
        if respawn != nil, node.membership.communicationState == .up { startRespawnClients() }
        armTimer(now: now)
        guard systemd != nil || metrics != nil else { return }
        let report = statusReport()
        systemd?.status(report.systemdStatus)
        if metrics != nil { metricsState.observe(report) }
    }

    private func metricsText() -> String {
        var heartbeats: [String: LateHeartbeatStats] = [:]
        for peer in node.membership.nodes { heartbeats[peer.name] = peer.heartbeats }
        return metricsState.text(statusReport(), heartbeats: heartbeats)
    }

    private func received(_ bytes: ArraySlice<UInt8>, on link: String) {
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
        let now = EventLoop.now()
        if now >= nextHousekeeping { housekeeping(now: now) }
        if let due = nextWatchdogPing, now >= due, let interval = systemd?.watchdogInterval {
            // Sent from the loop itself, so a stuck loop stops the pings and systemd restarts us.
            systemd?.send("WATCHDOG=1")
            nextWatchdogPing = now + interval
        }
        scripts.enforceTimeouts(now: now)
        if let deadline = shutdownDeadline, now >= deadline {
            logger.log(.critical, "Emergency shutdown: resources not released within \(Self.shutdownPatience).")
            loop.stop()
            return
        }
        handle(.tick)
    }

    private func housekeeping(now: Instant) {
        nextHousekeeping = now + Self.housekeepingPeriod
        refreshLoadAverage()
        stonith?.checkStatus(now: now)
        media.reopenBroken()
        pingMedium?.reopenBroken()
        logger.flushRepeats()
    }

    private func armTimer(now: Instant) {
        if nextHousekeeping == .zero { nextHousekeeping = now + Self.housekeepingPeriod }
        let deadlines = [node.nextDeadline, scripts?.nextDeadline, shutdownDeadline, nextWatchdogPing]
        let deadline = deadlines.compactMap { $0 }.reduce(nextHousekeeping, min)
        loop.setDeadline(deadline) { [unowned self] in self.timerFired() }
    }

    // MARK: Effects out of the core

    private func perform(_ effects: [Node.Effect]) {
        for effect in effects {
            switch effect {
            case .send(let message), .resend(let message):
                transmit(message)
            case .heartbeatSent:
                // Our own heartbeat goes out only while the event loop runs: feed the watchdog (spec §7.2).
                watchdog?.feed()
                pingMedium?.sendHeartbeat(timestamp: String(UInt64(time(nil)), radix: 16))
            case .nodeStatusChanged, .linkStatusChanged, .groupStateChanged:
                // Logged by the core in 3.0.6's words; the status report shows the states.
                break
            case .log(let level, let text):
                logger.log(level, text)
            case .runScript(let run):
                start(run)
            case .notify(let message):
                runEventScript(for: message)
            case .fence(let node):
                fence(node)
            case .starveWatchdog:
                watchdog?.starve()
            case .shutdownComplete:
                shutdownDeadline = nil
                loop.stop()
            }
        }
    }

    // MARK: Scripts

    private func start(_ run: ScriptRun) {
        let arguments = run.resource.arguments + [run.operation.rawValue]
        let description = ([run.resource.script] + arguments).joined(separator: " ")
        logger.log(.info, "Running \(description)")
        do {
            try scripts.run(id: run.id, path: run.resource.path, arguments: arguments,
                            environment: scriptEnvironment.entries(), timeout: run.timeout)
            runningScripts[run.id] = (description, false)
        } catch {
            logger.log(.error, "Cannot run \(description): \(error)")
            handle(.scriptFinished(run.id, exitCode: 127, output: ""))
        }
    }

    /// `harc TYPE` when `rc.d/TYPE` exists, as 3.0.6 notifies the world of a message (spec §6.4).
    private func runEventScript(for message: Message) {
        guard let type = message.type?.lowercased(), !type.isEmpty, !type.contains("/"), !type.hasPrefix("."),
              access(paths.configDir + "/rc.d/" + type, X_OK) == 0, access(paths.configDir + "/harc", X_OK) == 0
        else { return }
        let id = nextEventScriptID
        nextEventScriptID += 1
        do {
            try scripts.run(id: id, path: paths.configDir + "/harc", arguments: [type],
                            environment: scriptEnvironment.entries(for: message, localStatus: node.membership.localStatus.rawValue),
                            timeout: ScriptTimings.standard.startTimeout)
            runningScripts[id] = ("harc \(type)", true)
        } catch {
            logger.log(.error, "Cannot run harc \(type): \(error)")
        }
    }

    private func scriptFinished(_ result: ScriptRunner.Finished) {
        if stonith?.finished(result) == true { return }
        guard let script = runningScripts.removeValue(forKey: result.id) else { return }
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
            guard let stonith else { return .failure(ControlError("no STONITH device is configured")) }
            return stonith.confirm(node)
        case .status, .reload:
            return .failure(ControlError("not an admin request"))
        }
    }

    /// Stamps the message as the core says (`Node.outbound`), then signs it and sends it on every medium.
    private func transmit(_ message: Message) {
        let stamped = node.outbound.stamped(message, timestamp: UInt64(time(nil)), load: loadAverage)
        do {
            try media.send(stamped, keys: config.authKeys, innerAuth: node.outbound.innerAuth)
        } catch {
            logger.log(.error, "Cannot encode \(message.type ?? "message"): \(error)")
        }
    }

    // MARK: Local clients (cl_status, hbctl)

    /// Everything `cl_status` and `hbctl status` show: the core's projection of the node, with
    /// the packets refused before decoding and the configuration's parameters.
    func statusReport() -> StatusReport {
        node.statusReport(now: EventLoop.now(), parameters: config.parameters, wireRejects: wireRejects)
    }

    private func perform(_ request: ControlRequest) -> Result<String, ControlError> {
        switch request {
        case .status:
            return .success(statusReport().encoded())
        case .reload:
            return reload() ? .success("configuration reloaded") : .failure(ControlError("configuration has errors; nothing changed"))
        case .standby, .takeover, .fenceConfirm:
            return admin(request)
        }
    }

    // MARK: Signals, realtime, housekeeping

    private func signalled(_ signal: Int32) {
        switch signal {
        case SIGTERM, SIGINT:
            guard !shuttingDown else { break }
            logger.log(.info, "Heartbeat shutdown in progress. (\(getpid()))")
            shuttingDown = true
            systemd?.send("STOPPING=1")
            // The node releases every group, sends shutdone, then reports shutdownComplete.
            shutdownDeadline = EventLoop.now() + Self.shutdownPatience
            handle(.shutdown)
        case SIGCHLD:
            scripts.reap { [unowned self] pid, status in self.respawn?.exited(pid: pid, status: status, shuttingDown: self.shuttingDown) }
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
        control?.authorization = .fromConfig(newConfig, logger: logger)
        logger.destinations = Self.logDestinations(newConfig, options)
        logger.log(.info, "Configuration reloaded: authkeys, apiauth and logging applied.")
        if membershipChanged {
            logger.log(.warning, "Changes to nodes, media or timing take effect when heartbeat restarts.")
        }
        return true
    }

    /// `/proc/loadavg` is read here, once a second, so the send path itself does no file I/O.
    private func refreshLoadAverage() {
        guard let bytes = readSmallFile("/proc/loadavg", limit: 128) else { return }
        loadAverage = String(decoding: bytes, as: UTF8.self).trimmingSpaces
    }
}
