/// The isolation guard (issue #5): every peer dead or silent and no ping node answers means we
/// are probably the node cut off, so we release everything and take nothing over.
extension Arbitration {
    /// A live peer this long without a status counts as silent for the isolation guard: halfway
    /// from `warntime` to `deadtime`, late enough that one or two lost heartbeats do not release
    /// everything, early enough that we release before the peer's deadtime makes it take over.
    public static func silenceThreshold(warntime: Duration, deadtime: Duration) -> Duration {
        // The attoseconds halved as `/ 2` would, without its generic integer conversion (every tick).
        warntime + Duration(attoseconds: (deadtime - warntime).attoseconds / 2)
    }

    /// Whether a silence check matters now: the guard is on and no ping node answers.
    public func watchesSilence(now: Instant) -> Bool {
        guarding && commsUp && !isolated && pings.settled && counted(now: now) == 0
    }

    mutating func checkIsolation(now: Instant, silentPeers: Set<String> = [], into effects: inout [Effect]) {
        guard watchesSilence(now: now) else { return }
        let peers = config.nodes.filter { $0 != config.localNode }
        guard !peers.isEmpty, peers.allSatisfy({ deadPeers.contains($0) || silentPeers.contains($0) }) else { return }
        isolated = true
        pendingGiveUp = nil
        effects.append(.log(.critical, "No ping node and no cluster node answers: this node is probably isolated. Releasing every resource group until a ping node answers."))
        effects.append(.releaseAll)
    }
}
