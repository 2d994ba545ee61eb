/// The two resource moves of built-in arbitration that are not the standby protocol
/// (see `Arbitration`): releasing everything when isolated, and taking it back afterwards.
extension ResourceManager {
    /// Stops every group held here, last first; nothing is sent (no peer is alive to hear it).
    public mutating func releaseForIsolation(now: Instant) -> [ResourceEffect] {
        var effects: [ResourceEffect] = []
        guard phase != .waiting, phase != .shuttingDown, phase != .stopped else { return effects }
        cancelStandby(into: &effects)
        for index in records.indices.reversed() where claimed(index) {
            _ = queueRelease(index, purpose: .abandoned, reason: "isolated: no ping node and no peer answers")
        }
        pump(now: now, into: &effects)
        return effects
    }

    /// Ends isolation: our own groups and those of the peers still dead, as after their death.
    public mutating func reacquireAfterIsolation(deadPeers: [String], now: Instant) -> [ResourceEffect] {
        var effects: [ResourceEffect] = []
        guard phase != .waiting, phase != .shuttingDown, phase != .stopped else { return effects }
        if deadPeers.isEmpty {
            requestLocalGroups(now: now, into: &effects)
        }
        for node in deadPeers where peers[node]?.alive == false {
            takeOver(from: node, now: now, into: &effects)
        }
        pump(now: now, into: &effects)
        return effects
    }

    /// A silent peer is heard again after we released for isolation: it may have taken nothing.
    /// Our holdings report lets it take back its own groups (deviation 16); we start our own only
    /// if no live peer holds foreign groups (which would be ours).
    public mutating func resumeAfterSilence(now: Instant) -> [ResourceEffect] {
        var effects: [ResourceEffect] = []
        guard phase == .stable else { return effects }
        if config.niceFailback { effects.append(.send(holdingsMessage(stable: true))) }
        let ourGroupsElsewhere = peerNames.contains { peers[$0]?.alive == true && peers[$0]?.holds.contains(.foreign) == true }
        if !ourGroupsElsewhere { requestLocalGroups(now: now, into: &effects) }
        pump(now: now, into: &effects)
        return effects
    }

    /// Whether any group is held here or on its way: what a giveup could hand over.
    public func holds(_ set: ResourceSet) -> Bool {
        !holdings().intersection(HoldSet(set)).isEmpty
    }
}
