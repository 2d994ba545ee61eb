/// Read-only views of the membership state, for `cl_status` and `hbctl status`.
public struct NodeSnapshot: Sendable, Hashable {
    public var name: String
    public var type: NodeType
    public var status: NodeStatus
    public var isLocal: Bool
    public var uuid: [UInt8]?
    /// The generation from the node's last status (ours for the local node); 0 if never heard.
    public var generation: UInt64
    /// When the last status from this node was processed (liveness is refreshed only by status).
    public var lastHeard: Instant?
    /// The interval after which silence makes the node dead right now (`initdead` before links-up).
    public var deadInterval: Duration
    /// When the node will be declared dead if nothing arrives (nil for the local node or a dead one).
    public var deadAt: Instant?
    public var links: [LinkSnapshot]
    public var heartbeats: LateHeartbeatStats
    /// Sequence numbers from this node we are still asking to have retransmitted.
    public var missingCount: Int
    /// The node's advertised haresources/auth digest (ours for the local node); nil if it sends none.
    public var configDigest: String?
}

public struct LinkSnapshot: Sendable, Hashable {
    public var name: String
    public var status: LinkStatus
    public var lastHeard: Instant?
}

public struct LateHeartbeatStats: Sendable, Hashable {
    /// Intervals measured between successive status messages.
    public var samples: Int
    /// How many of them exceeded `warntime`.
    public var lateCount: Int
    public var maxInterval: Duration?
    /// 99th percentile over the last `MembershipLimits.heartbeatIntervalWindow` intervals.
    public var p99Interval: Duration?
    /// Every interval since start, by bucket.
    public var histogram = IntervalHistogram()
}

/// Where the local node is in its startup (spec §5.4).
public enum CommunicationState: Sendable, Hashable {
    case notStarted
    /// Waiting until every node was heard from or declared dead.
    case startingLinks
    /// Links are up; waiting for `repnodes` from `node`.
    case awaitingNodeList(from: String)
    /// Our status is `active`.
    case up
    case stopped
}
