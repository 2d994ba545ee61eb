/// Our own shutdown: release everything, then `shutdone` (spec §5.8).
extension ResourceManager {
    mutating func shutdown(now: Instant, into effects: inout [ResourceEffect]) {
        switch phase {
        case .shuttingDown, .stopped:
            effects.append(.log(.info, "Heartbeat shutdown already underway."))
            return
        case .waiting, .starting, .bothStarting, .stable:
            break
        }
        if current != nil {
            if !shutdownRequested {
                effects.append(.log(.warning, "Shutdown delayed until current resource activity finishes."))
            }
            shutdownRequested = true
            return
        }
        beginShutdown(now: now, into: &effects)
    }

    mutating func beginShutdown(now: Instant, into effects: inout [ResourceEffect]) {
        let wasUp = phase != .waiting
        phase = .shuttingDown
        nominalHolds = .none
        shutdownRequested = false
        standby = .none
        failbackRetryAt = nil
        fencing = [:]
        legacyAwaiting = []
        pendingIPReplies = []
        // Queued starts are dropped; queued and parked stops now serve the shutdown.
        queue.removeAll { $0.kind == .acquire }
        for index in queue.indices { queue[index].purpose = .shutdown }
        for index in parked.indices { parked[index].job.purpose = .shutdown }
        if config.niceFailback, wasUp {
            effects.append(.send(Message(("t", "resource"), ("rsc_hold", "none"), ("rtype", "full"),
                                         ("isstable", "0"), ("info", "shutdown"))))
        }
        effects.append(.log(.info, "Giving up all HA resources."))
        for index in records.indices.reversed() where records[index].ownedHere || claimed(index) {
            queueRelease(index, purpose: .shutdown, reason: "shutdown")
        }
        if !hasPending(.shutdown) { completeShutdown(into: &effects) }
    }

    mutating func completeShutdown(into effects: inout [ResourceEffect]) {
        effects.append(.log(.info, "All HA resources relinquished."))
        effects.append(.send(Message(("t", "shutdone"), ("st", "dead"))))
        effects.append(.shutdownComplete)
        phase = .stopped
    }
}
