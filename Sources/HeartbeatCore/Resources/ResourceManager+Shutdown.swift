/// Our own shutdown: release everything, then `shutdone` (spec §5.8).
extension ResourceManager {
    /// Whether this node is up, shutting down or done. Up, the startup handshake's phase comes
    /// along (`ResourceManager+Startup.swift`); together they are 3.0.6's `resourcestate` (§6.6).
    enum Lifecycle: Sendable, Hashable {
        case up(Handshake)
        /// Shutdown arrived while a group operation ran: it begins when that operation ends.
        case shutdownDeferred(Handshake)
        /// Releasing everything.
        case shuttingDown
        /// `shutdone` sent; nothing else happens.
        case stopped

        /// The startup handshake's phase; nil once shutdown began (the handshake is over).
        var handshake: Handshake? {
            switch self {
            case .up(let handshake), .shutdownDeferred(let handshake): handshake
            case .shuttingDown, .stopped: nil
            }
        }

        /// Comm-up happened and shutdown has not begun: the node takes part in the protocol.
        var isUpAfterComms: Bool { handshake != nil && handshake != .waiting }
    }

    mutating func shutdown(now: Instant, into effects: inout [ResourceEffect]) {
        guard let handshake = lifecycle.handshake else {
            effects.append(.log(.info, "Heartbeat shutdown already underway."))
            return
        }
        if active != nil {
            if case .up = lifecycle {
                effects.append(.log(.warning, "Shutdown delayed until current resource activity finishes."))
            }
            lifecycle = .shutdownDeferred(handshake)
            return
        }
        beginShutdown(now: now, into: &effects)
    }

    /// Begins the shutdown deferred until the running group operation ended; whether there was one.
    @discardableResult
    mutating func beginDeferredShutdown(now: Instant, into effects: inout [ResourceEffect]) -> Bool {
        guard case .shutdownDeferred = lifecycle else { return false }
        beginShutdown(now: now, into: &effects)
        return true
    }

    mutating func beginShutdown(now: Instant, into effects: inout [ResourceEffect]) {
        let wasUp = lifecycle.handshake != .waiting
        lifecycle = .shuttingDown
        nominalHolds = .none
        standby = .none
        failback = .notOwed
        fencing = [:]
        legacyAwaiting = []
        pendingIPReplies = []
        // Queued starts are dropped; queued and parked stops now serve the shutdown.
        queue.removeAll { $0.kind == .acquire }
        for index in queue.indices { queue[index].purpose = .shutdown }
        for index in parked.indices { parked[index].job.purpose = .shutdown }
        if config.niceFailback, wasUp {
            effects.append(.send(Message(type: .resource, ("rsc_hold", "none"), ("rtype", "full"),
                                         ("isstable", "0"), ("info", "shutdown"))))
        }
        effects.append(.log(.info, "Giving up all HA resources."))
        for index in records.indices.reversed() where records[index].ownedHere || claimed(index) {
            queueRelease(index, purpose: .shutdown, reason: "shutdown")
        }
        if !hasPending(.shutdown) { completeShutdown(into: &effects) }
    }

    /// A group operation ended while shutting down: `shutdone` once nothing runs here any more.
    mutating func continueShutdown(into effects: inout [ResourceEffect]) {
        if !hasPending(.shutdown), active == nil, records.allSatisfy({ !$0.ownedHere }) {
            completeShutdown(into: &effects)
        }
    }

    mutating func completeShutdown(into effects: inout [ResourceEffect]) {
        effects.append(.log(.info, "All HA resources relinquished."))
        effects.append(.send(Message(type: .shutdone, ("st", "dead"))))
        effects.append(.shutdownComplete)
        lifecycle = .stopped
    }
}
