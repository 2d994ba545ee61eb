/// Group operations: a queue of acquire/release jobs run one script at a time (spec §6.4: 3.0.6
/// ran resource children one at a time through a queue), with 3.0.6's start and stop rules (§6.2).
extension ResourceManager {
    /// Why a job runs: when the last job of a purpose ends, the protocol step that waited on it
    /// continues (send `done`, `shutdone`, `ip-request-resp`, a milestone…).
    enum Purpose: Sendable, Hashable {
        /// Our own groups: startup, or after a peer died (3.0.6 `req_our_resources`).
        case initial
        /// A dead or shut-down node's groups (3.0.6 `mach_down`).
        case takeover(String)
        case standbyRelease
        case standbyAcquire
        case shutdown
        /// Legacy: release for a peer's `ip-request`, then answer it.
        case ipRequest(requester: String, key: String)
        /// Legacy: our `ip-request` was granted.
        case ipGrant(String)
        /// Release after a partition heal or a double-ownership report.
        case heal(String)
        /// A failing group is stopped and started again in place (`+Health`).
        case monitorRestart
        /// The step that waited is gone (the requester died or restarted): nothing follows.
        case abandoned
    }

    struct Job: Sendable, Hashable {
        enum Kind: Sendable, Hashable { case acquire, release }
        enum Step: Sendable, Hashable { case checkStatus, start, stop, verifyStop }
        var kind: Kind
        var group: Int
        var purpose: Purpose
        var reason: String
        var index = 0
        var step: Step = .checkStatus
        /// Failed stop attempts of the current resource.
        var attempts = 0
        /// Set when an acquisition failed and the group is being stopped again.
        var failure: String?
        /// Resumed after a parked stop failure.
        var resumed = false
    }

    /// The job being worked on and what it waits for: its script, or the delay before a failed
    /// stop is tried again. There is never a script without a job, nor both at once.
    struct ActiveJob: Sendable, Hashable {
        enum Waiting: Sendable, Hashable {
            case script(ScriptRun, since: Instant)
            /// A stop is waiting `ScriptTimings.stopRetryDelay` before it is tried again.
            case retry(at: Instant)
        }

        var job: Job
        var waiting: Waiting

        var retryAt: Instant? {
            if case .retry(let at) = waiting { at } else { nil }
        }
    }

    /// A release whose stop failed while the resource still runs: the group stays ours.
    struct ParkedJob: Sendable, Hashable {
        var job: Job
        var retryAt: Instant
    }

    // MARK: Claims

    func isLocal(_ index: Int) -> Bool { records[index].group.preferredNode == config.localNode }

    /// Whether the group is ours once the queued work is done: what holdings reports count.
    /// A group whose stop failed stays claimed.
    func claimed(_ index: Int) -> Bool {
        if let job = queue.last(where: { $0.group == index }) { return job.kind == .acquire }
        if let current = active?.job, current.group == index { return current.kind == .acquire }
        if parked.contains(where: { $0.job.group == index }) { return true }
        return records[index].ownedHere
    }

    /// `rsc_hold` (spec §6.6): the groups we claim, plus (unless `intended`) those still being
    /// stopped, so that no peer starts a group before our stop finished. The standby
    /// announcement uses `intended: true`, like 3.0.6 clearing its bits before the release.
    /// A half with no groups here counts as 3.0.6's bit for it says (`nominalHolds`).
    func holdings(intended: Bool = false) -> HoldSet {
        var set = nominalHolds.subtracting(halvesWithGroups)
        for index in records.indices where claimed(index) || (!intended && records[index].ownedHere) {
            set.insert(isLocal(index) ? .local : .foreign)
        }
        return set
    }

    func hasPending(_ purpose: Purpose) -> Bool {
        active?.job.purpose == purpose || queue.contains { $0.purpose == purpose }
            || parked.contains { $0.job.purpose == purpose }
    }

    /// A peer died or restarted: its pending `ip-request` answers must never reach its next
    /// incarnation, which would start a group we may take over meanwhile.
    mutating func abandonRequests(from peer: String) {
        func abandon(_ purpose: inout Purpose) {
            if case .ipRequest(let requester, _) = purpose, requester == peer { purpose = .abandoned }
        }
        for index in queue.indices { abandon(&queue[index].purpose) }
        for index in parked.indices { abandon(&parked[index].job.purpose) }
        if active != nil { abandon(&active!.job.purpose) }
        pendingIPReplies.removeAll { $0.requester == peer }
    }

    /// Nothing of the group runs here and no job for it is queued, running or parked.
    func isSettledStopped(_ index: Int) -> Bool {
        !records[index].ownedHere && active?.job.group != index && !queue.contains { $0.group == index }
            && !parked.contains { $0.job.group == index }
    }

    var isIdle: Bool { active == nil && queue.isEmpty && parked.isEmpty }

    // MARK: Queueing

    /// Queues a start of the group unless it will be ours anyway. A release parked after a
    /// failed stop is dropped instead: the acquisition restarts what was stopped.
    @discardableResult
    mutating func queueAcquire(_ index: Int, purpose: Purpose, reason: String) -> Bool {
        if let parkedIndex = parked.firstIndex(where: { $0.job.group == index }) {
            parked.remove(at: parkedIndex)
        } else if claimed(index) {
            return false
        }
        queue.append(Job(kind: .acquire, group: index, purpose: purpose, reason: reason))
        return true
    }

    /// Queues a stop of the group unless it will not be ours anyway.
    @discardableResult
    mutating func queueRelease(_ index: Int, purpose: Purpose, reason: String) -> Bool {
        guard claimed(index), !parked.contains(where: { $0.job.group == index }) else { return false }
        queue.append(Job(kind: .release, group: index, purpose: purpose, reason: reason,
                         index: records[index].group.resources.count - 1, step: .stop))
        return true
    }

    // MARK: Running

    /// Starts the next queued job when no script runs.
    mutating func pump(now: Instant, into effects: inout [ResourceEffect]) {
        while active == nil, !queue.isEmpty {
            begin(queue.removeFirst(), now: now, into: &effects)
        }
    }

    mutating func begin(_ job: Job, now: Instant, into effects: inout [ResourceEffect]) {
        var job = job
        let index = job.group
        let group = records[index].group
        let words = ([group.preferredNode] + group.resources.map(\.token)).joined(separator: " ")
        switch job.kind {
        case .acquire:
            records[index].ownedHere = true
            setState(.starting, ofGroup: index, into: &effects)
            effects.append(.log(.info, "Acquiring resource group: \(words)"))
        case .release:
            guard records[index].ownedHere else {
                jobEnded(job.purpose, now: now, into: &effects)
                return
            }
            setState(.stopping, ofGroup: index, into: &effects)
            if job.resumed {
                effects.append(.log(.info, "Retrying release of resource group \(group.key)"))
            } else {
                effects.append(.log(.info, "Releasing resource group: \(words)"))
            }
        }
        if !job.resumed {
            records[index].reason = job.reason
            records[index].startedAt = now
            records[index].endedAt = nil
            records[index].scripts = []
        }
        job.resumed = false
        runStep(job, now: now, into: &effects)
    }

    /// Emits the script for the job's step, or finishes the job when no resource is left.
    mutating func runStep(_ job: Job, now: Instant, into effects: inout [ResourceEffect]) {
        let resources = records[job.group].group.resources
        guard resources.indices.contains(job.index) else {
            finish(job, now: now, into: &effects)
            return
        }
        let operation: ScriptOperation
        switch job.step {
        case .checkStatus, .verifyStop: operation = .status
        case .start: operation = .start
        case .stop: operation = .stop
        }
        let run = ScriptRun(id: nextScriptID, groupKey: records[job.group].group.key,
                            resource: resources[job.index], operation: operation,
                            timeout: config.timeout(for: operation))
        nextScriptID += 1
        active = ActiveJob(job: job, waiting: .script(run, since: now))
        effects.append(.runScript(run))
    }

    /// A script ended; `exitCode` nil means it timed out. Unknown ids (stale) are ignored.
    mutating func scriptEnded(_ id: ScriptRun.ID, exitCode: Int32?, output: String, now: Instant,
                              into effects: inout [ResourceEffect]) {
        guard var job = active?.job, case .script(let run, let since)? = active?.waiting, run.id == id
        else { return }
        recordTiming(run, exitCode: exitCode, duration: now - since, group: job.group)
        let resource = run.resource
        let succeeded = exitCode == 0
        if exitCode == nil {
            effects.append(.log(.error, "Resource script \(resource.token) \(run.operation.rawValue) timed out after \(describe(run.timeout))"))
        } else if let exitCode, exitCode != 0, run.operation != .status {
            effects.append(.log(.error, "Return code \(exitCode) from \(resource.token) \(run.operation.rawValue)"))
        }
        switch job.step {
        case .checkStatus:
            // A status that times out says nothing: start it (deviation 12).
            if exitCode != nil, StatusOutput.saysRunning(output) {
                job.index += 1
            } else {
                job.step = .start
            }
        case .start:
            if succeeded {
                job.index += 1
                job.step = .checkStatus
            } else {
                // Never leave a group half-started: stop all of it again, right to left (§6.2).
                effects.append(.log(.critical, "Giving up resources due to failure of \(resource.token)"))
                job.failure = "start of \(resource.token) failed"
                job.kind = .release
                job.index = records[job.group].group.resources.count - 1
                job.step = .stop
                job.attempts = 0
                setState(.stopping, ofGroup: job.group, into: &effects)
                let group = records[job.group].group
                let words = ([group.preferredNode] + group.resources.map(\.token)).joined(separator: " ")
                effects.append(.log(.info, "Releasing resource group: \(words)"))
            }
        case .stop:
            if succeeded {
                job.index -= 1
                job.attempts = 0
            } else if job.attempts < config.scripts.stopRetryMax {
                job.attempts += 1
                active = ActiveJob(job: job, waiting: .retry(at: now + config.scripts.stopRetryDelay))
                return
            } else {
                job.step = .verifyStop
            }
        case .verifyStop:
            // A status that times out after a failed stop: assume it still runs (deviation 12).
            if exitCode != nil, !StatusOutput.saysRunning(output) {
                effects.append(.log(.error, "Resource script for \(resource.token) probably not LSB-compliant."))
                effects.append(.log(.warning, "it (\(resource.token)) MUST succeed on a stop when already stopped"))
                job.index -= 1
                job.step = .stop
                job.attempts = 0
            } else {
                park(job, resource: resource, now: now, into: &effects)
                return
            }
        }
        runStep(job, now: now, into: &effects)
    }

    /// The stop failed for good and the resource runs: keep the group, alert, retry later
    /// (deviation 3; 3.0.6 rebooted here).
    mutating func park(_ job: Job, resource: Resource, now: Instant, into effects: inout [ResourceEffect]) {
        var job = job
        let key = records[job.group].group.key
        setState(.failed, ofGroup: job.group, into: &effects)
        records[job.group].reason = "stop of \(resource.token) failed"
        if queue.contains(where: { $0.group == job.group && $0.kind == .acquire }) {
            // The group is wanted here again (a takeover was queued meanwhile): the queued
            // acquisition restarts what was stopped, so nothing is left to retry.
            effects.append(.log(.critical, "Resource STOP failure: \(resource.token) still running. Group \(key) is wanted on this node again and will be restarted."))
            active = nil
            jobEnded(job.purpose, now: now, into: &effects)
            return
        }
        effects.append(.log(.critical, "Resource STOP failure: \(resource.token) still running. Group \(key) stays on this node; release retried in \(describe(config.scripts.stopFailureRetry))."))
        job.step = .stop
        job.attempts = 0
        job.resumed = true
        parked.append(ParkedJob(job: job, retryAt: now + config.scripts.stopFailureRetry))
        active = nil
        escalateStopFailure(into: &effects)
        beginDeferredShutdown(now: now, into: &effects)
    }

    mutating func finish(_ job: Job, now: Instant, into effects: inout [ResourceEffect]) {
        let index = job.group
        switch job.kind {
        case .acquire:
            setState(.running, ofGroup: index, into: &effects)
            records[index].peerOwner = nil
            announceStarted(index, into: &effects)
        case .release:
            records[index].ownedHere = false
            if let failure = job.failure {
                setState(.failed, ofGroup: index, into: &effects)
                records[index].reason = failure
            } else {
                setState(.stopped, ofGroup: index, into: &effects)
            }
        }
        records[index].endedAt = now
        active = nil
        jobEnded(job.purpose, now: now, into: &effects)
    }

    mutating func recordTiming(_ run: ScriptRun, exitCode: Int32?, duration: Duration, group: Int) {
        var scripts = records[group].scripts
        scripts.append(ScriptTiming(resource: run.resource.token, operation: run.operation,
                                    duration: duration, exitCode: exitCode))
        if scripts.count > ResourceLimits.maxScriptTimings {
            scripts.removeFirst(scripts.count - ResourceLimits.maxScriptTimings)
        }
        records[group].scripts = scripts
    }

    /// Wakes a stop waiting to be retried and re-queues parked releases that are due.
    mutating func wakeJobs(now: Instant, into effects: inout [ResourceEffect]) {
        if let job = active?.job, let wake = active?.retryAt, wake <= now {
            let token = records[job.group].group.resources[job.index].token
            effects.append(.log(.info, "Retrying failed stop operation [\(token)]"))
            runStep(job, now: now, into: &effects)
        }
        let due = parked.filter { $0.retryAt <= now }
        parked.removeAll { $0.retryAt <= now }
        queue += due.map(\.job)
    }

    /// A human duration for log lines: whole seconds when exact, else milliseconds.
    func describe(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }

    /// The only place a group's state is assigned, so that every change is reported.
    mutating func setState(_ state: GroupState, ofGroup index: Int, into effects: inout [ResourceEffect]) {
        let old = records[index].state
        records[index].state = state
        if old != state { effects.append(.groupStateChanged(group: records[index].group.key, from: old, to: state)) }
    }
}
