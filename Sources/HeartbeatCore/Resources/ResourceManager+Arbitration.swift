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

    /// A peer is alive again after we released for isolation (heard again, or back from dead): it
    /// may hold our groups, or none. Once our releases are done, our holdings report lets it take
    /// back its own groups (deviation 16), and we start our own only if no live peer holds foreign
    /// groups (which would be ours); a later report of its showing nobody holds them does the same.
    public mutating func resumeAfterSilence(now: Instant) -> [ResourceEffect] {
        var effects: [ResourceEffect] = []
        resumeAfterIsolation = true
        resumeIfIdle(now: now, into: &effects)
        return effects
    }

    mutating func resumeIfIdle(now: Instant, into effects: inout [ResourceEffect]) {
        guard resumeAfterIsolation, isIdle else { return }
        resumeAfterIsolation = false
        guard phase == .stable else { return }
        if config.niceFailback { effects.append(.send(holdingsMessage(stable: true))) }
        let ourGroupsElsewhere = peerNames.contains { peers[$0]?.alive == true && peers[$0]?.holds.contains(.foreign) == true }
        if !ourGroupsElsewhere { requestLocalGroups(now: now, into: &effects) }
        pump(now: now, into: &effects)
    }

    /// A holdings report older than one already processed (a retransmission filling a gap arrives
    /// after later messages): it would make the peer look in flux, or holding, for good.
    mutating func isStaleReport(_ message: Message, from peer: String) -> Bool {
        guard let seq = message["seq"].flatMap({ UInt64($0, radix: 16) }) else { return false }
        let stamp = (message["hg"].flatMap { UInt64($0, radix: 16) } ?? 0, seq)
        if let latest = latestReport[peer], stamp < latest { return true }
        latestReport[peer] = stamp
        return false
    }

    /// Whether any group is held here or on its way: what a giveup could hand over.
    public func holds(_ set: ResourceSet) -> Bool {
        !holdings().intersection(HoldSet(set)).isEmpty
    }
}
