/// The membership and reliability core of one node: heartbeats, startup, per-source sequence
/// acceptance, retransmission, ACKs, dead detection and links (spec §3, §4.2, §5).
///
/// It performs no I/O and reads no clock: every input is a `MembershipEvent` with the monotonic
/// `now`, every output a `MembershipEffect` for the runtime to carry out in order. After each call
/// the runtime (re)arms one timer at `nextDeadline` and delivers `.tick` when it fires.
public struct Membership: Sendable {
    public let config: MembershipConfig

    struct LinkRecord: Sendable, Hashable {
        let name: String
        var status: LinkStatus = .dead
        var lastHeard: Instant?
    }

    struct NodeRecord: Sendable, Hashable {
        let name: NodeName
        let isLocal: Bool
        var type: NodeType = .normal
        var status: NodeStatus = .initial
        var uuid: [UInt8]?
        var tracker: PeerTracker
        /// "anypacketsyet": counts toward links-up (spec §5.4 step 3); cleared when declared dead.
        var heardAnyPacket = false
        /// When the last status was processed: the base of the dead deadline.
        var lastStatusAt: Instant?
        /// The peer's own `dt` (spec §5.5), our `deadtime` until it advertises one.
        var advertisedDeadtime: Duration
        /// The peer's `cfgdigest`, if it sends one.
        var configDigest: String?
        /// The peer's `svcbad`: groups it is unfit for, space-separated ("" when absent).
        var unfitGroups = ""
        var links: [LinkRecord]
        var intervals = HeartbeatIntervals()
        /// Sender side: the highest of our seqs this peer acknowledged.
        var ackedByPeer: UInt64 = 0
    }

    enum Phase: Sendable, Hashable {
        case notStarted, startingLinks, awaitingNodeList, up, stopped
    }

    struct ReqnodesState: Sendable, Hashable {
        var targetIndex: Int
        var nextRetryAt: Instant
    }

    var records: [NodeRecord]
    let nodeIndex: [NodeName: Int]
    let localIndex: Int
    var phase: Phase = .notStarted
    var startedAt: Instant = .zero
    var nextHeartbeatAt: Instant?
    /// The local status goes `up` at the first keepalive after `start` (spec §5.4 step 2).
    var upPending = false
    var reqnodes: ReqnodesState?
    /// Off for good once a status without `protocol` arrives (spec §3.5).
    var flowControl = true
    var lastSeqSent: UInt64 = 0
    var history = SendHistory()
    var rng: SplitMix64
    /// The deadline we last reported: a wake-up far later than it means our own process stalled.
    var armedDeadline: Instant?
    /// When the stall warning was last logged, and the stalls since that were not.
    var stallLoggedAt: Instant?
    var stallsNotLogged = 0
    /// After a stall, no peer is declared dead before this.
    var stallGraceUntil: Instant?
    var rejected: [RejectReason: Int] = [:]
    var duplicates = 0
    var unknownNodesLogged: [NodeName: Instant] = [:]
    /// When a replay from each node was last logged (by node index); the `replay` counter has them all.
    var replaysLogged: [Int: Instant] = [:]
    /// Our own `svcbad` (`Membership+Health.swift`).
    public internal(set) var advertisedUnfitGroups: [String] = []

    /// Node names are lower-cased and de-duplicated; the local node is added if the list lacks it.
    public init(config: MembershipConfig) {
        precondition(config.keepalive > .zero, "keepalive must be positive")
        precondition(config.deadtime > .zero && config.initdead > .zero, "deadtime and initdead must be positive")
        self.config = config
        var names: [NodeName] = []
        for name in config.nodes.map(NodeName.init) where !names.contains(name) {
            names.append(name)
        }
        let local = NodeName(config.localNode)
        if !names.contains(local) { names.append(local) }
        var linkNames: [String] = []
        for link in config.links where !linkNames.contains(link) {
            linkNames.append(link)
        }
        var rng = SplitMix64(seed: config.ackSeed)
        var records: [NodeRecord] = []
        var index: [NodeName: Int] = [:]
        for name in names {
            let isLocal = name == local
            let trigger = isLocal ? 0 : rng.next(below: MembershipLimits.ackEvery)
            index[name] = records.count
            records.append(NodeRecord(
                name: name,
                isLocal: isLocal,
                uuid: isLocal ? config.localUUID : nil,
                tracker: PeerTracker(ackTrigger: trigger),
                advertisedDeadtime: config.deadtime,
                links: linkNames.map { LinkRecord(name: $0) }
            ))
        }
        self.records = records
        self.nodeIndex = index
        self.localIndex = index[local]!
        self.rng = rng
    }

    // MARK: - The one entry point

    public mutating func handle(_ event: MembershipEvent, now: Instant) -> [MembershipEffect] {
        var effects: [MembershipEffect] = []
        switch phase {
        case .notStarted:
            switch event {
            case .start: start(now: now, into: &effects)
            case .shutdown: phase = .stopped
            case .received, .tick, .sendClientMessage: break
            }
        case .stopped:
            break
        case .startingLinks, .awaitingNodeList, .up:
            noticeStall(now: now, into: &effects)
            switch event {
            case .start: break
            case .received(let message, let link): receive(message, link: link, now: now, into: &effects)
            case .tick: tick(now: now, into: &effects)
            case .sendClientMessage(let message): sendClientMessage(message, now: now, into: &effects)
            case .shutdown: phase = .stopped
            }
        }
        if isRunning {
            checkLinksUp(now: now, into: &effects)
            releaseHistory(now: now)
        }
        armedDeadline = nextDeadline
        return effects
    }

    var isRunning: Bool {
        switch phase {
        case .startingLinks, .awaitingNodeList, .up: true
        case .notStarted, .stopped: false
        }
    }

    /// The one instant at which the runtime must deliver `.tick`; nil when nothing is timed.
    public var nextDeadline: Instant? {
        guard isRunning else { return nil }
        var earliest = nextHeartbeatAt
        func consider(_ instant: Instant?) { earliest = .earliest(earliest, instant) }
        for index in records.indices where index != localIndex {
            consider(nodeDeadline(index))
            for link in records[index].links.indices {
                consider(linkDeadline(index, link))
            }
            if records[index].status == .up || records[index].status == .active {
                consider(records[index].tracker.earliestRequest)
            }
        }
        if phase == .awaitingNodeList { consider(reqnodes?.nextRetryAt) }
        return earliest
    }

    // MARK: - Queries

    public var localStatus: NodeStatus { records[localIndex].status }

    public var communicationState: CommunicationState {
        switch phase {
        case .notStarted: .notStarted
        case .startingLinks: .startingLinks
        case .awaitingNodeList: .awaitingNodeList(from: reqnodes.map { records[$0.targetIndex].name.rawValue } ?? "")
        case .up: .up
        case .stopped: .stopped
        }
    }

    public var flowControlEnabled: Bool { flowControl }
    public var lastSequenceSent: UInt64 { lastSeqSent }
    /// Sent messages kept for retransmission (at most `MembershipLimits.historyCapacity`).
    public var historyCount: Int { history.count }
    /// The highest of our seqs every live peer acknowledged.
    public var clusterAckedThrough: UInt64 { clusterAckPoint }
    public var rejectedCounts: [RejectReason: Int] { rejected }
    public var duplicateCount: Int { duplicates }

    /// Every node in configuration order, the local one included.
    public var nodes: [NodeSnapshot] { records.indices.map(snapshot) }

    /// Live normal peers' record indices, read in place: arbitration asks on every event.
    var livePeerIndices: some Sequence<Int> {
        records.indices.lazy.filter {
            records[$0].type == .normal && !records[$0].isLocal && records[$0].status != .dead
        }
    }

    public func node(_ name: String) -> NodeSnapshot? {
        nodeIndex[NodeName(name)].map(snapshot)
    }

    func snapshot(_ index: Int) -> NodeSnapshot {
        let record = records[index]
        return NodeSnapshot(
            name: record.name.rawValue,
            type: record.type,
            status: record.status,
            isLocal: record.isLocal,
            uuid: record.uuid,
            generation: record.isLocal ? config.generation : record.tracker.generation,
            lastHeard: record.lastStatusAt,
            deadInterval: deadInterval(index),
            deadAt: nodeDeadline(index),
            links: record.links.map { LinkSnapshot(name: $0.name, status: $0.status, lastHeard: $0.lastHeard) },
            heartbeats: record.intervals.stats,
            missingCount: record.tracker.missing.count,
            configDigest: record.isLocal ? config.configDigest : record.configDigest
        )
    }

    // MARK: - Shared helpers

    mutating func reject(_ reason: RejectReason) {
        rejected[reason, default: 0] += 1
    }

    /// Lower-case hex without padding, as every hex field on the wire.
    static func hex(_ value: UInt64) -> String { Hex.text(value) }

    static func hex(_ text: String?) -> UInt64? { text.flatMap { UInt64($0, radix: 16) } }
}
