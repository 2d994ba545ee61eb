/// What the membership core needs to know about the cluster, filled from the parsed `ha.cf`
/// and the persisted identity (`hb_uuid`, `hb_generation`) by the runtime.
public struct MembershipConfig: Sendable, Hashable {
    /// Our own node name, lower-case (spec §5.7).
    public var localNode: String
    /// Our 16-byte UUID (spec §3.7), sent as the binary `srcuuid` field.
    public var localUUID: [UInt8]
    /// This process's heartbeat generation (spec §3.2), already bumped and persisted.
    public var generation: UInt64
    /// The normal nodes in configuration order, lower-case, including the local node.
    public var nodes: [String]
    /// The names of the non-ping media (`eth0`, `/dev/ttyS0`, …): one link per (node, medium) (spec §4.2).
    public var links: [String]
    public var keepalive: Duration
    public var deadtime: Duration
    public var warntime: Duration
    public var initdead: Duration
    public var maxRexmitDelay: Duration
    /// Seeds the deterministic generator behind the per-peer ACK triggers and the retransmit jitter.
    public var ackSeed: UInt64
    /// A digest of our haresources and auth method (never the key), advertised in every status as
    /// `cfgdigest` so nodes notice when their files disagree. 3.0.6 peers ignore the field.
    public var configDigest: String?
    // Ping nodes (`ping`, `ping_group`) will join here as another list with `deadping`; see issue on arbitration.

    public init(
        localNode: String,
        localUUID: [UInt8],
        generation: UInt64,
        nodes: [String],
        links: [String],
        keepalive: Duration = .seconds(1),
        deadtime: Duration = .seconds(30),
        warntime: Duration = .seconds(15),
        initdead: Duration = .seconds(30),
        maxRexmitDelay: Duration = .milliseconds(250),
        ackSeed: UInt64 = 0,
        configDigest: String? = nil
    ) {
        self.localNode = localNode
        self.localUUID = localUUID
        self.generation = generation
        self.nodes = nodes
        self.links = links
        self.keepalive = keepalive
        self.deadtime = deadtime
        self.warntime = warntime
        self.initdead = initdead
        self.maxRexmitDelay = maxRexmitDelay
        self.ackSeed = ackSeed
        self.configDigest = configDigest
    }
}

/// Every bound the membership core works within, in one place.
public enum MembershipLimits {
    /// Sent sequenced messages kept for retransmission (spec §3.4: "the last 500").
    public static let historyCapacity = 500
    /// Sent messages are kept at least this long even when every peer acknowledged them (spec §3.4).
    public static let minimumHistoryRetention: Duration = .milliseconds(2500)
    /// Missing sequence numbers remembered per peer (spec §3.3).
    public static let maxMissingPerPeer = 499
    /// A gap wider than this resets tracking instead of requesting retransmissions (spec §3.3 step 9).
    public static let maxRecoverableGap: UInt64 = 250
    /// Retransmit requests wait at least this long before the first try, unless `max_rexmit_delay` is small.
    public static let minimumRexmitDelay: Duration = .milliseconds(50)
    /// Below this `max_rexmit_delay` the first-try delay is drawn from [0, max] instead (spec §3.4).
    public static let smallRexmitDelayThreshold: Duration = .milliseconds(100)
    /// Repeated retransmit requests are never closer than this, whatever `max_rexmit_delay` says.
    public static let minimumRexmitRepeat: Duration = .milliseconds(10)
    /// A stored message is not resent again within this time (spec §3.4).
    public static let rexmitResendGuard: Duration = .milliseconds(240)
    /// At most this many messages are resent for one request (spec §3.4).
    public static let maxResendsPerRequest = 50
    /// A request spanning more sequence numbers than this is clipped (it also bounds the NAKs sent).
    public static let maxRexmitRangePerRequest: UInt64 = UInt64(historyCapacity)
    /// ACK one in this many sequence numbers (spec §3.5).
    public static let ackEvery: UInt64 = 10
    /// `reqnodes` is retried at this interval until `repnodes` arrives (spec §5.4).
    public static let reqnodesRetry: Duration = .seconds(1)
    /// During the first `startupBonusPeriod` we advertise `deadtime` plus this (spec §5.4).
    public static let startupDeadtimeBonus: Duration = .milliseconds(2000)
    public static let startupBonusPeriod: Duration = .seconds(5)
    /// After our own process stalled, peers get one more keepalive plus this margin before being declared
    /// dead. 250 ms is 3.0.6's own timeout-check period, so a peer that is alive is certain to be heard.
    public static let stallMargin: Duration = .milliseconds(250)
    /// An overloaded loop can be late on every event: the stall warning is logged at most once in
    /// this period, the next line counting the stalls not logged.
    public static let stallLogPeriod: Duration = .seconds(10)
    /// Heartbeat intervals kept per peer for the late-heartbeat percentile.
    public static let heartbeatIntervalWindow = 256
    /// "bad node [x] in message" is logged at most once per name in this period.
    public static let unknownNodeLogPeriod: Duration = .seconds(60)
    /// Unknown node names remembered for log rate limiting.
    public static let maxRememberedUnknownNodes = 64
    /// A peer's advertised `dt` is ignored when zero or above this.
    public static let maxAdvertisedDeadtime: Duration = .seconds(86_400)
}
