/// What the resource manager remembers about service health on this node: one record per line of
/// the `monitors` file, one per monitored group, and what peers advertise (`svcbad`). The steps
/// that change it are in `ResourceManager+Health.swift`.
struct HealthState: Sendable, Hashable {
    /// One line of the `monitors` file as it runs here.
    struct Line: Sendable, Hashable {
        var spec: MonitorSpec
        /// The group's index in the manager's records.
        let group: Int
        /// When the next check is due; nil while the line is paused (the group is not running
        /// here, or is being started, stopped or moved).
        var nextDue: Instant?
        /// The check running now: at most one per line.
        var inFlight: CheckRun.ID?
        var consecutiveFailures = 0
        var consecutiveSuccesses = 0
        /// Reached `fall` failures in a row and has not had `rise` successes since.
        var down = false
        var last: CheckResult?
        var counts = CheckCounts()

        /// `restart` and `failover` lines act on the group; `alert` and `ignore` only report.
        var acts: Bool { spec.onFail == .restart || spec.onFail == .failover }
    }

    /// One monitored group's history on this node.
    struct Group: Sendable, Hashable {
        /// When the group failed here (a line reached `fall`), oldest first; those older than the
        /// window are forgotten.
        var failures: [Instant] = []
        /// Given away because of its health: this node does not take it back until its failures
        /// expire or an admin resets them.
        var ineligible = false
        /// The last automatic move of the group by this node, or its arrival here by one.
        var lastMoveAt: Instant?
        /// A move was asked for (standby `me` sent) and the release has not begun.
        var movePending = false
        /// A restart in place (or a start after one failed) is under way.
        var restarting = false
        /// Nobody can take it: the next restart in place is due then.
        var restartAt: Instant?
        /// The current delay between those restarts; nil outside such an episode.
        var backoff: Duration?
        var restarts = 0
        var moves = 0
        /// The longest `window` and `holddown` of the group's lines.
        var window: Duration = MonitorSpec.defaultWindow
        var holddown: Duration = MonitorSpec.defaultHolddown
    }

    var lines: [Line] = []
    /// Indexed like the manager's records; meaningful only for groups with lines.
    var groups: [Group] = []
    /// The groups each peer advertises it is unfit for (`svcbad`); absent = fit for all.
    var peerUnfit: [String: Set<String>] = [:]
    /// A peer whose standby request was a monitor move: the groups it hands over count as moved.
    var incomingMoveFrom: String?
    var nextCheckID: CheckRun.ID = 1
}

/// How a check ended and when, as `hbctl status` shows it.
public struct CheckResult: Sendable, Hashable {
    public var outcome: CheckOutcome
    public var at: Instant

    public init(outcome: CheckOutcome, at: Instant) {
        self.outcome = outcome
        self.at = at
    }
}

/// Checks of one line by result, and their latencies, for metrics.
public struct CheckCounts: Sendable, Hashable {
    public var passed = 0
    public var failed = 0
    public var timedOut = 0
    /// A timed-out check counts with its timeout.
    public var latencies = IntervalHistogram()

    public init(passed: Int = 0, failed: Int = 0, timedOut: Int = 0, latencies: IntervalHistogram = IntervalHistogram()) {
        self.passed = passed
        self.failed = failed
        self.timedOut = timedOut
        self.latencies = latencies
    }

    mutating func record(_ outcome: CheckOutcome, timeout: Duration) {
        switch outcome {
        case .passed(let latency):
            passed += 1
            latencies.record(latency)
        case .failed(let latency, _):
            failed += 1
            latencies.record(latency)
        case .timedOut:
            timedOut += 1
            latencies.record(timeout)
        }
    }
}
