/// A node's status as Heartbeat names it on the wire and in `cl_status` (spec §5.3).
public enum NodeStatus: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Never heard from; also the local node's very first status.
    case initial = "init"
    /// Daemon running, links not yet all settled.
    case up
    /// Communications up.
    case active
    /// Timed out, or never heard from within `initdead`.
    case dead
    /// A live ping pseudo-node.
    case ping

    /// Whether the node counts as alive.
    public var isAlive: Bool { self != .dead }

    /// Precedence by liveness: dead < init < up < active; a ping node sorts with `up`.
    private var rank: Int {
        switch self {
        case .dead: 0
        case .initial: 1
        case .up, .ping: 2
        case .active: 3
        }
    }

    public static func < (a: NodeStatus, b: NodeStatus) -> Bool { a.rank < b.rank }
}

/// Why a node's status changed, so that observers need not read it from the log line.
public enum StatusChangeReason: String, Sendable, Hashable {
    /// We changed our own status (links up, communications up, shutdown).
    case localTransition
    /// The node's own `status` message announced it.
    case announced
    /// Nothing was heard from it within its deadtime (or `initdead` at startup).
    case timedOut
}

/// Normal cluster members, or ICMP ping pseudo-nodes (spec §4.5; not implemented yet).
public enum NodeType: String, Sendable, Hashable, CaseIterable {
    case normal, ping
}

/// The state of one (node, medium) link (spec §4.2).
public enum LinkStatus: String, Sendable, Hashable, CaseIterable {
    case up, dead
}
