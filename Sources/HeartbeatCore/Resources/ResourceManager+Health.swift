/// Service health (the `monitors` file): checks of the groups running here, fall/rise counting,
/// restart in place, a move to an eligible peer through the standby handshake, hold-down, backoff
/// when nobody can take a group, expiry of old failures and the admin's reset. The edge only runs
/// a check (`.runCheck`) and reports how it ended (`.checkFinished`); every decision is here.
extension ResourceManager {
    /// The longest wait between restarts of a group that no other node can take.
    static let maxMonitorBackoff: Duration = .seconds(300)

    // MARK: Configuration

    /// Installs the `monitors` lines (at start and on reload). A line equal to a running one but
    /// for its position keeps its counters and schedule; checks of dropped lines are cancelled.
    mutating func replaceMonitors(_ specs: [MonitorSpec], now: Instant, into effects: inout [ResourceEffect]) {
        var previous = health.lines
        var lines: [HealthState.Line] = []
        for spec in specs {
            guard let group = records.firstIndex(where: { $0.group.key == spec.group }) else {
                effects.append(.log(.error, "Monitor line \(spec.line): no resource group \(spec.group); line ignored"))
                continue
            }
            if let kept = previous.firstIndex(where: { $0.spec.content == spec.content }) {
                var line = previous.remove(at: kept)
                line.spec = spec
                lines.append(line)
            } else {
                lines.append(HealthState.Line(spec: spec, group: group))
            }
        }
        for case let id? in previous.map(\.inFlight) { effects.append(.cancelCheck(id)) }
        health.lines = lines
        if health.groups.count != records.count {
            health.groups = Array(repeating: HealthState.Group(), count: records.count)
        }
        for index in records.indices {
            let own = lines.filter { $0.group == index }.map(\.spec)
            if own.isEmpty {
                health.groups[index] = HealthState.Group()
            } else {
                health.groups[index].window = own.map(\.window).max()!
                health.groups[index].holddown = own.map(\.holddown).max()!
            }
        }
    }

    // MARK: After every event

    /// Pauses and resumes lines as their groups start, stop and move, issues the checks that are
    /// due, and carries out timed decisions (expiry, backoff restarts, a move nobody answered).
    mutating func superviseHealth(now: Instant, into effects: inout [ResourceEffect]) {
        guard !health.lines.isEmpty else { return }
        expireFailures(now: now, into: &effects)
        for index in health.lines.indices { superviseLine(index, now: now, into: &effects) }
        for group in health.groups.indices {
            if health.groups[group].restarting, isMonitorable(group) || isSettledStopped(group) {
                health.groups[group].restarting = false
                if records[group].state == .failed { restartFailed(group, now: now, into: &effects) }
            }
            if health.groups[group].movePending, standby == .none {
                health.groups[group].movePending = false
                waitAndRestart(group, reason: "the peer did not take it", now: now, into: &effects)
            }
            if health.groups[group].restartAt != nil { restartWhenDue(group, now: now, into: &effects) }
        }
    }

    /// The group runs here, settled: no operation queued, running or parked for it.
    func isMonitorable(_ group: Int) -> Bool {
        guard case .up = lifecycle, records[group].ownedHere, records[group].state == .running else { return false }
        return active?.job.group != group && !queue.contains { $0.group == group }
            && !parked.contains { $0.job.group == group }
    }

    mutating func superviseLine(_ index: Int, now: Instant, into effects: inout [ResourceEffect]) {
        let group = health.lines[index].group
        guard isMonitorable(group) else {
            if let id = health.lines[index].inFlight { effects.append(.cancelCheck(id)) }
            health.lines[index].inFlight = nil
            health.lines[index].nextDue = nil
            health.lines[index].consecutiveFailures = 0
            health.lines[index].consecutiveSuccesses = 0
            // Gone from here: how it would fare here is unknown (a restart keeps `down`).
            if isSettledStopped(group) { health.lines[index].down = false }
            return
        }
        let spec = health.lines[index].spec
        if health.lines[index].nextDue == nil, health.lines[index].inFlight == nil {
            health.lines[index].nextDue = now + spec.startDelay
        }
        guard health.lines[index].inFlight == nil, let due = health.lines[index].nextDue, due <= now else { return }
        let id = health.nextCheckID
        health.nextCheckID += 1
        let groupConfig = records[group].group
        health.lines[index].inFlight = id
        health.lines[index].nextDue = now + spec.interval
        effects.append(.runCheck(CheckRun(
            id: id, group: groupConfig.key, monitor: index, check: spec.check,
            resources: spec.check == .status ? groupConfig.resources : [], timeout: spec.timeout)))
    }

    /// The instant health needs a tick: the next check due, a backoff restart, a failure expiring.
    var healthDeadline: Instant? {
        var earliest: Instant?
        for line in health.lines where line.inFlight == nil { earliest = .earliest(earliest, line.nextDue) }
        for (index, group) in health.groups.enumerated() {
            // A backoff restart waits while the group is in transition (the transition's end is an
            // event): a due restart kept here would have the node ticking in a loop meanwhile.
            if group.restartAt != nil, isMonitorable(index) || isFailedHere(index) { earliest = .earliest(earliest, group.restartAt) }
            if let oldest = group.failures.first { earliest = .earliest(earliest, oldest + group.window) }
        }
        return earliest
    }

    // MARK: Results

    mutating func checkFinished(_ id: CheckRun.ID, _ outcome: CheckOutcome, now: Instant, into effects: inout [ResourceEffect]) {
        // A cancelled check's late answer finds no line.
        guard let index = health.lines.firstIndex(where: { $0.inFlight == id }) else { return }
        health.lines[index].inFlight = nil
        health.lines[index].last = CheckResult(outcome: outcome, at: now)
        health.lines[index].counts.record(outcome, timeout: health.lines[index].spec.timeout)
        switch outcome {
        case .passed:
            checkPassed(index, now: now, into: &effects)
        case .failed(_, let detail):
            checkFailed(index, detail: detail, now: now, into: &effects)
        case .timedOut:
            checkFailed(index, detail: "timed out after \(describe(health.lines[index].spec.timeout))", now: now, into: &effects)
        }
    }

    func monitorName(_ index: Int) -> String {
        let line = health.lines[index]
        return "Monitor \(records[line.group].group.key) (\(line.spec.check.text), line \(line.spec.line))"
    }

    mutating func checkPassed(_ index: Int, now: Instant, into effects: inout [ResourceEffect]) {
        let failures = health.lines[index].consecutiveFailures
        health.lines[index].consecutiveFailures = 0
        let rise = health.lines[index].spec.rise
        if health.lines[index].down {
            health.lines[index].consecutiveSuccesses += 1
            let successes = health.lines[index].consecutiveSuccesses
            if successes >= rise {
                health.lines[index].down = false
                health.lines[index].consecutiveSuccesses = 0
                effects.append(.log(.info, "\(monitorName(index)) healthy again (\(successes) of rise \(rise))"))
            } else if successes == 1 {
                effects.append(.log(.info, "\(monitorName(index)) passed (1 of rise \(rise))"))
            }
        } else if failures > 0 {
            effects.append(.log(.info, "\(monitorName(index)) passed again after \(failures) failure(s)"))
        }
        // After a start that had failed, no line is down: the first success ends the episode.
        endEpisodeIfHealthy(health.lines[index].group, into: &effects)
    }

    mutating func checkFailed(_ index: Int, detail: String, now: Instant, into effects: inout [ResourceEffect]) {
        health.lines[index].consecutiveSuccesses = 0
        health.lines[index].consecutiveFailures += 1
        let count = health.lines[index].consecutiveFailures
        let fall = health.lines[index].spec.fall
        guard count <= fall else { return }
        effects.append(.log(.warning, "\(monitorName(index)) failed: \(detail) (\(count) of fall \(fall))"))
        if count == fall {
            health.lines[index].down = true
            groupFailed(line: index, now: now, into: &effects)
        }
    }

    /// A line reached `fall`: the group failed here once.
    mutating func groupFailed(line index: Int, now: Instant, into effects: inout [ResourceEffect]) {
        let spec = health.lines[index].spec
        let group = health.lines[index].group
        let key = records[group].group.key
        switch spec.onFail {
        case .ignore:
            effects.append(.log(.info, "Group \(key) failed its monitor (line \(spec.line)); on_fail=ignore: nothing done"))
            return
        case .alert:
            effects.append(.log(.critical, "Group \(key) is unhealthy here (monitor line \(spec.line)); on_fail=alert: nothing done"))
            return
        case .restart, .failover:
            break
        }
        // Already acting on an earlier failure: a restart or a move is on its way.
        guard health.groups[group].restartAt == nil, !health.groups[group].movePending, !health.groups[group].restarting else { return }
        health.groups[group].failures.append(now)
        let count = health.groups[group].failures.count
        let history = "fail count \(count) within \(describe(health.groups[group].window))"
        if spec.onFail == .restart, count <= spec.restarts {
            effects.append(.log(.warning, "Group \(key) failed here (\(history), restarts \(spec.restarts)): restarting it in place"))
            restartInPlace(group)
        } else {
            relocate(group, history: history, now: now, into: &effects)
        }
    }

    /// Stop right to left and start left to right through the job queue, like any transition.
    mutating func restartInPlace(_ group: Int) {
        health.groups[group].restarts += 1
        health.groups[group].restarting = true
        queueRelease(group, purpose: .monitorRestart, reason: "monitor restart")
        queueAcquire(group, purpose: .monitorRestart, reason: "monitor restart")
    }

    /// The restart's start failed and stopped the group again (deviation 1): that is one more
    /// failure, and the group goes to a peer that may take it, or is started again after a backoff.
    mutating func restartFailed(_ group: Int, now: Instant, into effects: inout [ResourceEffect]) {
        health.groups[group].failures.append(now)
        let count = health.groups[group].failures.count
        effects.append(.log(.error, "Group \(records[group].group.key) did not start again here after its monitor restart"))
        relocate(group, history: "fail count \(count) within \(describe(health.groups[group].window)), start failed", now: now, into: &effects)
    }

    // MARK: Moves

    /// A peer that may take the group now, or why none may.
    enum MoveTarget: Sendable, Hashable {
        case peer(String)
        case none(reason: String)
    }

    /// Moves give away the group's half of haresources (as `hb_standby local|foreign` does), so
    /// the peer must be fit for every group of that half we hold.
    func moveTarget(_ group: Int, now: Instant) -> MoveTarget {
        guard config.niceFailback else { return .none(reason: "moves need auto_failback on or off") }
        if let last = health.groups[group].lastMoveAt, now < last + health.groups[group].holddown {
            return .none(reason: "it moved \(describe(now - last)) ago, hold-down \(describe(health.groups[group].holddown))")
        }
        guard lifecycle == .up(.stable), standby == .none else { return .none(reason: "a resource transition is under way") }
        // The group itself may have failed to start here and be claimed by nobody.
        let keys = Set(groups(in: half(of: group)).filter(claimed).map { records[$0].group.key } + [records[group].group.key])
        var reasons: [String] = []
        for name in peerNames {
            guard let peer = peers[name], peer.alive else {
                reasons.append("\(name) is dead")
                continue
            }
            let unfit = (health.peerUnfit[name] ?? []).intersection(keys)
            if peer.shuttingDown {
                reasons.append("\(name) is shutting down")
            } else if !peer.stable {
                reasons.append("\(name) is in transition")
            } else if !unfit.isEmpty {
                reasons.append("\(name) is unfit for \(unfit.sorted().joined(separator: " "))")
            } else {
                return .peer(name)
            }
        }
        return .none(reason: reasons.isEmpty ? "no other node" : reasons.joined(separator: "; "))
    }

    func half(of group: Int) -> HoldSet { isLocal(group) ? .local : .foreign }

    mutating func relocate(_ group: Int, history: String, now: Instant, into effects: inout [ResourceEffect]) {
        switch moveTarget(group, now: now) {
        case .peer(let peer):
            move(group, to: peer, history: history, now: now, into: &effects)
        case .none(let reason):
            waitAndRestart(group, reason: reason, now: now, into: &effects)
        }
    }

    /// Asks the peer to take the group's half with the standby handshake; the move counts once
    /// the release begins (`noteStandbyRelease`).
    mutating func move(_ group: Int, to peer: String, history: String, now: Instant, into effects: inout [ResourceEffect]) {
        let half = half(of: group)
        let others = groups(in: half).filter { $0 != group && claimed($0) }.map { records[$0].group.key }
        let along = others.isEmpty ? "" : " with the other groups of its half (\(others.joined(separator: ", ")))"
        effects.append(.log(.warning, "Group \(records[group].group.key) is unhealthy here (\(history)): moving it to \(peer)\(along)"))
        health.groups[group].movePending = true
        health.groups[group].restartAt = nil
        requestStandby(half, now: now, into: &effects, monitorMove: true)
    }

    /// Nobody can take the group: restart it in place after a delay that doubles each time (from
    /// twice the check interval up to `maxMonitorBackoff`); the first time, one CRIT line.
    mutating func waitAndRestart(_ group: Int, reason: String, now: Instant, into effects: inout [ResourceEffect]) {
        let interval = health.lines.first { $0.group == group && $0.acts }?.spec.interval ?? MonitorSpec.defaultInterval
        let previous = health.groups[group].backoff
        let backoff = min(previous.map { $0 * 2 } ?? interval * 2, Self.maxMonitorBackoff)
        health.groups[group].backoff = backoff
        health.groups[group].restartAt = now + backoff
        let key = records[group].group.key
        if previous == nil {
            effects.append(.log(.critical, "Group \(key) is unhealthy here and no other node can take it (\(reason)): restarting it again in \(describe(backoff))"))
        } else {
            effects.append(.log(.warning, "Group \(key) is still unhealthy here (\(reason)): restarting it again in \(describe(backoff))"))
        }
    }

    /// A group waiting for its backoff restart moves as soon as a peer can take it, recovers by
    /// itself, or is restarted when the delay is over.
    mutating func restartWhenDue(_ group: Int, now: Instant, into effects: inout [ResourceEffect]) {
        guard let due = health.groups[group].restartAt else { return }
        let failedHere = isFailedHere(group)
        guard isMonitorable(group) || failedHere else {
            if isSettledStopped(group) { endEpisode(group) }
            return
        }
        if case .peer(let peer) = moveTarget(group, now: now) {
            move(group, to: peer, history: "fail count \(health.groups[group].failures.count)", now: now, into: &effects)
        } else if due <= now {
            health.groups[group].restartAt = nil
            if failedHere {
                effects.append(.log(.info, "Starting group \(records[group].group.key) again (monitor backoff \(describe(health.groups[group].backoff ?? .zero)))"))
                health.groups[group].restarting = true
                queueAcquire(group, purpose: .monitorRestart, reason: "monitor restart")
                return
            }
            // Passing again (short of `rise`): a restart now would only interrupt the recovery.
            guard health.lines.contains(where: { $0.group == group && $0.acts && $0.down && $0.consecutiveSuccesses == 0 })
            else { return }
            effects.append(.log(.info, "Restarting group \(records[group].group.key) in place (monitor backoff \(describe(health.groups[group].backoff ?? .zero)))"))
            restartInPlace(group)
        }
    }

    /// A monitor restart's start failed: the group is released here, waiting for its backoff.
    func isFailedHere(_ group: Int) -> Bool { records[group].state == .failed && isSettledStopped(group) }

    func isHealthy(_ group: Int) -> Bool {
        !health.lines.contains { $0.group == group && $0.down && $0.acts }
    }

    mutating func endEpisodeIfHealthy(_ group: Int, into effects: inout [ResourceEffect]) {
        guard isHealthy(group), health.groups[group].backoff != nil else { return }
        effects.append(.log(.info, "Group \(records[group].group.key) is healthy again here"))
        endEpisode(group)
    }

    mutating func endEpisode(_ group: Int) {
        health.groups[group].backoff = nil
        health.groups[group].restartAt = nil
    }

    /// Called as a standby release begins: groups of the set we asked to move are moved now.
    mutating func noteStandbyRelease(_ set: HoldSet, now: Instant, into effects: inout [ResourceEffect]) {
        for group in groups(in: set) where health.groups.indices.contains(group) && health.groups[group].movePending {
            health.groups[group].movePending = false
            health.groups[group].moves += 1
            health.groups[group].lastMoveAt = now
            health.groups[group].ineligible = true
            endEpisode(group)
            effects.append(.log(.info, "Group \(records[group].group.key) given away for its health: this node is not eligible for it until its failures expire (\(describe(health.groups[group].window))) or an admin resets them"))
        }
    }

    /// Called as we start what a peer gave up by standby: after a monitor move, the hold-down of
    /// the groups that arrive starts now.
    mutating func noteStandbyArrival(_ set: HoldSet, from peer: String, now: Instant) {
        defer { health.incomingMoveFrom = nil }
        guard health.incomingMoveFrom == peer else { return }
        for group in groups(in: set) where health.groups.indices.contains(group) { health.groups[group].lastMoveAt = now }
    }

    // MARK: Expiry, reset, peers

    mutating func expireFailures(now: Instant, into effects: inout [ResourceEffect]) {
        for group in health.groups.indices where !health.groups[group].failures.isEmpty {
            let window = health.groups[group].window
            health.groups[group].failures.removeAll { $0 + window <= now }
            if health.groups[group].failures.isEmpty, health.groups[group].ineligible {
                health.groups[group].ineligible = false
                effects.append(.log(.info, "Failures of group \(records[group].group.key) expired: this node is eligible for it again"))
            }
        }
    }

    /// `hbctl monitor reset [GROUP]`: failures, eligibility, hold-down and backoff are cleared and
    /// the group's checks run at once.
    mutating func monitorReset(_ name: String?, now: Instant, into effects: inout [ResourceEffect]) {
        let targets: [Int]
        if let name {
            guard let key = monitoredGroupKey(named: name), let group = records.firstIndex(where: { $0.group.key == key }) else {
                effects.append(.log(.warning, "Monitor reset: no monitored group \(name)"))
                return
            }
            targets = [group]
        } else {
            targets = records.indices.filter { group in health.lines.contains { $0.group == group } }
        }
        for group in targets {
            var fresh = HealthState.Group()
            fresh.window = health.groups[group].window
            fresh.holddown = health.groups[group].holddown
            fresh.restarts = health.groups[group].restarts
            fresh.moves = health.groups[group].moves
            fresh.movePending = health.groups[group].movePending
            health.groups[group] = fresh
            for index in health.lines.indices where health.lines[index].group == group {
                health.lines[index].consecutiveFailures = 0
                health.lines[index].consecutiveSuccesses = 0
                health.lines[index].down = false
                if health.lines[index].nextDue != nil { health.lines[index].nextDue = now }
            }
            effects.append(.log(.info, "Monitor state of group \(records[group].group.key) reset: failures, eligibility and hold-down cleared"))
        }
    }

    /// The key of the monitored group a name means, by the `monitors` file's own rule
    /// (`MonitorGroupNames`: its key, a `name=` alias, a resource token of one group; any case).
    public func monitoredGroupKey(named name: String) -> String? {
        let names = MonitorGroupNames(groups: records.map(\.group), monitors: health.lines.map(\.spec))
        guard case .group(let key) = names.resolve(name), health.lines.contains(where: { $0.spec.group == key }) else { return nil }
        return key
    }

    /// A peer's `svcbad` changed. A group it is fit for again may be owed to it (auto failback).
    mutating func peerUnfit(_ node: String, groups keys: [String], now: Instant, into effects: inout [ResourceEffect]) {
        guard peers[node] != nil else { return }
        let reported = Set(keys)
        let before = health.peerUnfit[node] ?? []
        guard reported != before else { return }
        health.peerUnfit[node] = reported.isEmpty ? nil : reported
        if reported.isEmpty {
            effects.append(.log(.info, "Node \(node) is fit again for every resource group"))
        } else {
            effects.append(.log(.info, "Node \(node) reports itself unfit for resource groups [\(reported.sorted().joined(separator: " "))]"))
        }
        if !before.subtracting(reported).isEmpty, failback != .notOwed {
            performAutoFailback(now: now, into: &effects)
        }
    }

    /// Why auto failback must wait: a live peer advertises itself unfit for a foreign group we hold.
    func failbackHeldBackByHealth() -> String? {
        let ours = Set(groups(in: .foreign).filter(claimed).map { records[$0].group.key })
        for name in peerNames where peers[name]?.alive == true {
            let unfit = (health.peerUnfit[name] ?? []).intersection(ours)
            if !unfit.isEmpty { return "\(name) reports itself unfit for \(unfit.sorted().joined(separator: " "))" }
        }
        return nil
    }

    /// The groups this node is unfit for (unhealthy, waiting for a backoff restart, or ineligible
    /// here), in haresources order: our `svcbad`.
    public var unfitGroupKeys: [String] {
        guard !health.lines.isEmpty else { return [] }
        return records.indices.filter { group in
            health.groups[group].ineligible || health.groups[group].backoff != nil || !isHealthy(group)
        }.map { records[$0].group.key }
    }
}

extension ResourceManager {
    /// The group's health as `hbctl status` shows it (`StatusReport.Health`).
    public func healthReport(ofGroup group: Int, now: Instant) -> StatusReport.Health {
        let lines = health.lines.filter { $0.group == group }
        guard !lines.isEmpty else { return .unmonitored }
        let record = health.groups[group]
        let state: StatusReport.HealthStatus
        if lines.contains(where: { ($0.down && $0.consecutiveSuccesses == 0) || $0.consecutiveFailures > 0 }) {
            state = .failing
        } else if lines.contains(where: \.down) {
            state = .recovering
        } else if record.movePending || (records[group].ownedHere && !isMonitorable(group)) {
            state = .paused
        } else if !isMonitorable(group) || lines.contains(where: { $0.last == nil }) {
            state = .unknown
        } else {
            state = .healthy
        }
        let failCount = record.failures.filter { $0 + record.window > now }.count
        let budgets = lines.filter { $0.spec.onFail == .restart }.map(\.spec.restarts)
        let holddownEnds = record.lastMoveAt.map { $0 + record.holddown }
        let unfitHere = record.ineligible || record.backoff != nil || !isHealthy(group)
        var eligibility = [StatusReport.Eligibility(node: config.localNode, eligible: !unfitHere)]
        for name in peerNames {
            let peer = peers[name]
            let fit = peer?.alive == true && peer?.shuttingDown == false && health.peerUnfit[name]?.contains(records[group].group.key) != true
            eligibility.append(StatusReport.Eligibility(node: name, eligible: fit))
        }
        return StatusReport.Health(
            state: state,
            consecutiveFailures: lines.map(\.consecutiveFailures).max() ?? 0,
            failCount: failCount,
            restartsLeft: budgets.min().map { max(0, $0 - failCount) },
            holddownLeftMs: holddownEnds.flatMap { $0 > now ? ($0 - now).milliseconds : nil },
            restarts: record.restarts, moves: record.moves, eligibility: eligibility,
            checks: lines.map { line in
                var detail = ""
                var latency: Duration?
                switch line.last?.outcome {
                case .passed(let measured)?: latency = measured
                case .failed(let measured, let why)?:
                    latency = measured
                    detail = why
                case .timedOut?: latency = line.spec.timeout
                case nil: break
                }
                return StatusReport.Check(
                    line: line.spec.line, check: line.spec.check.text, lastResult: line.last?.outcome.result,
                    lastDetail: detail, lastLatencyMs: latency?.milliseconds,
                    lastAgeMs: line.last.map { (now - $0.at).milliseconds },
                    nextInMs: line.inFlight == nil ? line.nextDue.map { max(0, (($0 - now).milliseconds)) } : nil,
                    counts: line.counts)
            })
    }
}
