/// Ping pseudo-nodes (spec §4.5): each `ping` host and each `ping_group` is a node of type `ping`
/// with one link named like itself. It is `ping` while its echo replies arrive and `dead` after
/// `deadping` without one. A group's replies come from any of its hosts, so it is up while any
/// member answers (the runtime checks the member address before handing a reply in).
public struct PingNodes: Sendable, Hashable {
    public struct Target: Sendable, Hashable {
        public var name: String
        /// A `ping_group` (its echo payload says `info=ping_group`).
        public var isGroup: Bool

        public init(name: String, isGroup: Bool) {
            self.name = NodeName(name).rawValue
            self.isGroup = isGroup
        }
    }

    public struct Snapshot: Sendable, Hashable {
        public var name: String
        public var isGroup: Bool
        /// `init` until the first reply, then `ping` or `dead`.
        public var status: NodeStatus
        public var lastHeard: Instant?
        /// Whether arbitration counts it now (a node back from `dead` counts after the hold-down).
        public var counted: Bool
    }

    public enum Change: Sendable, Hashable {
        case log(LogLevel, String)
        /// A ping node's status changed (`init`/`dead` → `ping`, or → `dead`).
        case status(node: String, from: NodeStatus, to: NodeStatus)
    }

    struct Record: Sendable, Hashable {
        let target: Target
        var status: NodeStatus = .initial
        var lastHeard: Instant?
        /// From when arbitration counts this node: its first reply counts at once, a return from
        /// `dead` only after the hold-down of continuous replies (damping a flapping ping node).
        var countsFrom: Instant?
    }

    public let deadping: Duration
    public let holdDown: Duration
    var records: [Record]
    var startedAt: Instant?
    /// After our own process stalled, echoes that waited for us are still to be read: no ping
    /// node is declared dead before this (as membership's stall grace for peers).
    var graceUntil: Instant?

    public init(targets: [Target], deadping: Duration, holdDown: Duration) {
        self.deadping = deadping
        self.holdDown = holdDown
        var seen: Set<String> = []
        records = targets.filter { seen.insert($0.name).inserted }.map { Record(target: $0) }
    }

    public var isEmpty: Bool { records.isEmpty }
    public var names: [String] { records.map(\.target.name) }

    public func contains(_ name: String) -> Bool { records.contains { $0.target.name == NodeName(name).rawValue } }

    public func snapshots(now: Instant) -> [Snapshot] {
        records.map { Snapshot(name: $0.target.name, isGroup: $0.target.isGroup, status: $0.status,
                               lastHeard: $0.lastHeard, counted: counts($0, now: now)) }
    }

    /// How many ping nodes arbitration counts as reachable at `now`.
    public func counted(now: Instant) -> Int { records.filter { counts($0, now: now) }.count }

    /// Every ping node has answered at least once or been declared dead: the count means something.
    public var settled: Bool { records.allSatisfy { $0.status != .initial } }

    func counts(_ record: Record, now: Instant) -> Bool {
        record.status == .ping && (record.countsFrom.map { $0 <= now } ?? false)
    }

    public mutating func start(now: Instant) {
        startedAt = now
    }

    /// An authenticated echo reply for `name` (`info` already checked against its kind).
    public mutating func heard(_ name: String, isGroup: Bool, now: Instant) -> [Change] {
        guard startedAt != nil,
              let index = records.firstIndex(where: { $0.target.name == NodeName(name).rawValue && $0.target.isGroup == isGroup })
        else { return [] }
        records[index].lastHeard = now
        let old = records[index].status
        guard old != .ping else { return [] }
        records[index].status = .ping
        records[index].countsFrom = old == .dead ? now + holdDown : now
        let name = records[index].target.name
        return [
            .log(.info, "Link \(name):\(name) up."),
            .log(.info, "Status update for node \(name): status ping"),
            .status(node: name, from: old, to: .ping),
        ]
    }

    public mutating func tick(now: Instant, stallGrace: Instant? = nil) -> [Change] {
        if let stallGrace, stallGrace > now { graceUntil = max(graceUntil ?? stallGrace, stallGrace) }
        var changes: [Change] = []
        for index in records.indices {
            guard let deadline = deadline(index), now >= deadline else { continue }
            let old = records[index].status
            let name = records[index].target.name
            records[index].status = .dead
            records[index].countsFrom = nil
            changes.append(.log(.warning, "node \(name): is dead"))
            if old == .ping { changes.append(.log(.info, "Link \(name):\(name) dead.")) }
            changes.append(.status(node: name, from: old, to: .dead))
        }
        return changes
    }

    func deadline(_ index: Int) -> Instant? {
        guard let startedAt, records[index].status != .dead else { return nil }
        let deadline = (records[index].lastHeard ?? startedAt) + deadping
        return graceUntil.map { max(deadline, $0) } ?? deadline
    }

    /// Deaths to declare and hold-downs that end.
    public func nextDeadline(now: Instant) -> Instant? {
        // Without building arrays: the runtime asks after every event.
        var earliest: Instant?
        for index in records.indices {
            earliest = .earliest(earliest, deadline(index))
            if records[index].status == .ping, let countsFrom = records[index].countsFrom, countsFrom > now {
                earliest = .earliest(earliest, countsFrom)
            }
        }
        return earliest
    }
}
