/// One line of the `monitors` file: how one group's service is checked, and what this node does
/// when the check keeps failing. The group is always its key as `haresources` gives it (an alias
/// written in the file is resolved by the parser and kept only for display).
public struct MonitorSpec: Sendable, Hashable {
    public enum Check: Sendable, Hashable {
        /// Each resource's own `status` operation, in group order, judged by the 3.0.6 output rule.
        case status
        /// An executable: exit 0 is healthy.
        case exec(path: String, arguments: [String])
        /// A TCP connect.
        case tcp(host: String, port: UInt16)
        /// An `http://` or `https://` GET whose status code must be accepted by `expect`.
        case http(url: String, expect: HTTPExpectation, verifyCertificate: Bool)
    }

    /// What a failed check (after `fall` failures in a row) leads to.
    public enum OnFail: String, Sendable, Hashable, CaseIterable {
        /// Restart in place up to `restarts` times within `window`, then move the group.
        case restart
        /// Move the group at once.
        case failover
        /// Say so loudly (CRIT line), touch nothing.
        case alert
        /// Log it, touch nothing.
        case ignore
    }

    public var group: String
    public var check: Check
    public var interval: Duration
    public var timeout: Duration
    /// Consecutive failures before the group counts as failed.
    public var fall: Int
    /// Consecutive successes before a failing group counts as healthy again.
    public var rise: Int
    /// Grace after the group started here before its first check.
    public var startDelay: Duration
    /// Restarts in place before the group is moved.
    public var restarts: Int
    /// Failures older than this are forgotten (Pacemaker's failure-timeout).
    public var window: Duration
    /// The least time between two automatic moves of the group.
    public var holddown: Duration
    public var onFail: OnFail
    /// The group's `name=` alias (given on any of its lines), if it has one.
    public var alias: String?
    /// Where the line is in the `monitors` file.
    public var line: Int

    public static let defaultInterval = Duration.seconds(10)
    public static let defaultTimeout = Duration.seconds(5)
    public static let defaultFall = 1
    public static let defaultRise = 1
    public static let defaultStartDelay = Duration.zero
    public static let defaultRestarts = 1
    public static let defaultWindow = Duration.seconds(3600)
    public static let defaultHolddown = Duration.seconds(300)

    public init(group: String, check: Check, interval: Duration = defaultInterval, timeout: Duration = defaultTimeout,
                fall: Int = defaultFall, rise: Int = defaultRise, startDelay: Duration = defaultStartDelay,
                restarts: Int = defaultRestarts, window: Duration = defaultWindow, holddown: Duration = defaultHolddown,
                onFail: OnFail = .restart, alias: String? = nil, line: Int = 0) {
        self.group = group
        self.check = check
        self.interval = interval
        self.timeout = timeout
        self.fall = fall
        self.rise = rise
        self.startDelay = startDelay
        self.restarts = restarts
        self.window = window
        self.holddown = holddown
        self.onFail = onFail
        self.alias = alias
        self.line = line
    }
}

/// The HTTP status codes a check accepts: exact codes and whole classes (`2xx`).
public struct HTTPExpectation: Sendable, Hashable {
    public var codes: Set<Int>
    /// Leading digits of accepted classes: 2 for `2xx`.
    public var classes: Set<Int>

    public init(codes: Set<Int> = [], classes: Set<Int> = []) {
        self.codes = codes
        self.classes = classes
    }

    /// Any 2xx, when `expect=` is not given.
    public static let success = HTTPExpectation(classes: [2])

    public func accepts(_ code: Int) -> Bool { codes.contains(code) || classes.contains(code / 100) }
}

/// One run of one monitor line that the runtime (or the simulator) carries out; its end comes back
/// as `Node.Event.checkFinished` with the same `id`.
public struct CheckRun: Sendable, Hashable {
    public typealias ID = UInt64
    public var id: ID
    public var group: String
    /// The line's index in the node's monitors (stable while the configuration is).
    public var monitor: Int
    public var check: MonitorSpec.Check
    /// For `.status`: the group's resources in order, each asked for its `status`.
    public var resources: [Resource]
    public var timeout: Duration

    public init(id: ID, group: String, monitor: Int, check: MonitorSpec.Check, resources: [Resource], timeout: Duration) {
        self.id = id
        self.group = group
        self.monitor = monitor
        self.check = check
        self.resources = resources
        self.timeout = timeout
    }
}

/// How one check ended.
public enum CheckOutcome: Sendable, Hashable {
    case passed(latency: Duration)
    /// `detail` says why, for log lines and `hbctl status`: "exit 1", "connection refused", "HTTP 503".
    case failed(latency: Duration, detail: String)
    /// The runtime killed it at its timeout.
    case timedOut
}
