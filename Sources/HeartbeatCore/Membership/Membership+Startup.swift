/// Startup (spec §5.4): `init`, `up`, links-up, the `reqnodes`/`repnodes` exchange and `active`.
extension Membership {
    mutating func start(now: Instant, into effects: inout [MembershipEffect]) {
        phase = .startingLinks
        startedAt = now
        records[localIndex].heardAnyPacket = true
        sendStatus(now: now, into: &effects)
        nextHeartbeatAt = now + config.keepalive
        upPending = true
    }

    /// The `dt` we advertise: 2 s extra during the first 5 s, so peers allow for our slow start.
    func advertisedDeadtime(now: Instant) -> Duration {
        now < startedAt + MembershipLimits.startupBonusPeriod
            ? config.deadtime + MembershipLimits.startupDeadtimeBonus
            : config.deadtime
    }

    mutating func sendStatus(now: Instant, into effects: inout [MembershipEffect]) {
        var message = Message(
            type: .status,
            ("st", localStatus.rawValue),
            ("dt", Self.hex(UInt64(advertisedDeadtime(now: now).milliseconds)))
        )
        // 3.0.6 stops advertising `protocol` once it turned flow control off.
        if flowControl { message.fields.append(Field("protocol", "1")) }
        if let digest = config.configDigest { message.fields.append(Field("cfgdigest", digest)) }
        // Omitted when empty: no cost while every group is healthy.
        if !advertisedUnfitGroups.isEmpty {
            message.fields.append(Field("svcbad", advertisedUnfitGroups.joined(separator: " ")))
        }
        send(message, now: now, into: &effects)
        effects.append(.heartbeatSent)
    }

    /// Changes our own status and announces it at once, as 3.0.6 does.
    mutating func setLocalStatus(_ status: NodeStatus, now: Instant, into effects: inout [MembershipEffect]) {
        let old = records[localIndex].status
        guard old != status else { return }
        records[localIndex].status = status
        sendStatus(now: now, into: &effects)
        effects.append(.log(.info, "Local status now set to: '\(status.rawValue)'"))
        effects.append(.nodeStatusChanged(node: records[localIndex].name.rawValue, from: old, to: status, why: .localTransition))
    }

    /// Links are up when every node was heard from or declared dead (spec §5.4 step 3).
    mutating func checkLinksUp(now: Instant, into effects: inout [MembershipEffect]) {
        guard phase == .startingLinks, !upPending else { return }
        let settled = records.allSatisfy { $0.isLocal || $0.heardAnyPacket || $0.status == .dead }
        guard settled else { return }
        if flowControl {
            askForNodeList(startingAt: 0, now: now, into: &effects)
        } else {
            commNowUp(now: now, into: &effects)
        }
    }

    /// Sends `reqnodes` to the first live normal peer at or after `start` in configuration order
    /// (wrapping around, so a dead target hands over to the next live one); with none, goes active.
    mutating func askForNodeList(startingAt start: Int, now: Instant, into effects: inout [MembershipEffect]) {
        let count = records.count
        let target = (0..<count).lazy
            .map { (start + $0) % count }
            .first { !self.records[$0].isLocal && self.records[$0].type == .normal && self.records[$0].status != .dead }
        guard let target else {
            commNowUp(now: now, into: &effects)
            return
        }
        phase = .awaitingNodeList
        reqnodes = ReqnodesState(targetIndex: target, nextRetryAt: now + MembershipLimits.reqnodesRetry)
        send(Message(type: .nodeListRequest, ("dest", records[target].name.rawValue)), now: now, into: &effects)
    }

    mutating func retryNodeList(now: Instant, into effects: inout [MembershipEffect]) {
        guard phase == .awaitingNodeList, let pending = reqnodes, now >= pending.nextRetryAt else { return }
        askForNodeList(startingAt: pending.targetIndex, now: now, into: &effects)
    }

    mutating func commNowUp(now: Instant, into effects: inout [MembershipEffect]) {
        phase = .up
        reqnodes = nil
        effects.append(.log(.info, "Comm_now_up(): updating status to active"))
        setLocalStatus(.active, now: now, into: &effects)
        effects.append(.commsUp)
    }

    /// Answers a peer's `reqnodes` with our normal nodes (spec §5.4 interop requirement).
    /// Field order as 3.0.6 builds it: `dest` before `t`.
    mutating func answerNodeListRequest(from index: Int, now: Instant, into effects: inout [MembershipEffect]) {
        let names = records.filter { $0.type == .normal }.map { $0.name.rawValue + " " }.joined()
        let reply = Message(
            ("dest", records[index].name.rawValue),
            ("t", MessageType.nodeList.rawValue),
            ("nodelist", names),
            ("delnodelist", " ")
        )
        send(reply, now: now, into: &effects)
    }

    /// A `repnodes` reply ends the wait. Unlike 3.0.6 (spec §10 item 11) it never edits our node
    /// list: differences are logged and the configured list stays.
    mutating func receiveNodeList(_ message: Message, from index: Int, now: Instant, into effects: inout [MembershipEffect]) {
        guard phase == .awaitingNodeList else { return }
        let listed = (message["nodelist"] ?? "").split(separator: " ").map(NodeName.init)
        let configured = records.filter { $0.type == .normal }.map(\.name)
        let unknown = listed.filter { !configured.contains($0) }
        let omitted = configured.filter { !listed.contains($0) }
        let peer = records[index].name
        if !unknown.isEmpty {
            effects.append(.log(.warning, "repnodes from \(peer) lists node(s) not in our configuration: \(unknown.map(\.rawValue).joined(separator: " ")); keeping our configured node list"))
        }
        if !omitted.isEmpty {
            effects.append(.log(.warning, "repnodes from \(peer) omits configured node(s): \(omitted.map(\.rawValue).joined(separator: " ")); keeping them"))
        }
        commNowUp(now: now, into: &effects)
    }
}
