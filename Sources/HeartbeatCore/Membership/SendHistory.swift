/// The sender's ring of recently sent sequenced messages, for retransmission (spec §3.4).
/// It holds at most `MembershipLimits.historyCapacity` messages: the newest, contiguous in `seq`.
struct SendHistory: Sendable, Hashable {
    struct Entry: Sendable, Hashable {
        var seq: UInt64
        var message: Message
        var sentAt: Instant
        var lastResentAt: Instant?
    }

    enum Lookup: Sendable, Hashable {
        /// Older than anything kept.
        case tooOld
        /// Newer than anything sent; carries the newest seq.
        case tooNew(newest: UInt64)
        /// Inside the kept range but not stored (cannot happen while seqs stay contiguous; NAKed if it does).
        case notFound
        case found(Entry)
    }

    private var slots: [Entry?] = Array(repeating: nil, count: MembershipLimits.historyCapacity)
    /// The newest seq stored; 0 before the first.
    private(set) var newestSeq: UInt64 = 0
    /// The oldest seq still kept; `newestSeq + 1` when empty.
    private(set) var oldestSeq: UInt64 = 1

    var count: Int { Int(newestSeq + 1 - oldestSeq) }

    private static func slot(_ seq: UInt64) -> Int { Int(seq % UInt64(MembershipLimits.historyCapacity)) }

    /// Stores the message sent with `seq`, which must follow the previous one.
    mutating func append(seq: UInt64, message: Message, sentAt: Instant) {
        precondition(seq == newestSeq + 1, "history sequence numbers must be contiguous")
        slots[Self.slot(seq)] = Entry(seq: seq, message: message, sentAt: sentAt)
        newestSeq = seq
        let capacity = UInt64(MembershipLimits.historyCapacity)
        if newestSeq >= capacity, oldestSeq <= newestSeq - capacity {
            oldestSeq = newestSeq - capacity + 1
        }
        assert(count <= MembershipLimits.historyCapacity)
    }

    func lookup(_ seq: UInt64) -> Lookup {
        if seq > newestSeq { return .tooNew(newest: newestSeq) }
        if seq < oldestSeq { return .tooOld }
        guard let entry = slots[Self.slot(seq)], entry.seq == seq else { return .notFound }
        return .found(entry)
    }

    mutating func markResent(_ seq: UInt64, at now: Instant) {
        let index = Self.slot(seq)
        guard slots[index]?.seq == seq else { return }
        slots[index]?.lastResentAt = now
    }

    /// Frees messages every live peer acknowledged (`seq ≤ ackedThrough`) once they are older than the
    /// minimum retention. The loop is bounded by the ring size.
    mutating func release(ackedThrough: UInt64, sentBefore cutoff: Instant) {
        while oldestSeq <= newestSeq, oldestSeq <= ackedThrough {
            let index = Self.slot(oldestSeq)
            guard let entry = slots[index], entry.seq == oldestSeq, entry.sentAt <= cutoff else { break }
            slots[index] = nil
            oldestSeq += 1
        }
    }
}
