/// Built-in arbitration by ping nodes: 3.0.6's `ipfail` client (spec §7.1) inside the daemon, with
/// its messages (`num_ping_nodes num_ping=N`, `you_are_dead`, `abort_giveup`, each with
/// `dest` and `from_id`=`to_id`=`ipfail`), so a 3.0.6 peer running `ipfail` agrees with us:
///
/// * when the counted ping nodes change, a heartbeat link dies, the partner comes back or its
///   `ipfail` signs on, we send the partner our count;
/// * on its count: more here → `you_are_dead`; fewer → give up `all` after 2 × keepalive;
///   equal → `abort_giveup` (and with auto_failback on, give up `foreign`);
/// * "give up" is `hb_standby` (the standby protocol), once our resources are stable.
///
/// Beyond ipfail (issue #5): a ping node back from `dead` counts only after `holdDown`, and the
/// isolation guard: when every peer is dead and no ping node answers, we are probably the one cut
/// off, so a dead peer's groups are not taken and ours are released; both happen once a ping
/// node answers again (after the hold-down).
///
/// Here: state, inputs and timers. The exchange with the partner is in `Arbitration+Ipfail.swift`,
/// the isolation guard in `Arbitration+Isolation.swift`, the configuration in
/// `ArbitrationConfig.swift`, the ping nodes' own status in `PingNodes.swift`.
public struct Arbitration: Sendable {
    public let config: ArbitrationConfig
    public private(set) var pings: PingNodes

    public enum Effect: Sendable, Hashable {
        case send(Message)
        case log(LogLevel, String)
        /// Run the standby protocol for this set.
        case giveUp(ResourceSet)
        /// Stop every group held here (isolated: nobody to hand them to).
        case releaseAll
        /// A dead peer whose takeover was held back: take its groups now.
        case nodeDead(String)
        /// We released for isolation and a ping node answers: take back ours and dead peers' groups.
        case reacquire(deadPeers: [String])
        /// We released for isolation and a peer that was only silent is heard again: tell it what
        /// we hold and take back only our own groups that nobody holds.
        case resumeHeard
    }

    /// The partner ipfail talks to: the last other normal node in config order.
    public let partner: String?
    var commsUp = false
    var deadPeers: Set<String> = []
    /// Peers declared dead while we were probably isolated; their takeover waits.
    public private(set) var deferredDeaths: [String] = []
    /// We released everything because we were isolated.
    public internal(set) var isolated = false
    var pendingGiveUp: (set: ResourceSet, at: Instant)?
    var lastCounted = 0
    /// The partner's last `num_ping`, and whether it told us we are dead since our count last changed.
    var partnerCount: Int?
    var toldDead = false
    /// While we count fewer ping nodes than the partner and still hold groups, we ask again at
    /// this time: a giveup the standby protocol refused (a node in flux) is retried (ipfail was not).
    var reaskAt: Instant?

    public init(config: ArbitrationConfig) {
        self.config = config
        pings = PingNodes(targets: config.pingTargets, deadping: config.deadping, holdDown: config.holdDown)
        partner = config.nodes.last { $0 != config.localNode }
    }

    var active: Bool { config.enabled && !pings.isEmpty }
    var guarding: Bool { active && config.isolationGuard }

    public func counted(now: Instant) -> Int { pings.counted(now: now) }

    public func nextDeadline(now: Instant) -> Instant? {
        Instant.earliest(Instant.earliest(pings.nextDeadline(now: now), pendingGiveUp?.at), reaskAt)
    }

    /// The giveup ipfail would have scheduled (for tests and `hbctl status`).
    public var scheduledGiveUp: ResourceSet? { pendingGiveUp?.set }
    /// Whether the delayed give-up falls due at a tick at `now` (one scheduled by that tick is
    /// always later: it waits two keepalives).
    public func giveUpDue(now: Instant) -> Bool { pendingGiveUp.map { now >= $0.at } ?? false }

    // MARK: Inputs

    public mutating func start(now: Instant) {
        pings.start(now: now)
    }

    /// An authenticated `NS_st` echo reply (spec §4.5). Returns nil when it is not one of ours.
    public mutating func echoReply(_ message: Message, now: Instant) -> [Effect]? {
        guard message.type == .pingStatus, message["st"] == "ping", let source = message["src"],
              let info = message["info"], info == "ping" || info == "ping_group", pings.contains(source)
        else { return nil }
        var effects = pings.heard(source, isGroup: info == "ping_group", now: now).compactMap(Self.effect)
        reevaluate(now: now, into: &effects)
        return effects
    }

    /// `stable`: our resources are not in transition (a giveup waits until they are).
    /// `silentPeers`: live peers not heard from for `silenceThreshold`; when every peer is dead or silent
    /// and no ping node answers, we are probably cut off and release before the peer's deadtime
    /// runs out, so that its takeover never overlaps our groups.
    /// `holdsGroups`: something could still be handed over (a refused giveup is then asked again).
    /// `stallGrace`: our process stalled; nothing is declared dead before this.
    public mutating func tick(now: Instant, stable: Bool, silentPeers: Set<String> = [], holdsGroups: Bool = false,
                              stallGrace: Instant? = nil) -> [Effect] {
        var effects = pings.tick(now: now, stallGrace: stallGrace).compactMap(Self.effect)
        reevaluate(now: now, into: &effects)
        if let due = reaskAt, now >= due {
            reaskAt = nil
            let behind = toldDead || (partnerCount ?? 0) > counted(now: now)
            if behind, let partner, !deadPeers.contains(partner) {
                // Groups may come back while we are behind (the peer's auto failback): keep watching.
                if holdsGroups, pendingGiveUp == nil { ask(now: now, into: &effects) }
                reaskAt = now + config.holdDown
            }
        }
        checkIsolation(now: now, silentPeers: silentPeers, into: &effects)
        if isolated, let heard = config.nodes.first(where: { $0 != config.localNode && !deadPeers.contains($0) && !silentPeers.contains($0) }) {
            isolated = false
            effects.append(.log(.info, "Node \(heard) is heard again: no longer isolated."))
            effects.append(.resumeHeard)
        }
        if let pending = pendingGiveUp, now >= pending.at {
            if stable {
                pendingGiveUp = nil
                effects.append(.log(.info, "giveup() called (timeout worked)"))
                effects.append(.giveUp(pending.set))
                if pending.set == .all { reaskAt = now + config.holdDown }
            } else {
                pendingGiveUp = (pending.set, now + config.keepalive)
            }
        }
        return effects
    }

    public mutating func communicationsUp(liveNodes: [String], now: Instant) -> [Effect] {
        commsUp = true
        deadPeers = Set(config.nodes.filter { $0 != config.localNode && !liveNodes.contains($0) })
        var effects: [Effect] = []
        if let partner, !deadPeers.contains(partner) { ask(now: now, into: &effects) }
        return effects
    }

    /// A heartbeat link to a peer died (ipfail's link-status callback).
    public mutating func linkDead(now: Instant) -> [Effect] {
        var effects: [Effect] = []
        if let partner, !deadPeers.contains(partner) { ask(now: now, into: &effects) }
        return effects
    }

    /// A normal peer was declared dead. Returns whether its takeover must wait (isolation guard).
    public mutating func peerDied(_ node: String, now: Instant) -> (deferred: Bool, effects: [Effect]) {
        deadPeers.insert(node)
        var effects: [Effect] = []
        // A giveup was decided with a live partner: nobody is left to hand the groups to.
        if node == partner, pendingGiveUp != nil {
            pendingGiveUp = nil
            effects.append(.log(.info, "Delayed giveup cancelled: \(node) is dead."))
        }
        guard guarding, commsUp, pings.settled, counted(now: now) == 0 else { return (false, effects) }
        deferredDeaths.append(node)
        effects.append(.log(.critical, "Node \(node) is dead but no ping node answers here: this node is probably the isolated one. Not taking over its resources until a ping node answers."))
        checkIsolation(now: now, into: &effects)
        return (true, effects)
    }

    /// A peer is alive again (returned, restarted, or first heard).
    public mutating func peerAlive(_ node: String, now: Instant) -> [Effect] {
        deadPeers.remove(node)
        deferredDeaths.removeAll { $0 == node }
        var effects: [Effect] = []
        if isolated {
            isolated = false
            effects.append(.log(.info, "Node \(node) is reachable again: no longer isolated."))
            effects.append(.resumeHeard)
        }
        if active, commsUp, node == partner { ask(now: now, into: &effects) }
        return effects
    }

    // MARK: Changes

    /// After any change: a new count goes to the partner; isolation begins or ends.
    mutating func reevaluate(now: Instant, into effects: inout [Effect]) {
        let count = counted(now: now)
        guard count != lastCounted else { return }
        let before = lastCounted
        lastCounted = count
        toldDead = false
        guard active else { return }
        effects.append(.log(.info, "Ping nodes reachable: \(count) of \(pings.names.count) (was \(before))."))
        if let partner, !deadPeers.contains(partner) { ask(now: now, into: &effects) }
        if count == 0 {
            checkIsolation(now: now, into: &effects)
        } else if !deferredDeaths.isEmpty || isolated {
            effects.append(.log(.info, "A ping node answers again: taking over the resources of dead node(s)."))
            let deferred = deferredDeaths
            deferredDeaths = []
            for node in deferred { effects.append(.nodeDead(node)) }
            if isolated {
                isolated = false
                let others = config.nodes.filter { deadPeers.contains($0) && !deferred.contains($0) }
                effects.append(.reacquire(deadPeers: others))
            }
        }
    }

    static func effect(_ change: PingNodes.Change) -> Effect? {
        switch change {
        case .log(let level, let text): .log(level, text)
        case .status: nil
        }
    }
}
