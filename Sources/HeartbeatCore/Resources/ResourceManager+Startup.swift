/// Comm-up, the `starting`/`resource` handshake, holdings reports, audits and the milestone
/// (spec §6.6).
extension ResourceManager {
    /// The startup handshake while the node is up (see `Lifecycle`).
    enum Handshake: Sendable, Hashable {
        /// Before comm-up.
        case waiting
        /// Sent `starting`, no decision yet.
        case starting
        /// The peer's `starting` arrived while we were starting.
        case bothStarting
        /// Our own acquisition was decided.
        case stable
    }

    /// Which halves of the initial acquisition are done, until "Initial resource acquisition
    /// complete" is logged, once: `local` is 3.0.6's `local_takeover_work_done` (our own groups),
    /// `foreign` its `foreign_takeover_work_done` (the groups of nodes dead at startup).
    enum InitialAcquisition: Sendable, Hashable {
        case underway(done: HoldSet)
        case announced

        func isDone(_ half: HoldSet) -> Bool {
            switch self {
            case .underway(let done): done.contains(half)
            case .announced: true
            }
        }

        mutating func markDone(_ half: HoldSet) {
            if case .underway(let done) = self { self = .underway(done: done.union(half)) }
        }
    }

    /// Moves the startup handshake on; a deferred shutdown stays deferred. Once shutdown began
    /// no handshake step applies.
    mutating func advanceHandshake(to next: Handshake) {
        switch lifecycle {
        case .up: lifecycle = .up(next)
        case .shutdownDeferred: lifecycle = .shutdownDeferred(next)
        case .shuttingDown, .stopped: break
        }
    }

    /// A takeover decides our acquisition: a handshake still under way is over.
    mutating func endHandshake() {
        if lifecycle.handshake == .starting || lifecycle.handshake == .bothStarting {
            advanceHandshake(to: .stable)
        }
    }

    mutating func commsUp(liveNodes: [String], now: Instant, into effects: inout [ResourceEffect]) {
        guard lifecycle.handshake == .waiting else { return }
        let live = Set(liveNodes.map { NodeName($0).rawValue })
        for name in peerNames {
            peers[name]?.alive = live.contains(name)
            if live.contains(name) { peers[name]?.heard = true }
        }
        let dead = peerNames.filter { !live.contains($0) }
        // With every node up nobody's groups need taking over (3.0.6 comm_up_resource_action).
        if dead.isEmpty { initialAcquisition.markDone(.foreign) }
        if config.niceFailback {
            effects.append(.send(Message(type: .starting)))
            advanceHandshake(to: .starting)
            for name in peerNames where startingBeforeComms.contains(name) && live.contains(name) {
                receiveStarting(from: name, now: now, into: &effects)
            }
        } else {
            advanceHandshake(to: .stable)
            requestLegacyGroups(now: now, into: &effects)
        }
        startingBeforeComms = []
        for name in dead {
            // Nothing heard by comm-up: whatever it held is unknown, so STONITH is due (§6.7).
            peers[name]?.alive = true
            peers[name]?.heard = false
            nodeDead(name, now: now, into: &effects)
        }
        // A one-node cluster has nobody to ask.
        if lifecycle.handshake == .starting, peerNames.isEmpty {
            advanceHandshake(to: .stable)
            requestLocalGroups(now: now, into: &effects)
        }
    }

    // MARK: Messages

    mutating func receive(_ message: Message, now: Instant, into effects: inout [ResourceEffect]) {
        guard let source = message.source?.rawValue, peers[source] != nil else { return }
        peers[source]?.heard = true
        let type = message.type
        if type == .resource, isStaleReport(message, from: source) { return }
        if type == .starting, isStaleReport(message, from: source) {
            // Still a request for our holdings, but the peer's newer report already said
            // whether it is stable: answering must not mark it "in flux" again.
            if lifecycle.handshake != .waiting, config.niceFailback {
                effects.append(.send(holdingsMessage(stable: lifecycle.handshake == .stable)))
            }
            return
        }
        if lifecycle.handshake == .waiting {
            // 3.0.6 only listens after comm-up; we remember what a peer said meanwhile.
            switch type {
            case .starting: startingBeforeComms.insert(source)
            case .resource: noteHoldings(message, from: source, into: &effects)
            // A legacy peer that reached comm-up first asks for its groups now and never again;
            // we hold nothing yet, so we can answer at once (as 3.0.6's rc.d/ip-request did).
            case .ipRequest: receiveIPRequest(message, from: source, now: now, into: &effects)
            default: break
            }
            return
        }
        switch type {
        case .starting: receiveStarting(from: source, now: now, into: &effects)
        case .resource: receiveResource(message, from: source, now: now, into: &effects)
        case .shutdone: receiveShutdone(from: source, now: now, into: &effects)
        case .askResources: receiveAskResources(message, from: source, now: now, into: &effects)
        case .takeover: receiveTakeover(message, from: source, now: now, into: &effects)
        case .ipRequest: receiveIPRequest(message, from: source, now: now, into: &effects)
        case .ipRequestResponse: receiveIPResponse(message, from: source, now: now, into: &effects)
        default: break
        }
    }

    /// A peer (re)starts and asks for our holdings (spec §6.6).
    mutating func receiveStarting(from peer: String, now: Instant, into effects: inout [ResourceEffect]) {
        guard config.niceFailback else { return }
        peers[peer]?.stable = false
        peers[peer]?.shuttingDown = false
        switch lifecycle.handshake {
        case .waiting:
            return
        case .starting:
            advanceHandshake(to: .bothStarting)
            initialAcquisition.markDone(.foreign)
            announce("HB_R_BOTHSTARTING", into: &effects)
        case .bothStarting, .stable, nil:
            // nil: shutting down (`handle` drops every event once stopped).
            break
        }
        if active.map({ if case .takeover = $0.job.purpose { true } else { false } }) ?? false {
            effects.append(.log(.warning, "T_STARTING received during takeover."))
        }
        // While shutting down we list what we still hold (deviation 7).
        effects.append(.send(holdingsMessage(stable: lifecycle.handshake == .stable)))
    }

    /// A holdings report or `starting` older than one already applied (delivered late: reordered,
    /// or a retransmission) would undo the newer one and could leave the peer looking "in flux"
    /// for good, so that our giveups are never answered (sim seeds 904 and, for a late
    /// `starting`, 3425 of the ping sweep).
    mutating func isStaleReport(_ message: Message, from peer: String) -> Bool {
        guard let order = ReportOrder(message) else { return false }
        if let last = peers[peer]?.lastReport, order <= last { return true }
        peers[peer]?.lastReport = order
        return false
    }

    /// Records a holdings report; returns whether the peer just became stable.
    @discardableResult
    mutating func noteHoldings(_ message: Message, from peer: String, into effects: inout [ResourceEffect]) -> Bool {
        guard let word = message["rsc_hold"] else {
            effects.append(.log(.error, "resource message without rsc_hold field."))
            return false
        }
        var reported = HoldSet(wire: word)
        if reported == nil {
            effects.append(.log(.error, "encode_resources: bad resource type [\(word)]"))
            reported = HoldSet.none
        }
        let full = message["rtype"] == "full"
        let previous = peers[peer]?.holds ?? .none
        // 3.0.6's HB_UPD_RSC: a full report replaces, a partial one adds (none clears).
        let holds = full || reported == HoldSet.none ? reported! : previous.union(reported!)
        peers[peer]?.holds = holds
        switch message["info"] {
        case "shutdown": peers[peer]?.shuttingDown = true
        default: break
        }
        var newlyStable = false
        switch message["isstable"] {
        case "1":
            peers[peer]?.reportedSinceReturn = true
            if peers[peer]?.stable == false {
                newlyStable = true
                peers[peer]?.stable = true
                effects.append(.log(.info, "remote resource transition completed."))
            }
        case .some: peers[peer]?.stable = false
        case .none: break
        }
        return newlyStable
    }

    mutating func receiveResource(_ message: Message, from peer: String, now: Instant, into effects: inout [ResourceEffect]) {
        guard config.niceFailback else { return }
        if lifecycle.handshake == .starting || lifecycle.handshake == .bothStarting, config.autoFailback == .off {
            initialAcquisition.markDone(.foreign)
            announce("T_RESOURCES", into: &effects)
        }
        let newlyStable = noteHoldings(message, from: peer, into: &effects)
        let full = message["rtype"] == "full"
        let record = peers[peer] ?? PeerRecord()
        switch lifecycle.handshake {
        case .starting, .bothStarting:
            if othersStable, !record.shuttingDown {
                acquireAfterStableReport(now: now, into: &effects)
            } else if full, message["info"] == nil, !record.stable, !record.shuttingDown,
                      !record.holds.contains(.foreign) {
                // Deviation 5: the peer is itself in flux and does not hold our groups.
                effects.append(.log(.info, "local resource transition completed."))
                advanceHandshake(to: .stable)
                initialAcquisition.markDone(.foreign)
                requestLocalGroups(now: now, into: &effects)
                effects.append(.send(holdingsMessage(stable: true)))
            }
        case .stable:
            // Settle double ownership first: an auto failback started now would be a standby that
            // collides with the peer's own.
            if full, record.stable, !record.shuttingDown {
                releaseDoublyHeld(preferredBy: peer, now: now, into: &effects)
            }
            if newlyStable {
                effects.append(.send(holdingsMessage(stable: true)))
                performAutoFailback(now: now, into: &effects)
            }
            if full, record.stable, !record.shuttingDown {
                takeOrphanedLocalGroups(reportedBy: peer, into: &effects)
            }
        case nil:
            // Shutting down (`handle` drops every event once stopped).
            if newlyStable { effects.append(.send(holdingsMessage(stable: false))) }
        case .waiting:
            break
        }
        audit(into: &effects)
    }

    /// We were starting and the peer is stable: take our groups unless it holds them (§6.6).
    mutating func acquireAfterStableReport(now: Instant, into effects: inout [ResourceEffect]) {
        advanceHandshake(to: .stable)
        initialAcquisition.markDone(.foreign)
        if othersHold.contains(.foreign) {
            effects.append(.log(.info, "Local Resource acquisition completed. (none)"))
            // With auto_failback on our groups come back through the standby protocol.
            if config.autoFailback != .on {
                initialAcquisition.markDone(.local)
                announce("T_RESOURCES(them)", into: &effects)
            }
        } else {
            requestLocalGroups(now: now, into: &effects)
        }
        effects.append(.send(holdingsMessage(stable: true)))
        performAutoFailback(now: now, into: &effects)
    }

    /// Deviation 6: a stable peer reports it holds its own groups and we hold some of them too.
    mutating func releaseDoublyHeld(preferredBy peer: String, now: Instant, into effects: inout [ResourceEffect]) {
        guard standby == .none, peers[peer]?.holds.contains(.local) == true else { return }
        nominalHolds.remove(.foreign)
        let doubled = records.indices.filter { records[$0].group.preferredNode == peer && claimed($0) }
        guard !doubled.isEmpty else { return }
        let keys = doubled.map { records[$0].group.key }.joined(separator: ", ")
        effects.append(.log(.critical, "Both \(config.localNode) and \(peer) hold resource groups [\(keys)]: releasing them here, \(peer) is their preferred node."))
        for index in doubled.reversed() {
            queueRelease(index, purpose: .heal(peer), reason: "held by \(peer) too")
        }
    }

    // MARK: Our own groups

    /// 3.0.6 `req_our_resources`: start our own groups (those whose preferred node we are).
    mutating func requestLocalGroups(now: Instant, into effects: inout [ResourceEffect]) {
        if config.niceFailback { nominalHolds.insert(.local) }
        var queued = false
        for index in records.indices where isLocal(index) {
            if queueAcquire(index, purpose: .initial, reason: "local group") { queued = true }
        }
        if !queued, !hasPending(.initial), !initialAcquisition.isDone(.local) {
            completeInitial(into: &effects)
        }
    }

    mutating func completeInitial(into effects: inout [ResourceEffect]) {
        if records.indices.contains(where: isLocal) {
            effects.append(.log(.info, "Local Resource acquisition completed."))
        } else {
            effects.append(.log(.info, "No local resources to acquire."))
        }
        if config.niceFailback, lifecycle.handshake == .stable {
            effects.append(.send(holdingsMessage(stable: true, info: "req_our_resources()")))
        }
        initialAcquisition.markDone(.local)
        announce("req_our_resources", into: &effects)
    }

    /// "Initial resource acquisition complete (reason)", once, when both halves are done.
    mutating func announce(_ reason: String, into effects: inout [ResourceEffect]) {
        guard initialAcquisition == .underway(done: .all) else { return }
        initialAcquisition = .announced
        effects.append(.log(.info, "Initial resource acquisition complete (\(reason))"))
    }

    // MARK: Holdings

    func holdingsMessage(stable: Bool, info: String? = nil, intended: Bool = false) -> Message {
        // While we give a set away, it is no longer ours to report, as in 3.0.6 (whose
        // `i_hold_resources` drops it when the standby starts): a peer that is taking it and hears
        // us still claim it logs "Both machines own … resources!".
        let intended = intended || standby.givingAway
        var message = Message(type: .resource, ("rsc_hold", holdings(intended: intended).wire),
                              ("rtype", "full"), ("isstable", stable ? "1" : "0"))
        if let info { message["info"] = info }
        return message
    }

    /// 3.0.6's `other_is_stable`: every live peer said `isstable=1` (dead ones count as stable).
    var othersStable: Bool {
        peerNames.allSatisfy { peers[$0].map { !$0.alive || $0.stable } ?? true }
    }

    /// What live peers report they hold.
    var othersHold: HoldSet {
        peerNames.reduce(HoldSet.none) { set, name in
            guard let peer = peers[name], peer.alive else { return set }
            return set.union(peer.holds)
        }
    }

    var anyPeerAlive: Bool { peerNames.contains { peers[$0]?.alive == true } }

    /// 3.0.6's AuditResources, on exchanged holdings (spec §6.6).
    /// Deviation 16: a stable peer's full report shows it does not hold our groups, and neither do
    /// we (it restarted faster than deadtime and lost them, say): we take them back, unless one
    /// failed to start here (deviation 1 leaves that one released).
    /// The report must come from a peer we have as alive: right after a partition heals, the
    /// peer's `resource` message can arrive before its `status` revives it here, and `othersHold`
    /// (live peers only) would then wrongly say nobody holds our groups.
    mutating func takeOrphanedLocalGroups(reportedBy peer: String, into effects: inout [ResourceEffect]) {
        guard config.niceFailback, lifecycle == .up(.stable), isIdle, standby == .none, othersStable,
              peers[peer]?.alive == true, !othersHold.contains(.foreign) else { return }
        let orphans = records.indices.filter { isLocal($0) && !claimed($0) && records[$0].state != .failed }
        guard !orphans.isEmpty else { return }
        let keys = orphans.map { records[$0].group.key }.joined(separator: ", ")
        effects.append(.log(.warning, "No one owns our local resources [\(keys)] according to \(peer): acquiring them."))
        for index in orphans {
            queueAcquire(index, purpose: .initial, reason: "held by no node")
        }
    }

    func audit(into effects: inout [ResourceEffect]) {
        guard config.niceFailback else { return }
        let ours = holdings()
        let theirs = othersHold
        let halves = halvesWithGroups
        let hasLocal = halves.contains(.local)
        let hasForeign = halves.contains(.foreign)
        if hasLocal, ours.contains(.local), theirs.contains(.foreign) {
            effects.append(.log(.error, "Both machines own our resources!"))
        }
        if hasForeign, theirs.contains(.local), ours.contains(.foreign) {
            effects.append(.log(.error, "Both machines own foreign resources!"))
        }
        guard lifecycle == .up(.stable), isIdle, standby == .none, othersStable else { return }
        if hasLocal, !ours.contains(.local), !theirs.contains(.foreign) {
            effects.append(.log(.error, "No one owns our local resources!"))
        }
        if hasForeign, !theirs.contains(.local), !ours.contains(.foreign) {
            effects.append(.log(.error, "No one owns foreign resources!"))
        }
    }
}
