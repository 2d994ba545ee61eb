/// What the resource manager needs from the cluster configuration, plus the limits 3.0.6 had
/// no setting for (`ScriptTimings`).
public struct ResourceManagerConfig: Sendable, Hashable {
    /// Lower-cased local node name (spec §5.7).
    public var localNode: String
    /// Normal cluster members, lower-cased, in config order (ping nodes excluded).
    public var nodes: [String]
    /// haresources groups in file order (spec §6.1).
    public var groups: [ResourceGroup]
    public var autoFailback: AutoFailback
    public var scripts: ScriptTimings
    /// A fencing device is configured: a dead node is fenced (`.fence`) before its groups are
    /// taken (spec §6.7).
    public var fencingConfigured: Bool
    /// A watchdog device is configured (spec §7.2): a stop failure stops feeding it.
    public var watchdogConfigured: Bool

    public init(
        localNode: String, nodes: [String], groups: [ResourceGroup], autoFailback: AutoFailback,
        scripts: ScriptTimings = .standard, fencingConfigured: Bool = false, watchdogConfigured: Bool = false
    ) {
        self.localNode = NodeName(localNode).rawValue
        self.nodes = nodes.map { NodeName($0).rawValue }
        self.groups = groups
        self.autoFailback = autoFailback
        self.scripts = scripts
        self.fencingConfigured = fencingConfigured
        self.watchdogConfigured = watchdogConfigured
    }

    /// auto_failback on/off: the `starting`/`resource` handshake and standby exist (spec §6.6).
    var niceFailback: Bool { autoFailback != .legacy }

    func timeout(for operation: ScriptOperation) -> Duration {
        switch operation {
        case .start: scripts.startTimeout
        case .stop: scripts.stopTimeout
        case .status: scripts.statusTimeout
        }
    }
}

/// How long resource scripts may run and how a failed stop is retried: 3.0.6 compiled these in,
/// ha.cf has no line for them. The daemon runs with `.standard`; the simulator scales them to
/// its fast virtual scripts.
public struct ScriptTimings: Sendable, Hashable {
    public var startTimeout: Duration
    public var stopTimeout: Duration
    public var statusTimeout: Duration
    /// A failed stop is run again this many times, `stopRetryDelay` apart, before the status
    /// check decides (3.0.6's HA_STOPRETRYMAX, default 10, 1 s apart; spec §6.2).
    public var stopRetryMax: Int
    public var stopRetryDelay: Duration
    /// After a stop failed for good and the resource still runs, the group stays ours and the
    /// release is tried again this long after (3.0.6 rebooted the machine instead).
    public var stopFailureRetry: Duration

    /// The defaults are the daemon's (`standard`).
    public init(startTimeout: Duration = .seconds(120), stopTimeout: Duration = .seconds(120),
                statusTimeout: Duration = .seconds(30), stopRetryMax: Int = 10,
                stopRetryDelay: Duration = .seconds(1), stopFailureRetry: Duration = .seconds(60)) {
        self.startTimeout = startTimeout
        self.stopTimeout = stopTimeout
        self.statusTimeout = statusTimeout
        self.stopRetryMax = max(0, stopRetryMax)
        self.stopRetryDelay = stopRetryDelay
        self.stopFailureRetry = stopFailureRetry
    }

    public static let standard = ScriptTimings()
}
