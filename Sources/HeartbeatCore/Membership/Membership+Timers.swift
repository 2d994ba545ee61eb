/// Everything that happens because time passed: heartbeats, dead nodes and links, retransmit
/// requests, reqnodes retries, and noticing that our own process stalled (spec §5.5, §3.4).
extension Membership {
    mutating func tick(now: Instant, into effects: inout [MembershipEffect]) {
        if let due = nextHeartbeatAt, now >= due {
            if upPending {
                upPending = false
                setLocalStatus(.up, now: now, into: &effects)
            }
            sendStatus(now: now, into: &effects)
            // Keep the cadence; after a stall skip the missed beats instead of bursting them.
            let missed = (now.nanoseconds - due.nanoseconds) / config.keepalive.nanoseconds
            nextHeartbeatAt = Instant(nanoseconds: due.nanoseconds + config.keepalive.nanoseconds * (missed + 1))
        }
        checkTimeouts(now: now, into: &effects)
        requestRetransmissions(now: now, into: &effects)
        retryNodeList(now: now, into: &effects)
        if let grace = stallGraceUntil, now >= grace { stallGraceUntil = nil }
    }

    /// Before links-up every node gets `initdead`; afterwards the `dt` it advertised (spec §5.5).
    func deadInterval(_ index: Int) -> Duration {
        phase == .startingLinks ? config.initdead : records[index].advertisedDeadtime
    }

    /// When node `index` is declared dead if nothing refreshes it; nil for us and for dead nodes.
    func nodeDeadline(_ index: Int) -> Instant? {
        // Fields read in place: copying the whole record costs retains on this hot path.
        guard isRunning, !records[index].isLocal, records[index].status != .dead else { return nil }
        let deadline = (records[index].lastStatusAt ?? startedAt) + deadInterval(index)
        return stallGraceUntil.map { max(deadline, $0) } ?? deadline
    }

    /// Links time out with their node's interval (3.0.6 used the last node's for all; spec §5.5).
    /// Our own links never time out.
    func linkDeadline(_ index: Int, _ link: Int) -> Instant? {
        guard isRunning, !records[index].isLocal, records[index].links[link].status == .up,
              let heard = records[index].links[link].lastHeard else { return nil }
        let deadline = heard + deadInterval(index)
        return stallGraceUntil.map { max(deadline, $0) } ?? deadline
    }

    mutating func checkTimeouts(now: Instant, into effects: inout [MembershipEffect]) {
        for index in records.indices where index != localIndex {
            if let deadline = nodeDeadline(index), now >= deadline {
                markDead(index, into: &effects)
            }
            for link in records[index].links.indices {
                if let deadline = linkDeadline(index, link), now >= deadline {
                    records[index].links[link].status = .dead
                    let name = records[index].links[link].name
                    effects.append(.log(.info, "Link \(records[index].name):\(name) dead."))
                    effects.append(.linkStatusChanged(node: records[index].name.rawValue, link: name, from: .up, to: .dead))
                }
            }
        }
    }

    mutating func markDead(_ index: Int, into effects: inout [MembershipEffect]) {
        let old = records[index].status
        effects.append(.log(.warning, "node \(records[index].name): is dead"))
        records[index].status = .dead
        records[index].tracker.resetForDeath()
        records[index].heardAnyPacket = false
        effects.append(.nodeStatusChanged(node: records[index].name.rawValue, from: old, to: .dead, why: .timedOut))
    }

    /// One `NS_rexmit` per missing seq whose time came, to peers that are up or active.
    mutating func requestRetransmissions(now: Instant, into effects: inout [MembershipEffect]) {
        let repeatEvery = max(config.maxRexmitDelay, MembershipLimits.minimumRexmitRepeat)
        for index in records.indices where index != localIndex {
            guard records[index].status == .up || records[index].status == .active else { continue }
            for seq in records[index].tracker.dueRequests(now: now, interval: repeatEvery) {
                let request = Message(
                    type: .retransmitRequest,
                    ("dest", records[index].name.rawValue),
                    ("firstseq", String(seq)),
                    ("lastseq", String(seq))
                )
                send(request, now: now, into: &effects)
            }
        }
    }

    /// The wait before the first request for a newly missing seq: uniform in
    /// [50 ms, max_rexmit_delay], or [0, max] when max is below 100 ms (spec §3.4).
    static func firstRexmitDelay(max: Duration, rng: inout SplitMix64) -> Duration {
        let maxMs = Swift.max(max.milliseconds, 0)
        let minMs = max < MembershipLimits.smallRexmitDelayThreshold ? 0 : MembershipLimits.minimumRexmitDelay.milliseconds
        guard maxMs > minMs else { return .milliseconds(minMs) }
        return .milliseconds(minMs + Int64(rng.next(below: UInt64(maxMs - minMs + 1))))
    }

    /// A wake-up more than `warntime` after the deadline we reported means we were not running
    /// (stopped, descheduled, VM paused). Peers were probably talking all along; give each one more
    /// keepalive plus a margin to be heard before declaring anyone dead.
    mutating func noticeStall(now: Instant, into effects: inout [MembershipEffect]) {
        guard let armed = armedDeadline, now > armed + config.warntime else { return }
        armedDeadline = nil
        let lateBy = now - armed
        let grace = config.keepalive + MembershipLimits.stallMargin
        stallGraceUntil = Swift.max(stallGraceUntil ?? now + grace, now + grace)
        if let logged = stallLoggedAt, now - logged < MembershipLimits.stallLogPeriod {
            stallsNotLogged += 1
            return
        }
        let notLogged = stallsNotLogged == 0 ? ""
            : " (\(stallsNotLogged) more stall\(stallsNotLogged == 1 ? "" : "s") since the last such line)"
        stallLoggedAt = now
        stallsNotLogged = 0
        effects.append(.log(.warning, "Local heartbeat process stalled: woke up \(lateBy.milliseconds) ms after its deadline; no peer is declared dead for the next \(grace.milliseconds) ms\(notLogged)"))
    }
}
