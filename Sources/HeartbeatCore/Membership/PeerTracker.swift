/// Per-source sequence and generation tracking: spec §3.3 steps 5–10 for one peer, plus the
/// receiver's half of retransmission (§3.4, the missing list) and ACKs (§3.5, the trigger).
/// It knows nothing about names, links or logs; `Membership` turns its verdicts into effects.
struct PeerTracker: Sendable, Hashable {
    /// The highest generation seen in a `status` from this peer; 0 until then.
    private(set) var generation: UInt64 = 0
    /// The highest sequence number accepted since the last reset; `nil` means "accept whatever comes".
    private(set) var lastSeq: UInt64?
    /// The `hg` of the messages tracked since the last reset. Messages may arrive before the peer's
    /// first status; when that status then names the same generation it is no restart.
    private var streamGeneration: UInt64?
    /// Sequence numbers we saw skipped, ascending, each with the time of its next retransmit request.
    private(set) var missing: [MissingSeq] = []
    /// This peer's ACK trigger, `rand() % 10` in 3.0.6: we ACK seqs with `seq % 10 == ackTrigger`.
    let ackTrigger: UInt64
    /// The last `ackseq` we sent this peer.
    private(set) var lastAckSent: UInt64 = 0
    /// The sequence number of the peer's last processed `status`; survives death for the
    /// partition-heal test of step 6, reset by a restart.
    var lastStatusSeq: UInt64 = 0

    struct MissingSeq: Sendable, Hashable {
        var seq: UInt64
        var nextRequestAt: Instant
    }

    /// A gap in the sequence numbers: `count` lost between `after` and `at` (both received).
    struct Gap: Sendable, Hashable {
        var count: UInt64
        var after: UInt64
        var at: UInt64
    }

    enum Disposition: Sendable, Hashable {
        case accepted
        case duplicate
        case replay(knownGeneration: UInt64)
        case staleStatus
        case oldDuplicate
    }

    struct Acceptance: Sendable, Hashable {
        var disposition: Disposition = .accepted
        /// Set when a status carried a higher generation: the old one (0 if never known).
        var restartedFrom: UInt64?
        var partitionHealed = false
        var gap: Gap?
        /// The gap was wider than `maxRecoverableGap`: tracking was reset instead.
        var gapTooWide = false
        /// The message filled a hole in the missing list.
        var filledMissing = false
        /// The missing list just became empty.
        var gapClosed = false
        /// Send `NS_ackmsg` with this `ackseq`.
        var ack: UInt64?
    }

    init(ackTrigger: UInt64) {
        precondition(ackTrigger < MembershipLimits.ackEvery, "ACK trigger out of range")
        self.ackTrigger = ackTrigger
    }

    /// Decides about one sequenced message (steps 5–10). `firstRequestDelay` draws the wait before
    /// the first retransmit request of each newly missing sequence number.
    mutating func accept(
        seq: UInt64,
        generation messageGeneration: UInt64,
        isStatus: Bool,
        nodeIsDead: Bool,
        now: Instant,
        firstRequestDelay: (inout SplitMix64) -> Duration,
        rng: inout SplitMix64
    ) -> Acceptance {
        precondition(seq > 0, "sequence numbers start at 1")
        var result = Acceptance()

        // Step 5: a lower generation is a replay of an earlier incarnation.
        if messageGeneration < generation {
            result.disposition = .replay(knownGeneration: generation)
            return result
        }

        // Step 6: only status messages move the generation.
        var resync = false
        if isStatus {
            if messageGeneration == generation, generation > 0, nodeIsDead {
                if seq <= lastStatusSeq {
                    result.disposition = .staleStatus
                    return result
                }
                result.partitionHealed = true
                resync = true
            } else if messageGeneration > generation, !(generation == 0 && streamGeneration == messageGeneration) {
                result.restartedFrom = generation
                resetTracking()
                lastStatusSeq = 0
                resync = true
            }
            generation = messageGeneration
        }
        if streamGeneration == nil { streamGeneration = messageGeneration }

        // Step 7: in order (or the first one since a reset).
        guard let last = lastSeq else {
            lastSeq = seq
            result.ack = ackInOrder(seq)
            return result
        }
        if seq == last &+ 1 {
            lastSeq = seq
            result.ack = ackInOrder(seq)
            return result
        }
        // Step 8.
        if seq == last {
            result.disposition = .duplicate
            return result
        }
        // Step 9: a gap.
        if seq > last {
            let lost = seq - last - 1
            result.gap = Gap(count: lost, after: last, at: seq)
            lastSeq = seq
            if lost > MembershipLimits.maxRecoverableGap {
                missing.removeAll()
                result.gapTooWide = true
                result.ack = ackInOrder(seq)
                return result
            }
            // `lost` ≤ maxRecoverableGap, so this loop is bounded.
            for missingSeq in (last + 1)..<seq {
                if missing.count >= MembershipLimits.maxMissingPerPeer {
                    // The list is full: forget the oldest hole, as 3.0.6 does.
                    missing.removeFirst()
                }
                missing.append(MissingSeq(seq: missingSeq, nextRequestAt: now + firstRequestDelay(&rng)))
            }
            return result
        }
        // Step 10: older than the last one.
        if let index = missing.firstIndex(where: { $0.seq == seq }) {
            missing.remove(at: index)
            result.filledMissing = true
            result.gapClosed = missing.isEmpty
            result.ack = ackAfterFill()
            return result
        }
        if resync {
            // Accept the restart/heal status itself, but keep `lastSeq`: a message already
            // delivered above it, arriving again on another medium, must stay a duplicate.
            missing.removeAll()
            return result
        }
        result.disposition = .oldDuplicate
        return result
    }

    /// A NAK: the sender cannot retransmit `seq`, so stop asking. Returns whether it was missing,
    /// whether the list is now empty, and an ACK to send if the contiguous point moved past a trigger.
    mutating func giveUp(on seq: UInt64) -> (removed: Bool, gapClosed: Bool, ack: UInt64?) {
        guard let index = missing.firstIndex(where: { $0.seq == seq }) else {
            return (false, false, nil)
        }
        missing.remove(at: index)
        return (true, missing.isEmpty, ackAfterFill())
    }

    /// The missing sequence numbers whose request time arrived; each is rescheduled `interval` later.
    mutating func dueRequests(now: Instant, interval: Duration) -> [UInt64] {
        var due: [UInt64] = []
        for index in missing.indices where missing[index].nextRequestAt <= now {
            due.append(missing[index].seq)
            missing[index].nextRequestAt = now + interval
        }
        return due
    }

    var earliestRequest: Instant? { missing.lazy.map(\.nextRequestAt).min() }

    /// The peer was declared dead: forget its sequence state but keep the generation and the last
    /// status seq, which the partition-heal and replay tests need.
    mutating func resetForDeath() {
        resetTracking()
    }

    private mutating func resetTracking() {
        lastSeq = nil
        streamGeneration = nil
        missing.removeAll()
        lastAckSent = 0
    }

    /// Accepting `seq` in order ACKs it when it hits the trigger and nothing below it is missing.
    private mutating func ackInOrder(_ seq: UInt64) -> UInt64? {
        guard missing.isEmpty, seq % MembershipLimits.ackEvery == ackTrigger, seq > lastAckSent else { return nil }
        lastAckSent = seq
        return seq
    }

    /// After a hole fills, ACK the highest trigger seq at or below the new contiguous point.
    private mutating func ackAfterFill() -> UInt64? {
        guard let last = lastSeq else { return nil }
        let contiguous = missing.first.map { $0.seq - 1 } ?? last
        let remainder = contiguous % MembershipLimits.ackEvery
        let back = (remainder + MembershipLimits.ackEvery - ackTrigger) % MembershipLimits.ackEvery
        guard contiguous >= back else { return nil }
        let candidate = contiguous - back
        guard candidate > 0, candidate > lastAckSent else { return nil }
        lastAckSent = candidate
        return candidate
    }
}
