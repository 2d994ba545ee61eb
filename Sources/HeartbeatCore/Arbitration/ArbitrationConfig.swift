/// What built-in ping arbitration needs to know (spec §7.1, `docs/configuration.md`).
public struct ArbitrationConfig: Sendable, Hashable {
    public var localNode: String
    /// Normal nodes, lower-case, in config order.
    public var nodes: [String]
    public var pingTargets: [PingNodes.Target]
    public var deadping: Duration
    public var keepalive: Duration
    /// `arbitration on` or 3.0.6's `respawn … ipfail` line. Ping nodes are tracked either way.
    public var enabled: Bool
    /// `isolation_guard`: a node that reaches no ping node and no peer neither takes nor keeps groups.
    public var isolationGuard: Bool
    /// `auto_failback on`: when counts are balanced again, foreign groups go home (as ipfail).
    public var autoFailback: Bool
    /// A ping node back from `dead` counts only after answering this long without a break.
    public var holdDown: Duration

    public init(localNode: String, nodes: [String], pingTargets: [PingNodes.Target], deadping: Duration,
                keepalive: Duration, enabled: Bool, isolationGuard: Bool = true, autoFailback: Bool,
                holdDown: Duration? = nil) {
        self.localNode = NodeName(localNode).rawValue
        self.nodes = nodes.map { NodeName($0).rawValue }
        self.pingTargets = pingTargets
        self.deadping = deadping
        self.keepalive = keepalive
        self.enabled = enabled
        self.isolationGuard = isolationGuard
        self.autoFailback = autoFailback
        self.holdDown = holdDown ?? Self.defaultHoldDown(deadping: deadping)
    }

    /// Twice `deadping`: a ping node that comes back must stay up longer than it takes to declare it dead.
    public static func defaultHoldDown(deadping: Duration) -> Duration { deadping * 2 }
}
