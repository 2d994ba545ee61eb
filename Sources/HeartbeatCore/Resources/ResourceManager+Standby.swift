/// The three-phase standby protocol and `hb_takeover` (spec §6.8).
///
/// A is the node going standby, B the one taking over:
/// A `me` → B `other` → A stops the set, `done` → B starts the mirrored set, `done` → both
/// report stable holdings.
extension ResourceManager {
    enum Standby: Sendable, Hashable {
        case none
        /// A: sent `me`, waiting for `other` (10 s). `peersWereStable` restores 3.0.6's view of
        /// the peer if nobody answers.
        case requested(HoldSet, deadline: Instant, peersWereStable: [String: Bool])
        /// A: stopping the set; `done` follows.
        case releasing(HoldSet, deadline: Instant)
        /// A: sent `done`, waiting for B's.
        case awaitingPeerDone(HoldSet, deadline: Instant)
        /// B: sent `other`, waiting for A's `done`.
        case granting(HoldSet, from: String, deadline: Instant)
        /// B: starting the mirrored set; `done` follows.
        case acquiring(HoldSet, from: String, deadline: Instant)

        var deadline: Instant? {
            switch self {
            case .none: nil
            case .requested(_, let deadline, _), .releasing(_, let deadline), .awaitingPeerDone(_, let deadline),
                 .granting(_, _, let deadline), .acquiring(_, _, let deadline): deadline
            }
        }

        /// A: this node is stopping the set or has stopped it and awaits the peer's `done`.
        var givingAway: Bool {
            switch self {
            case .releasing, .awaitingPeerDone: true
            default: false
            }
        }

        /// 3.0.6's `going_standby` number used in its log lines: NOT 0, ME 1, OTHER 2, DONE 3.
        var number: Int {
            switch self {
            case .none: 0
            case .requested, .releasing: 1
            case .granting: 2
            case .awaitingPeerDone, .acquiring: 3
            }
        }
    }

    static let notNiceMessage = "Standby mode only implemented when nice_failback on"

    // MARK: Requests

    /// `hb_standby <set>` on this node.
    mutating func adminStandby(_ set: ResourceSet, now: Instant, into effects: inout [ResourceEffect]) {
        guard config.niceFailback else {
            effects.append(.log(.info, Self.notNiceMessage))
            return
        }
        let holdSet = HoldSet(set)
        effects.append(.log(.info, "Going standby [\(holdSet.wire)]."))
        requestStandby(holdSet, now: now, into: &effects)
    }

    /// `hb_takeover <set>` on this node: the peer runs a standby of the mirrored set. We send
    /// `local` for `failback` (deviation 2), which a 3.0.6 peer mirrors to `foreign` as well.
    mutating func adminTakeover(_ set: ResourceSet, into effects: inout [ResourceEffect]) {
        guard config.niceFailback else {
            effects.append(.log(.info, Self.notNiceMessage))
            return
        }
        let word = set == .failback ? "local" : set.rawValue
        effects.append(.send(Message(type: .takeover, ("rsc_hold", word))))
    }

    /// A peer's `hb_takeover`: what 3.0.6's `rc.d/hb_takeover` does, with `failback` fixed.
    mutating func receiveTakeover(_ message: Message, from peer: String, now: Instant, into effects: inout [ResourceEffect]) {
        let mirrored: ResourceSet
        switch message["rsc_hold"] {
        case "local", "failback": mirrored = .foreign
        case "foreign": mirrored = .local
        default: mirrored = .all
        }
        adminStandby(mirrored, now: now, into: &effects)
    }

    /// Sends `me` after the checks 3.0.6 makes when its own `me` comes back (deviation 9).
    /// `monitorMove`: a monitor gives the set away for its health; `svcmove=1` tells a peer of ours
    /// to start the hold-down of what it takes (3.0.6 ignores the field).
    mutating func requestStandby(_ set: HoldSet, now: Instant, into effects: inout [ResourceEffect], monitorMove: Bool = false) {
        let me = config.localNode
        guard lifecycle.handshake != nil else { return }
        if standby != .none {
            effects.append(.log(.warning, "Standby in progress- new request from \(me) ignored [\(secondsLeft(now)) seconds left]"))
            return
        }
        if !othersStable {
            effects.append(.log(.warning, "standby message [me] from \(me) ignored.  Other side is in flux."))
            return
        }
        if lifecycle.handshake != .stable {
            effects.append(.log(.warning, "standby message [me] from \(me) ignored.  local resources in flux."))
            return
        }
        var request = Message(type: .askResources, ("rsc_hold", set.wire), ("info", "me"))
        if monitorMove { request["svcmove"] = "1" }
        effects.append(.send(request))
        effects.append(.log(.info, "\(me) wants to go standby [\(set.wire)]"))
        var before: [String: Bool] = [:]
        for name in peerNames {
            before[name] = peers[name]?.stable ?? true
            if peers[name]?.alive == true { peers[name]?.stable = false }
        }
        standby = .requested(set, deadline: now + ResourceLimits.standbyReplyTimeout, peersWereStable: before)
    }

    func secondsLeft(_ now: Instant) -> Int64 {
        guard let deadline = standby.deadline, deadline > now else { return 0 }
        return ((deadline - now).milliseconds + 999) / 1000
    }

    // MARK: The protocol

    mutating func receiveAskResources(_ message: Message, from peer: String, now: Instant, into effects: inout [ResourceEffect]) {
        guard config.niceFailback else {
            effects.append(.log(.info, Self.notNiceMessage))
            return
        }
        guard lifecycle != .shuttingDown else { return }
        guard let info = message["info"] else {
            effects.append(.log(.error, "Received standby message without info/from"))
            return
        }
        var set = HoldSet.all
        if let word = message["rsc_hold"] {
            set = HoldSet(wire: word) ?? .none
            if HoldSet(wire: word) == nil {
                effects.append(.log(.error, "encode_resources: bad resource type [\(word)]"))
            }
        }
        if standby != .none, info == "me" {
            effects.append(.log(.warning, "Standby in progress- new request from \(peer) ignored [\(secondsLeft(now)) seconds left]"))
            return
        }
        let state = standby.number
        var ignored = false
        switch standby {
        case .none:
            if peers[peer]?.stable != true {
                effects.append(.log(.warning, "standby message [\(info)] from \(peer) ignored.  Other side is in flux."))
                return
            }
            if lifecycle.handshake != .stable {
                effects.append(.log(.warning, "standby message [\(info)] from \(peer) ignored.  local resources in flux."))
                return
            }
            if info == "me" {
                effects.append(.log(.info, "\(peer) wants to go standby [\(set.wire)]"))
                health.incomingMoveFrom = message["svcmove"] == nil ? nil : peer
                peers[peer]?.stable = false
                effects.append(.send(Message(type: .askResources, ("rsc_hold", set.wire), ("info", "other"))))
                standby = .granting(set, from: peer, deadline: now + ResourceLimits.standbyTransferTimeout)
            } else {
                ignored = true
            }
        case .requested:
            if info == "other" {
                effects.append(.log(.info, "standby: \(peer) can take our \(set.wire) resources"))
                releaseForStandby(set, now: now, into: &effects)
            } else {
                ignored = true
            }
        case .granting(_, let from, _):
            if info == "done", from == peer {
                effects.append(.log(.info, "standby: acquire [\(set.wire)] resources from \(peer)"))
                acquireForStandby(set, from: peer, now: now, into: &effects)
            } else {
                ignored = true
            }
        case .awaitingPeerDone:
            if info == "done" {
                effects.append(.log(.info, "Other node completed standby takeover of \(set.wire) resources."))
                standby = .none
                effects.append(.send(holdingsMessage(stable: true)))
            } else {
                ignored = true
            }
        case .releasing, .acquiring:
            ignored = true
        }
        if ignored {
            effects.append(.log(.error, "Ignored standby message '\(info)' from \(peer) in state \(state)"))
        }
    }

    /// The groups of `set` as seen from this node: `local` = ours, `foreign` = the others'.
    func groups(in set: HoldSet) -> [Int] {
        records.indices.filter { set.contains(isLocal($0) ? .local : .foreign) }
    }

    /// A, phase 2: announce, then stop the set (3.0.6 `go_standby(ME)`).
    mutating func releaseForStandby(_ set: HoldSet, now: Instant, into effects: inout [ResourceEffect]) {
        for name in peerNames where peers[name]?.alive == true { peers[name]?.stable = false }
        standby = .releasing(set, deadline: now + ResourceLimits.standbyTransferTimeout)
        nominalHolds.subtract(set)
        noteStandbyRelease(set, now: now, into: &effects)
        for index in groups(in: set).reversed() {
            queueRelease(index, purpose: .standbyRelease, reason: "standby")
        }
        effects.append(.send(holdingsMessage(stable: false, info: "standby", intended: true)))
        effects.append(.log(.info, "give up \(set.wire) HA resources (standby)."))
        completeStandbyRelease(now: now, into: &effects)
    }

    /// Sends `done` once no group of the set runs here any more, whichever job stopped it (a
    /// release already under way, e.g. after a failed start, counts too; a parked one holds
    /// `done` back, deviation 3).
    mutating func completeStandbyRelease(now: Instant, into effects: inout [ResourceEffect]) {
        guard case .releasing(let set, _) = standby,
              groups(in: set).allSatisfy(isSettledStopped) else { return }
        effects.append(.log(.info, "\(set.wire) HA resource release completed (standby)."))
        effects.append(.send(Message(type: .askResources, ("rsc_hold", set.wire), ("info", "done"))))
        effects.append(.log(.info, "Local standby process completed [\(set.wire)]."))
        standby = .awaitingPeerDone(set, deadline: now + ResourceLimits.standbyTransferTimeout)
    }

    /// B, phase 3: start what A gave up — A's `local` is our `foreign` (3.0.6 `go_standby(OTHER)`).
    /// Only groups whose preferred node is A or us: never a third node's.
    mutating func acquireForStandby(_ set: HoldSet, from peer: String, now: Instant, into effects: inout [ResourceEffect]) {
        standby = .acquiring(set, from: peer, deadline: now + ResourceLimits.standbyTransferTimeout)
        let mirror = set.mirrored
        effects.append(.log(.info, "acquire \(mirror.wire) HA resources (standby)."))
        for index in groups(in: mirror) {
            let preferred = records[index].group.preferredNode
            guard preferred == config.localNode || preferred == peer else { continue }
            queueAcquire(index, purpose: .standbyAcquire, reason: "standby of \(peer)")
        }
        noteStandbyArrival(mirror, from: peer, now: now)
        if !hasPending(.standbyAcquire) { completeStandbyAcquire(now: now, into: &effects) }
    }

    mutating func completeStandbyAcquire(now: Instant, into effects: inout [ResourceEffect]) {
        guard case .acquiring(let set, _, _) = standby else { return }
        effects.append(.log(.info, "\(set.mirrored.wire) HA resource acquisition completed (standby)."))
        effects.append(.send(Message(type: .askResources, ("rsc_hold", set.wire), ("info", "done"))))
        effects.append(.log(.info, "Standby resource acquisition done [\(set.wire)]."))
        standby = .none
        nominalHolds.formUnion(set.mirrored)
        if config.autoFailback == .on {
            initialAcquisition.markDone(.local)
            announce("auto_failback", into: &effects)
        }
        effects.append(.send(holdingsMessage(stable: true)))
    }

    /// A peer died or shut down mid-standby (spec §6.7 step 1). Queued standby work is dropped;
    /// the takeover that follows queues what is needed.
    mutating func cancelStandby(into effects: inout [ResourceEffect]) {
        guard standby != .none else { return }
        effects.append(.log(.info, "Cancelling pending standby operation"))
        standby = .none
        markContested()
        queue.removeAll { $0.purpose == .standbyRelease || $0.purpose == .standbyAcquire }
    }

    /// The standby timers (spec §6.8): no `other` within 10 s, or no progress within an hour.
    mutating func expireStandby(now: Instant, into effects: inout [ResourceEffect]) {
        guard let deadline = standby.deadline, deadline <= now else { return }
        if case .requested(_, _, let before) = standby {
            for (name, stable) in before { peers[name]?.stable = stable }
        }
        effects.append(.log(.warning, "No reply to standby request.  Standby request cancelled."))
        standby = .none
        markContested()
    }
}
