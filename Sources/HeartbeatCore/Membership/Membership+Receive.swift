/// The receive path: spec §3.3 acceptance, then the message's effect on membership.
extension Membership {
    mutating func receive(_ message: Message, link: String, now: Instant, into effects: inout [MembershipEffect]) {
        guard let source = message.source, !source.rawValue.isEmpty else {
            reject(.missingSource)
            return
        }
        guard let index = nodeIndex[source] else {
            reportUnknownNode(source, now: now, into: &effects)
            return
        }
        // Our own packets come back on bcast (and looped mcast): they only show our link works.
        if index == localIndex {
            refreshLink(index, link: link, now: now, into: &effects)
            return
        }
        let type = message.type
        if type?.isUnsequenced == true {
            receiveUnsequenced(message, type: type, from: index, link: link, now: now, into: &effects)
        } else {
            receiveSequenced(message, type: type, from: index, link: link, now: now, into: &effects)
        }
    }

    mutating func reportUnknownNode(_ name: NodeName, now: Instant, into effects: inout [MembershipEffect]) {
        reject(.unknownNode)
        if let last = unknownNodesLogged[name], now - last < MembershipLimits.unknownNodeLogPeriod { return }
        if unknownNodesLogged[name] == nil, unknownNodesLogged.count >= MembershipLimits.maxRememberedUnknownNodes,
           let oldest = unknownNodesLogged.min(by: { $0.value < $1.value })?.key {
            unknownNodesLogged[oldest] = nil
        }
        unknownNodesLogged[name] = now
        effects.append(.log(.error, "bad node [\(name)] in message"))
    }

    mutating func recordUUID(_ uuid: [UInt8], for index: Int, into effects: inout [MembershipEffect]) {
        guard uuid.count == 16, records[index].uuid != uuid else { return }
        if let old = records[index].uuid {
            effects.append(.log(.warning, "UUID of node \(records[index].name) changed from \(Self.uuidText(old)) to \(Self.uuidText(uuid))"))
        }
        records[index].uuid = uuid
    }

    static func uuidText(_ bytes: [UInt8]) -> String {
        var text = ""
        for (offset, byte) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(offset) { text += "-" }
            text += (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }
        return text
    }

    /// Step 4: `destuuid` wins over `dest`; neither means broadcast.
    func isAddressedToUs(_ message: Message) -> Bool {
        if let uuid = message.binary("destuuid") { return uuid == config.localUUID }
        guard let dest = message.destination else { return true }
        return dest == records[localIndex].name
    }

    // MARK: - NS_ messages (step 2)

    mutating func receiveUnsequenced(
        _ message: Message, type: MessageType?, from index: Int, link: String, now: Instant,
        into effects: inout [MembershipEffect]
    ) {
        let toUs = message.destination.map { $0 == records[localIndex].name } ?? true
        if type == .retransmitRefused {
            guard let seq = Self.hex(message["firstseq"]) else {
                reject(.malformed)
                return
            }
            let outcome = records[index].tracker.giveUp(on: seq)
            if toUs {
                let reason = message["info"].map { " (\($0))" } ?? ""
                effects.append(.log(.error, "Irretrievably lost packet: node \(records[index].name) seq \(seq)\(reason)"))
            }
            if outcome.gapClosed {
                effects.append(.log(.info, "No pkts missing from \(records[index].name)!"))
            }
            if let ack = outcome.ack { sendAck(ack, to: index, now: now, into: &effects) }
            return
        }
        guard toUs else {
            reject(.notAddressedToUs)
            return
        }
        refreshLink(index, link: link, now: now, into: &effects)
        switch type {
        case .retransmitRequest: answerRetransmitRequest(message, from: index, now: now, into: &effects)
        case .ack: receiveAck(message, from: index)
        default: break  // NS_st belongs to ping nodes (not yet); other NS_ types carry nothing for us.
        }
    }

    mutating func receiveAck(_ message: Message, from index: Int) {
        guard let acked = Self.hex(message["ackseq"]) else {
            reject(.malformed)
            return
        }
        guard acked <= lastSeqSent else { return }
        records[index].ackedByPeer = max(records[index].ackedByPeer, acked)
    }

    // MARK: - Sequenced messages (steps 3–10)

    mutating func receiveSequenced(
        _ message: Message, type: MessageType?, from index: Int, link: String, now: Instant,
        into effects: inout [MembershipEffect]
    ) {
        let name = records[index].name
        guard let seq = Self.hex(message["seq"]), seq > 0 else {
            reject(.badSequenceNumber)
            effects.append(.log(.error, "should_drop_message: bad sequence number [\(message["seq"] ?? "")] from node \(name)"))
            return
        }
        let generation = Self.hex(message["hg"]) ?? 0
        let maxDelay = config.maxRexmitDelay
        let acceptance = records[index].tracker.accept(
            seq: seq,
            generation: generation,
            isStatus: type == .status,
            nodeIsDead: records[index].status == .dead,
            now: now,
            firstRequestDelay: { Self.firstRexmitDelay(max: maxDelay, rng: &$0) },
            rng: &rng
        )
        switch acceptance.disposition {
        case .replay(let known):
            reject(.replay)
            // A replayer can send thousands a second: one line a minute per node (3.0.6 logs each).
            if let last = replaysLogged[index], now - last < MembershipLimits.unknownNodeLogPeriod { return }
            replaysLogged[index] = now
            effects.append(.log(.error, "should_drop_message: attempted replay attack [\(name)]? [gen = \(generation), curgen = \(known)]"))
            return
        case .staleStatus:
            reject(.staleStatus)
            return
        case .oldDuplicate:
            reject(.oldDuplicate)
            return
        case .duplicate:
            duplicates += 1
            refreshLink(index, link: link, now: now, into: &effects)
            return
        case .accepted:
            break
        }
        // Step 1, once the packet is known to be current: a replayed packet of an older incarnation
        // carries that incarnation's UUID and must not change what we know (3.0.6 takes it from any).
        if let uuid = message.binary("srcuuid") { recordUUID(uuid, for: index, into: &effects) }

        if let old = acceptance.restartedFrom, old != 0 {
            effects.append(.log(.info, "Heartbeat restart on node \(name)"))
            effects.append(.peerRestarted(node: name.rawValue))
        }
        if acceptance.restartedFrom != nil {
            // A new incarnation: its timestamps and acknowledgements start over.
            records[index].lastStatusAt = nil
            records[index].ackedByPeer = 0
        }
        if acceptance.partitionHealed {
            effects.append(.log(.critical, "Cluster node \(name) returning after partition."))
            effects.append(.log(.warning, "Deadtime value may be too small."))
            effects.append(.partitionHealed(node: name.rawValue))
        }
        if let gap = acceptance.gap {
            effects.append(.log(.warning, "\(gap.count) lost packet(s) for [\(name)] [\(gap.after):\(gap.at)]"))
            if acceptance.gapTooWide { effects.append(.log(.error, "lost a lot of packets!")) }
        }
        if acceptance.gapClosed {
            effects.append(.log(.info, "No pkts missing from \(name)!"))
        }
        records[index].heardAnyPacket = true
        if let ack = acceptance.ack { sendAck(ack, to: index, now: now, into: &effects) }

        // Messages to other nodes only advance sequence tracking (spec §3.3, "Accept").
        guard isAddressedToUs(message) else { return }
        refreshLink(index, link: link, now: now, into: &effects)
        switch type {
        case .status: receiveStatus(message, seq: seq, from: index, now: now, into: &effects)
        case .nodeListRequest: answerNodeListRequest(from: index, now: now, into: &effects)
        case .nodeList: receiveNodeList(message, from: index, now: now, into: &effects)
        default: effects.append(.deliver(message))
        }
    }

    /// A heartbeat (spec §5.5): refreshes liveness, measures lateness, adopts `dt` and `st`.
    mutating func receiveStatus(_ message: Message, seq: UInt64, from index: Int, now: Instant, into effects: inout [MembershipEffect]) {
        let name = records[index].name
        guard let statusText = message["st"] else {
            reject(.malformed)
            effects.append(.log(.error, "HBDoMsg_T_STATUS: status update without st field"))
            return
        }
        // A retransmitted older status says nothing new about the node.
        guard seq > records[index].tracker.lastStatusSeq else { return }
        records[index].tracker.lastStatusSeq = seq

        if flowControl, message["protocol"] == nil {
            flowControl = false
            effects.append(.log(.info, "flow control disabled due to different version heartbeat"))
            // An older peer will not answer reqnodes: stop waiting for it.
            if phase == .awaitingNodeList { commNowUp(now: now, into: &effects) }
        }

        if let previous = records[index].lastStatusAt {
            let interval = now - previous
            let late = interval > config.warntime
            records[index].intervals.record(interval, late: late)
            // 3.0.6 also marks the node dead and revives it here when the interval exceeds
            // deadtime (spec §10 item 2); we only log. Death is the timer's decision alone.
            if interval > config.deadtime {
                effects.append(.log(.critical, "Late heartbeat: Node \(name): interval \(interval.milliseconds) ms (> deadtime)"))
            } else if late {
                effects.append(.log(.warning, "Late heartbeat: Node \(name): interval \(interval.milliseconds) ms"))
            }
        }
        records[index].lastStatusAt = now

        noteConfigDigest(message.first(named: "cfgdigest"), of: index, into: &effects)
        noteUnfitGroups(message, of: index, into: &effects)

        if let deadtime = Self.hex(message["dt"]), deadtime > 0,
           deadtime <= UInt64(MembershipLimits.maxAdvertisedDeadtime.milliseconds) {
            records[index].advertisedDeadtime = .milliseconds(Int64(deadtime))
        }

        let old = records[index].status
        guard let status = NodeStatus(rawValue: statusText.lowercased()),
              status == .initial || status == .up || status == .active else {
            effects.append(.log(.warning, "Status update for node \(name): unknown status \(statusText) ignored"))
            return
        }
        if status != old {
            records[index].status = status
            effects.append(.log(.info, "Status update for node \(name): status \(status.rawValue)"))
            effects.append(.nodeStatusChanged(node: name.rawValue, from: old, to: status, why: .announced))
        }
    }

    /// Logs once per change when a peer's haresources/auth digest differs from ours.
    mutating func noteConfigDigest(_ field: Field?, of index: Int, into effects: inout [MembershipEffect]) {
        // Compared as bytes: every status carries it, and it rarely changes.
        guard case .string(let bytes)? = field?.value,
              records[index].configDigest.map({ !$0.utf8.elementsEqual(bytes) }) ?? true else { return }
        let digest = String(decoding: bytes, as: UTF8.self)
        records[index].configDigest = digest
        guard let ours = config.configDigest else { return }
        let name = records[index].name
        if digest != ours {
            effects.append(.log(.error, "Configuration mismatch: node \(name) runs haresources/authkeys with digest \(digest), "
                + "node \(config.localNode) has \(ours). Make /etc/ha.d/haresources and the auth method identical on all nodes."))
        } else {
            effects.append(.log(.info, "Configuration of node \(name) agrees with ours (digest \(ours))."))
        }
    }

    /// Any accepted or duplicate packet shows the link it came on works (spec §4.2).
    mutating func refreshLink(_ index: Int, link: String, now: Instant, into effects: inout [MembershipEffect]) {
        guard let linkIndex = records[index].links.firstIndex(where: { $0.name == link }) else { return }
        records[index].links[linkIndex].lastHeard = now
        if records[index].links[linkIndex].status == .dead {
            records[index].links[linkIndex].status = .up
            effects.append(.log(.info, "Link \(records[index].name):\(link) up."))
            effects.append(.linkStatusChanged(node: records[index].name.rawValue, link: link, from: .dead, to: .up))
        }
    }
}
