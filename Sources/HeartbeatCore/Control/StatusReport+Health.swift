/// A group's service health as `hbctl status`, its JSON and the metrics show it (the `monitors`
/// file; `ResourceManager+Health.swift` decides, this only reports).
extension StatusReport {
    public enum HealthStatus: String, Sendable, CaseIterable {
        /// Every check of the group passed its last run here.
        case healthy
        /// A check is failing (counting towards `fall`, or past it).
        case failing
        /// A failed check passes again, short of `rise` successes.
        case recovering
        /// Monitored but not checked here yet: the group does not run here, or no check ended yet.
        case unknown
        /// The group is being started, stopped, restarted or moved: checks wait.
        case paused
        /// No line of `monitors` names the group.
        case unmonitored
    }

    /// Whether a node may be given the group: it is alive and does not advertise itself unfit
    /// for it (this node: not unhealthy or ineligible here).
    public struct Eligibility: Sendable, Equatable {
        public var node: String
        public var eligible: Bool

        public init(node: String, eligible: Bool) {
            self.node = node
            self.eligible = eligible
        }
    }

    /// One line of `monitors` for the group.
    public struct Check: Sendable, Equatable {
        /// Its line in the `monitors` file.
        public var line: Int
        /// As written: `status`, `exec:/path`, `tcp:host:port`, `http://…`.
        public var check: String
        /// `passed`, `failed` or `timedOut`; nil before the first run ended.
        public var lastResult: String?
        /// Why the last run failed ("exit 1", "HTTP 503"); empty otherwise.
        public var lastDetail: String
        public var lastLatencyMs: Int64?
        public var lastAgeMs: Int64?
        /// Until the next run is due; nil while the line is paused or a run is under way.
        public var nextInMs: Int64?
        public var counts: CheckCounts

        public init(line: Int, check: String, lastResult: String? = nil, lastDetail: String = "", lastLatencyMs: Int64? = nil,
                    lastAgeMs: Int64? = nil, nextInMs: Int64? = nil, counts: CheckCounts = CheckCounts()) {
            self.line = line
            self.check = check
            self.lastResult = lastResult
            self.lastDetail = lastDetail
            self.lastLatencyMs = lastLatencyMs
            self.lastAgeMs = lastAgeMs
            self.nextInMs = nextInMs
            self.counts = counts
        }
    }

    public struct Health: Sendable, Equatable {
        public var state: HealthStatus
        /// The most failures in a row of any of its checks.
        public var consecutiveFailures: Int
        /// Failures of the group here within its window.
        public var failCount: Int
        /// Restarts in place left before a failure moves it; nil without an `on_fail=restart` line.
        public var restartsLeft: Int?
        /// Until another automatic move is allowed; nil when one is.
        public var holddownLeftMs: Int64?
        /// Restarts in place and moves away by monitors since the daemon started.
        public var restarts: Int
        public var moves: Int
        /// The resource nodes, this one first.
        public var eligibility: [Eligibility]
        public var checks: [Check]

        public init(state: HealthStatus, consecutiveFailures: Int = 0, failCount: Int = 0, restartsLeft: Int? = nil,
                    holddownLeftMs: Int64? = nil, restarts: Int = 0, moves: Int = 0, eligibility: [Eligibility] = [],
                    checks: [Check] = []) {
            self.state = state
            self.consecutiveFailures = consecutiveFailures
            self.failCount = failCount
            self.restartsLeft = restartsLeft
            self.holddownLeftMs = holddownLeftMs
            self.restarts = restarts
            self.moves = moves
            self.eligibility = eligibility
            self.checks = checks
        }

        public static let unmonitored = Health(state: .unmonitored)
    }
}

extension CheckOutcome {
    /// The word `hbctl status` and the metrics use.
    public var result: String {
        switch self {
        case .passed: "passed"
        case .failed: "failed"
        case .timedOut: "timedOut"
        }
    }
}
