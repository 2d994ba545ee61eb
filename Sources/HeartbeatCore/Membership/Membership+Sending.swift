/// The send path: header fields (spec §1.7), the history, client messages, ACKs and answers
/// to retransmit requests (spec §3.4, §3.5).
extension Membership {
    /// Adds our header fields and sequences the message unless it is an `NS_` type; the runtime
    /// appends `ts`, `ld`, `ttl` and `auth`.
    mutating func send(_ message: Message, now: Instant, into effects: inout [MembershipEffect]) {
        var headed = message
        let unsequenced = headed.type?.isUnsequenced == true
        // `NS_` messages keep header fields they already carry; others get ours in place.
        func put(_ name: String, _ value: Field.Value) {
            if unsequenced, headed.first(named: name) != nil { return }
            headed.set(name, value)
        }
        if let dest = headed.destination {
            if let uuid = uuid(of: dest) { put("destuuid", .binary(uuid)) }
        } else if let destUUID = headed.binary("destuuid"), let name = records.first(where: { $0.uuid == destUUID })?.name {
            headed.set("dest", .string(Array(name.rawValue.utf8)))
        }
        put("src", .string(Array(records[localIndex].name.rawValue.utf8)))
        put("srcuuid", .binary(config.localUUID))
        var seq: UInt64?
        if !unsequenced {
            lastSeqSent += 1
            seq = lastSeqSent
            headed.set("seq", .string(Array(Self.hex(lastSeqSent).utf8)))
        }
        put("hg", .string(Array(Self.hex(config.generation).utf8)))
        if let seq { history.append(seq: seq, message: headed, sentAt: now) }
        effects.append(.send(headed))
    }

    func uuid(of name: NodeName) -> [UInt8]? {
        nodeIndex[name].flatMap { records[$0].uuid }
    }

    mutating func sendClientMessage(_ message: Message, now: Instant, into effects: inout [MembershipEffect]) {
        guard let type = message.type, !type.rawValue.isEmpty else {
            reject(.missingType)
            effects.append(.log(.error, "Invalid message in send_cluster_msg: no type"))
            return
        }
        send(message, now: now, into: &effects)
    }

    /// `NS_ackmsg` (spec §3.5); only while flow control is on.
    mutating func sendAck(_ seq: UInt64, to index: Int, now: Instant, into effects: inout [MembershipEffect]) {
        guard flowControl else { return }
        let ack = Message(type: .ack, ("dest", records[index].name.rawValue), ("ackseq", Self.hex(seq)))
        send(ack, now: now, into: &effects)
    }

    /// Answers `NS_rexmit` (decimal `firstseq`..`lastseq`) from the history, by the rules of spec §3.4.
    mutating func answerRetransmitRequest(_ message: Message, from index: Int, now: Instant, into effects: inout [MembershipEffect]) {
        guard let first = message["firstseq"].flatMap({ UInt64($0) }),
              let last = message["lastseq"].flatMap({ UInt64($0) }),
              first > 0, last >= first else {
            reject(.malformed)
            return
        }
        let span = min(last - first, MembershipLimits.maxRexmitRangePerRequest - 1)
        let (sum, overflow) = first.addingReportingOverflow(span)
        let upper = overflow ? UInt64.max : sum
        let acked = records[index].ackedByPeer
        var resent = 0
        for seq in first...upper {
            guard resent < MembershipLimits.maxResendsPerRequest else { break }
            if seq <= acked { continue }
            switch history.lookup(seq) {
            case .tooOld:
                sendNak(seq, reason: "seqno too low", to: index, now: now, into: &effects)
            case .notFound:
                sendNak(seq, reason: "seqno not found", to: index, now: now, into: &effects)
            case .tooNew(let newest):
                effects.append(.log(.warning, "Rexmit of seq \(seq) requested. \(newest) is max."))
                return  // every later seq is newer still
            case .found(let entry):
                if let resentAt = entry.lastResentAt, now - resentAt < MembershipLimits.rexmitResendGuard { continue }
                history.markResent(seq, at: now)
                effects.append(.resend(entry.message))
                resent += 1
            }
        }
    }

    mutating func sendNak(_ seq: UInt64, reason: String, to index: Int, now: Instant, into effects: inout [MembershipEffect]) {
        let nak = Message(
            type: .retransmitRefused,
            ("firstseq", Self.hex(seq)),
            ("dest", records[index].name.rawValue),
            ("info", reason)
        )
        send(nak, now: now, into: &effects)
    }

    /// The highest seq every live normal peer acknowledged; everything when no peer is alive.
    var clusterAckPoint: UInt64 {
        var point: UInt64?
        for index in records.indices
        where !records[index].isLocal && records[index].type == .normal
            && (records[index].status == .up || records[index].status == .active) {
            point = min(point ?? .max, records[index].ackedByPeer)
        }
        return point ?? history.newestSeq
    }

    mutating func releaseHistory(now: Instant) {
        history.release(ackedThrough: clusterAckPoint, sentBefore: now - MembershipLimits.minimumHistoryRetention)
    }
}
