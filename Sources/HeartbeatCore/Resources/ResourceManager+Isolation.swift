/// The two resource moves of built-in arbitration that are not the standby protocol
/// (see `Arbitration`): releasing everything when isolated, and taking it back afterwards.
extension ResourceManager {
    /// After isolation: whether we still owe the peer a resynchronisation of holdings.
    enum IsolationRecovery: Sendable, Hashable {
        case none
        /// A peer is alive again after we released for isolation: once idle, ask for its
        /// holdings and report ours (see `resumeAfterSilence`).
        case resumeWhenIdle
    }

    /// Stops every group held here, last first; nothing is sent (no peer is alive to hear it).
    public mutating func releaseForIsolation(now: Instant) -> [ResourceEffect] {
        var effects: [ResourceEffect] = []
        guard lifecycle.isUpAfterComms else { return effects }
        cancelStandby(into: &effects)
        nominalHolds = .none
        for index in records.indices.reversed() where claimed(index) {
            _ = queueRelease(index, purpose: .abandoned, reason: "isolated: no ping node and no peer answers")
        }
        pump(now: now, into: &effects)
        return effects
    }

    /// Ends isolation: our own groups and those of the peers still dead, as after their death.
    public mutating func reacquireAfterIsolation(deadPeers: [String], now: Instant) -> [ResourceEffect] {
        var effects: [ResourceEffect] = []
        guard lifecycle.isUpAfterComms else { return effects }
        if deadPeers.isEmpty {
            requestLocalGroups(now: now, into: &effects)
        }
        for node in deadPeers where peers[node]?.alive == false {
            takeOver(from: node, now: now, into: &effects)
        }
        pump(now: now, into: &effects)
        return effects
    }

    /// A peer is alive again after we released for isolation (heard again, or back from dead): it
    /// may hold our groups, or none, and what we last heard of its holdings is old. Once our
    /// releases are done we ask, as after a partition heal: `starting` makes it report its full
    /// holdings, and ours lets it take back its own groups; a report showing nobody holds ours
    /// makes us start them (deviation 16).
    public mutating func resumeAfterSilence(now: Instant) -> [ResourceEffect] {
        var effects: [ResourceEffect] = []
        isolationRecovery = .resumeWhenIdle
        resumeIfIdle(now: now, into: &effects)
        return effects
    }

    mutating func resumeIfIdle(now: Instant, into effects: inout [ResourceEffect]) {
        guard isolationRecovery == .resumeWhenIdle, isIdle else { return }
        isolationRecovery = .none
        guard lifecycle.handshake == .stable else { return }
        guard config.niceFailback else { return }
        effects.append(.send(Message(type: .starting)))
        effects.append(.send(holdingsMessage(stable: true)))
    }

    /// Whether any group is held here or on its way: what a giveup could hand over.
    public func holds(_ set: ResourceSet) -> Bool {
        !holdings().intersection(HoldSet(set)).isEmpty
    }
}
