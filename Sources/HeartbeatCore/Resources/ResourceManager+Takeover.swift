/// A peer dies, shuts down, restarts, or returns from a partition (spec §6.7, §5.6).
extension ResourceManager {
    mutating func nodeDead(_ node: String, now: Instant, into effects: inout [ResourceEffect]) {
        guard var peer = peers[node], peer.alive || lifecycle.handshake == .waiting else { return }
        if lifecycle.handshake == .waiting {
            // Handled at comm-up, when every node not alive is treated as dead.
            peers[node]?.alive = false
            return
        }
        cancelStandby(into: &effects)
        abandonRequests(from: node)
        let heard = peer.heard
        let gaveUp = gaveUpResources(peer)
        peer.alive = false
        peer.heard = false
        peer.shuttingDown = false
        peers[node] = peer
        if lifecycle == .shuttingDown {
            effects.append(.log(.info, "Resource takeover cancelled - shutdown in progress."))
            return
        }
        if heard, gaveUp {
            effects.append(.log(.info, "Dead node \(node) gave up resources."))
            effects.append(.send(stonithMessage(node, result: "unneeded")))
            if config.niceFailback, holdings() == .all { return }
            takeOver(from: node, now: now, into: &effects)
        } else if config.fencingConfigured {
            beginFencing(node, now: now, into: &effects)
        } else {
            effects.append(.send(stonithMessage(node, result: "n_stnth")))
            effects.append(.log(.warning, "No STONITH device configured."))
            effects.append(.log(.warning, "Shared disks are not protected."))
            takeOver(from: node, now: now, into: &effects)
        }
    }

    /// 3.0.6 `takeover_from_node` + `mach_down`: our own groups and the node's (spec §6.7 step 3).
    mutating func takeOver(from node: String, now: Instant, into effects: inout [ResourceEffect]) {
        guard lifecycle.handshake != nil else {
            effects.append(.log(.info, "Resource takeover cancelled - shutdown in progress."))
            return
        }
        effects.append(.log(.info, "Resources being acquired from \(node)."))
        let formerHolds = peers[node]?.holds ?? .none
        let theirs = records.indices.filter { index in
            guard !isLocal(index) else { return false }
            let preferred = records[index].group.preferredNode
            if preferred == node { return true }
            // A third node's group the dead node held; never one a live node runs.
            let ownerAlive = peers[preferred]?.alive == true
            return !ownerAlive && (formerHolds.contains(.foreign) || records[index].peerOwner == node)
        }
        peers[node]?.holds = .none
        peers[node]?.stable = true
        for index in records.indices where records[index].peerOwner == node {
            records[index].peerOwner = nil
        }
        legacyAwaiting = []
        endHandshake()
        oweFailback()
        if config.niceFailback { nominalHolds.insert(.foreign) }
        requestLocalGroups(now: now, into: &effects)
        var queued = false
        for index in theirs {
            effects.append(.log(.info, "Taking over resource group \(records[index].group.key)"))
            if queueAcquire(index, purpose: .takeover(node), reason: "taken over from \(node)") { queued = true }
        }
        if !queued, !hasPending(.takeover(node)) {
            completeTakeover(from: node, into: &effects)
        }
    }

    mutating func completeTakeover(from node: String, into effects: inout [ResourceEffect]) {
        if config.niceFailback {
            effects.append(.send(Message(type: .resource, ("rsc_hold", "foreign"), ("info", "mach_down"))))
        }
        effects.append(.log(.info, "mach_down takeover complete."))
        initialAcquisition.markDone(.foreign)
        announce("mach_down", into: &effects)
    }

    /// The peer released everything and is going away: take its groups now (spec §6.7 step 4).
    mutating func receiveShutdone(from node: String, now: Instant, into effects: inout [ResourceEffect]) {
        peers[node]?.holds = .none
        peers[node]?.stable = true
        peers[node]?.gaveUp = true
        peers[node]?.shuttingDown = false
        effects.append(.log(.info, "Received shutdown notice from '\(node)'."))
        cancelStandby(into: &effects)
        takeOver(from: node, now: now, into: &effects)
    }

    /// A dead peer is alive again: it restarted and will send `starting`.
    mutating func nodeCameBack(_ node: String, into effects: inout [ResourceEffect]) {
        guard peers[node] != nil else { return }
        forgetPeerState(node)
        peers[node]?.alive = true
        peers[node]?.heard = true
        markContested(returning: node)
        if abandonFencing(node) {
            effects.append(.log(.warning, "Fencing of \(node) abandoned: it is alive again."))
        }
    }

    /// A live peer restarted (higher generation): it holds nothing now (spec §5.6).
    mutating func nodeRestarted(_ node: String, into effects: inout [ResourceEffect]) {
        guard peers[node] != nil else { return }
        forgetPeerState(node)
        peers[node]?.alive = true
        peers[node]?.heard = true
    }

    mutating func forgetPeerState(_ node: String) {
        abandonRequests(from: node)
        peers[node]?.holds = .none
        peers[node]?.stable = false
        peers[node]?.gaveUp = false
        peers[node]?.shuttingDown = false
        for index in records.indices where records[index].peerOwner == node {
            records[index].peerOwner = nil
        }
    }

    /// Deviation 6: after a partition, the node that is not the preferred node of a group both
    /// sides hold releases it. With auto_failback on/off we first learn what the peer really holds:
    /// `starting` makes any peer (3.0.6 too) answer with its full holdings, which
    /// `releaseDoublyHeld` compares with ours; our own stable holdings follow so the peer does not
    /// take us for a node in flux. Legacy mode has no holdings reports, so there the returning
    /// node's groups are released at once, as 3.0.6's restart of both nodes would have.
    mutating func partitionHealed(_ node: String, now: Instant, into effects: inout [ResourceEffect]) {
        guard peers[node] != nil, lifecycle.isUpAfterComms else { return }
        peers[node]?.alive = true
        peers[node]?.heard = true
        markContested(returning: node)
        abandonFencing(node)
        if config.niceFailback {
            effects.append(.log(.info, "Partition with \(node) healed: asking for its holdings."))
            effects.append(.send(Message(type: .starting)))
            effects.append(.send(holdingsMessage(stable: lifecycle.handshake == .stable)))
            return
        }
        let doubled = records.indices.filter { records[$0].group.preferredNode == node && claimed($0) }
        if !doubled.isEmpty {
            let keys = doubled.map { records[$0].group.key }.joined(separator: ", ")
            effects.append(.log(.critical, "Partition with \(node) healed while both nodes hold resource groups [\(keys)]: releasing them here, \(node) is their preferred node."))
            for index in doubled.reversed() {
                queueRelease(index, purpose: .heal(node), reason: "partition with \(node) healed")
            }
        }
    }

    mutating func completeHeal(_ node: String, into effects: inout [ResourceEffect]) {
        if config.niceFailback, lifecycle.handshake == .stable {
            effects.append(.send(holdingsMessage(stable: true)))
        }
        audit(into: &effects)
    }
}
