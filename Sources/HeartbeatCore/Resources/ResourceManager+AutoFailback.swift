/// Auto failback (spec §6.9): with `auto_failback on`, foreign groups we took over go back to
/// their owner through the standby protocol once it returns and is stable.
extension ResourceManager {
    enum Failback: Sendable, Hashable {
        /// We hold no foreign group taken over (or gave it back already).
        case notOwed
        /// We took over foreign groups (3.0.6 `rsc_needs_failback`): give them back when their
        /// owner's stable report arrives.
        case owed
        /// Owed, but the last attempt found us or the peer busy: try again then.
        case delayed(until: Instant)

        var retryAt: Instant? {
            if case .delayed(let at) = self { at } else { nil }
        }
    }

    /// We took over groups of a node that died or shut down. A retry already timed stays timed.
    mutating func oweFailback() {
        if failback == .notOwed { failback = .owed }
    }

    /// Give foreign groups back to their returning owner (3.0.6 PerformAutoFailback).
    mutating func performAutoFailback(now: Instant, into effects: inout [ResourceEffect]) {
        guard config.autoFailback == .on, failback != .notOwed, lifecycle.handshake == .stable,
              holdings().contains(.foreign) else {
            failback = .notOwed
            return
        }
        failback = .owed
        // The owner is not back yet: its stable report will call us again.
        guard anyPeerAlive else { return }
        // Never pull a group to a node that says it is unfit for it: wait for its `svcbad` to clear.
        if let reason = failbackHeldBackByHealth() {
            effects.append(.log(.info, "Auto failback held back: \(reason)."))
            return
        }
        if standby != .none || !othersStable || !isIdleForFailback {
            effects.append(.log(.debug, "Auto failback delayed."))
            failback = .delayed(until: now + ResourceLimits.autoFailbackRetry)
            return
        }
        effects.append(.log(.debug, "Auto failback triggered."))
        failback = .notOwed
        requestStandby(.foreign, now: now, into: &effects)
    }

    /// No group operation is queued or running (parked stop failures do not hold failback up).
    var isIdleForFailback: Bool { active == nil && queue.isEmpty }
}
