/// `auto_failback legacy`: the `ip-request` / `ip-request-resp` exchange that 3.0.6 ran through
/// `req_resource` and `rc.d/ip-request*` (spec §6.6).
extension ResourceManager {
    /// A peer's `ip-request`, answered once its group no longer runs here.
    struct PendingIPReply: Sendable, Hashable {
        var requester: String
        var key: String
        var group: Int
        var weOwn: Bool
    }

    /// The group with this key, matched literally (deviation 4), case-insensitively as a fallback.
    func groupIndex(key: String) -> Int? {
        records.firstIndex { $0.group.key == key }
            ?? records.firstIndex { $0.group.key.lowercased() == key.lowercased() }
    }

    /// At comm-up: ask for each of our groups, or take it when no other node is alive.
    mutating func requestLegacyGroups(now: Instant, into effects: inout [ResourceEffect]) {
        guard anyPeerAlive else {
            requestLocalGroups(now: now, into: &effects)
            return
        }
        for index in records.indices where isLocal(index) && !claimed(index) {
            let key = records[index].group.key
            legacyAwaiting.insert(key)
            effects.append(.send(Message(type: .ipRequest, ("ipaddr", key))))
        }
        if legacyAwaiting.isEmpty, !initialAcquisition.isDone(.local) { completeInitial(into: &effects) }
    }

    /// A peer asks for a group: release it if we hold it, then answer (`rc.d/ip-request`). This
    /// works in any phase, as 3.0.6's event script did: a node that has not reached comm-up yet
    /// holds nothing and answers at once, so a peer that started earlier gets its groups.
    mutating func receiveIPRequest(_ message: Message, from peer: String, now: Instant, into effects: inout [ResourceEffect]) {
        guard !config.niceFailback, let key = message["ipaddr"], !key.isEmpty else { return }
        guard let index = groupIndex(key: key) else {
            effects.append(.send(ipResponse(to: peer, key: key, weOwn: false)))
            return
        }
        records[index].peerOwner = peer
        let weOwn = claimed(index) || records[index].ownedHere
        queueRelease(index, purpose: .ipRequest(requester: peer, key: key), reason: "requested by \(peer)")
        pendingIPReplies.append(PendingIPReply(requester: peer, key: key, group: index, weOwn: weOwn))
        flushIPReplies(into: &effects)
    }

    /// Answers each pending `ip-request` once its group no longer runs here, whichever job
    /// stopped it; a stop that keeps failing holds the answer back (deviation 3).
    mutating func flushIPReplies(into effects: inout [ResourceEffect]) {
        let stopped = Set(records.indices.filter(isSettledStopped))
        let ready = pendingIPReplies.filter { stopped.contains($0.group) }
        pendingIPReplies.removeAll { stopped.contains($0.group) }
        for reply in ready {
            effects.append(.send(ipResponse(to: reply.requester, key: reply.key, weOwn: reply.weOwn)))
        }
    }

    func ipResponse(to peer: String, key: String, weOwn: Bool) -> Message {
        Message(type: .ipRequestResponse, ("dest", peer), ("ipaddr", key), ("weown", weOwn ? "yes" : "no"),
                ("ok", "OK"))
    }

    /// Our request was answered: take the group (`rc.d/ip-request-resp`).
    mutating func receiveIPResponse(_ message: Message, from peer: String, now: Instant, into effects: inout [ResourceEffect]) {
        guard !config.niceFailback, lifecycle.handshake == .stable, message.destination?.rawValue == config.localNode,
              let key = message["ipaddr"] else { return }
        let ok = message["ok"] ?? ""
        effects.append(.log(.info, "received ip-request-resp \(key) \(ok) \(message["weown"] ?? "")"))
        // Only an answer to a request of ours (3.0.6 took any): a stale answer must not start a group.
        guard legacyAwaiting.remove(key) != nil else { return }
        if ok == "OK", let index = groupIndex(key: key) {
            records[index].peerOwner = nil
            queueAcquire(index, purpose: .ipGrant(key), reason: "granted by \(peer)")
        }
        completeLegacyInitialIfDone(into: &effects)
    }

    mutating func completeLegacyInitialIfDone(into effects: inout [ResourceEffect]) {
        let granting = active.map { if case .ipGrant = $0.job.purpose { true } else { false } } ?? false
            || queue.contains { if case .ipGrant = $0.purpose { true } else { false } }
        if legacyAwaiting.isEmpty, !granting, !initialAcquisition.isDone(.local), !hasPending(.initial) {
            completeInitial(into: &effects)
        }
    }
}
