/// What happens when timers fire and when group operations end.
extension ResourceManager {
    mutating func tick(now: Instant, into effects: inout [ResourceEffect]) {
        wakeJobs(now: now, into: &effects)
        expireStandby(now: now, into: &effects)
        fenceWhenDue(now: now, into: &effects)
        if let at = failback.retryAt, at <= now {
            performAutoFailback(now: now, into: &effects)
        }
    }

    /// The last job of `purpose` ended (or one more did): continue the step that waited for it.
    mutating func jobEnded(_ purpose: Purpose, now: Instant, into effects: inout [ResourceEffect]) {
        if beginDeferredShutdown(now: now, into: &effects) { return }
        if lifecycle == .shuttingDown {
            continueShutdown(into: &effects)
            return
        }
        // Steps that wait for groups to be stopped, whoever stopped them.
        completeStandbyRelease(now: now, into: &effects)
        flushIPReplies(into: &effects)
        guard !hasPending(purpose) else { return }
        switch purpose {
        case .initial:
            if !initialAcquisition.isDone(.local) || config.niceFailback { completeInitial(into: &effects) }
        case .takeover(let node):
            completeTakeover(from: node, into: &effects)
        case .standbyRelease:
            break
        case .standbyAcquire:
            completeStandbyAcquire(now: now, into: &effects)
        case .shutdown:
            break
        case .ipRequest:
            break
        case .ipGrant:
            completeLegacyInitialIfDone(into: &effects)
        case .heal(let node):
            completeHeal(node, into: &effects)
        case .abandoned, .monitorRestart:
            break
        }
    }
}
