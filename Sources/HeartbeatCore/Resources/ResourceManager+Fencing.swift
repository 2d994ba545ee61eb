/// Fencing decisions (spec §6.7, §10.3): who fences whom, when, and what a node does when it
/// cannot release a group it runs.
///
/// A heartbeat-only partition leaves both nodes alive, each declaring the other dead. With a
/// STONITH device both would reset each other at once (a "fence race") and both could die. Like
/// Pacemaker's `priority-fencing-delay`, the node that should lose waits `priorityFencingDelay`
/// before its first attempt, so the survivor's reset lands first. The survivor is the node that
/// runs more groups; on a tie the node that is the preferred node of more groups; then the node
/// listed first in ha.cf. Both nodes compute the same answer from the same holdings.
///
/// When fencing is needed: 3.0.6 skips STONITH for a dead node it had heard from that held
/// nothing (auto_failback on/off) or sent `shutdone` (legacy). With a STONITH device configured
/// we skip it only after `shutdone`: in a heartbeat-only partition a node that held nothing is
/// alive and about to take our groups, so not fencing it would let it fence us, the node that
/// runs the groups. Without a device 3.0.6's rule stands.
extension ResourceManager {
    /// Fencing of one node, from the decision until the device reports success.
    enum FenceAttempt: Sendable, Hashable {
        /// `.fence` was emitted; its `.fenceResult` is awaited.
        case awaitingResult
        /// The next attempt is due then: after the priority delay, or after a failed attempt.
        case due(Instant)

        var dueAt: Instant? {
            if case .due(let at) = self { at } else { nil }
        }
    }

    /// What this node did about a group it cannot stop. Escalating cannot be undone (heartbeats
    /// stay stopped, the watchdog stays starved), so it happens once.
    enum StopFailureResponse: Sendable, Hashable {
        /// Nothing beyond keeping the group and the CRIT line.
        case contained
        case escalated
    }

    /// The dead peer released everything on purpose, so no reset is needed (spec §6.7 step 2).
    func gaveUpResources(_ peer: PeerRecord) -> Bool {
        config.niceFailback && !config.fencingConfigured ? peer.holds == .none : peer.gaveUp
    }

    /// Fencing of `node` is needed (spec §6.7 step 2): start now, or after the priority delay.
    mutating func beginFencing(_ node: String, now: Instant, into effects: inout [ResourceEffect]) {
        if survivesFenceRace(against: node) {
            effects.append(.log(.info, "Fencing \(node) before taking over its resource groups."))
            fencing[node] = .awaitingResult
            effects.append(.fence(node))
        } else {
            effects.append(.log(.info, "Fencing \(node) in \(describe(ResourceLimits.priorityFencingDelay)) (priority fencing delay: \(node) is the preferred survivor)."))
            fencing[node] = .due(now + ResourceLimits.priorityFencingDelay)
        }
    }

    /// Attempts whose delay is over start now.
    mutating func fenceWhenDue(now: Instant, into effects: inout [ResourceEffect]) {
        for name in peerNames {
            if let at = fencing[name]?.dueAt, at <= now {
                fencing[name] = .awaitingResult
                effects.append(.fence(name))
            }
        }
    }

    mutating func fenceResult(_ node: String, succeeded: Bool, now: Instant, into effects: inout [ResourceEffect]) {
        guard fencing[node] != nil else { return }
        if succeeded {
            fencing[node] = nil
            effects.append(.send(stonithMessage(node, result: "OK")))
            takeOver(from: node, now: now, into: &effects)
        } else {
            effects.append(.send(stonithMessage(node, result: "bad")))
            effects.append(.log(.error, "STONITH of \(node) failed.  Retrying..."))
            fencing[node] = .due(now + ResourceLimits.fenceRetry)
        }
    }

    /// The node is alive again: no reset is due any more. Whether one was in progress.
    @discardableResult
    mutating func abandonFencing(_ node: String) -> Bool {
        fencing.removeValue(forKey: node) != nil
    }

    func stonithMessage(_ node: String, result: String) -> Message {
        Message(type: .stonith, ("node", node), ("result", result))
    }

    /// Whether we are the node that fences without delay when `peer` and we fence each other.
    func survivesFenceRace(against peer: String) -> Bool {
        let ours = records.indices.filter { claimed($0) || records[$0].ownedHere }.count
        let theirs = records.indices.filter { heldBy(peer, $0) }.count
        if ours != theirs { return ours > theirs }
        let preferredHere = records.filter { $0.group.preferredNode == config.localNode }.count
        let preferredThere = records.filter { $0.group.preferredNode == peer }.count
        if preferredHere != preferredThere { return preferredHere > preferredThere }
        let order = config.nodes
        return (order.firstIndex(of: config.localNode) ?? .max) < (order.firstIndex(of: peer) ?? .max)
    }

    /// What the peer held when we last heard from it (its holdings report, or legacy hand-overs),
    /// whether or not it is alive now.
    func heldBy(_ peer: String, _ index: Int) -> Bool {
        guard let record = peers[peer] else { return false }
        if config.niceFailback {
            return record.holds.contains(records[index].group.preferredNode == peer ? .local : .foreign)
        }
        return records[index].peerOwner == peer
    }

    /// A stop failed for good and the resource still runs here (spec §6.2; 3.0.6 rebooted). We
    /// keep the group, so nobody else starts it, and escalate with what is configured: with
    /// STONITH we stop sending heartbeats so that a peer declares us dead and fences us before
    /// it takes over; with a watchdog we stop feeding it so the kernel reboots this node. With
    /// neither, the group just stays here with the CRIT line already logged.
    mutating func escalateStopFailure(into effects: inout [ResourceEffect]) {
        guard stopFailure == .contained else { return }
        if config.fencingConfigured {
            stopFailure = .escalated
            effects.append(.log(.critical, "A resource cannot be stopped: this node stops sending heartbeats so that a peer fences it (STONITH) before taking its groups."))
            effects.append(.stopHeartbeats)
        }
        if config.watchdogConfigured {
            stopFailure = .escalated
            effects.append(.log(.critical, "A resource cannot be stopped: no longer feeding the watchdog; the kernel will reboot this node."))
            effects.append(.starveWatchdog)
        }
    }
}
