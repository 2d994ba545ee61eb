import HeartbeatCore

/// How a simulated resource's service misbehaves on one node (issue #17's faults). The service
/// is what the group's checks look at; the scripts still start and stop the resource as always.
public struct ServiceFault: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The service died: every check fails at once.
        case crashed
        /// The service stopped answering: every check runs into its timeout.
        case hung
        /// Every `k`-th check fails, the others pass.
        case flapping(every: Int)
    }

    public var kind: Kind
    /// A restart (the resource's `stop` or `start` here) cures the fault unless it is persistent.
    public var persistent: Bool

    public init(_ kind: Kind, persistent: Bool = false) {
        self.kind = kind
        self.persistent = persistent
    }

    public var description: String {
        let name = switch kind {
        case .crashed: "crashed"
        case .hung: "hung"
        case .flapping(let every): "flapping (every \(every))"
        }
        return persistent ? name + ", persistent" : name
    }

    /// Crashed and hung services fail every check; a flapping one passes most.
    var isDead: Bool { if case .flapping = kind { false } else { true } }
}

/// One node's services: the faults in force per resource bit, and how many checks each
/// flapping resource has answered (every `k`-th fails).
struct ServiceWorld: Sendable {
    var faults: [Int: ServiceFault] = [:]
    var checksAnswered: [Int: Int] = [:]
    /// Checks in flight here, by id: the monitor line each runs.
    var checksInFlight: [CheckRun.ID: Int] = [:]
}

extension SimConfig {
    /// One configuration in four gets a `monitors` file: a check line for the first group and
    /// about half of the others (a second line for some), timings in proportion to keepalive and
    /// short enough that a round stays within a few settling times (a long run meets more of the
    /// baseline loss's rare streaks, which look like a death).
    /// Drawn last and apart, so that every other seed keeps the cluster (and the trace) it always had.
    mutating func drawMonitors(seed: UInt64) {
        var rng = SplitMix64(seed: seed ^ SimLimits.monitorSalt)
        guard rng.next(below: 4) == 0 else { return }
        func pick<T>(_ values: [T]) -> T { values[Int(rng.next(below: UInt64(values.count)))] }
        let ms = ConfigValues.millisecondsText
        checkLatencyMax = keepalive / pick([20, 4])
        var lines: [String] = []
        for (index, group) in groups.enumerated() where index == 0 || rng.next(below: 2) == 0 {
            for _ in 0..<(rng.next(below: 4) == 0 ? 2 : 1) {
                let interval = keepalive * pick([2, 5])
                let check = pick(["status", "exec:/etc/ha.d/checks/g\(index + 1)", "tcp:127.0.0.1:3306", "http://127.0.0.1/health"])
                let startDelay = pick([Duration.zero, interval])
                lines.append("\(group.key) \(check) interval=\(ms(interval)) timeout=\(ms(interval / 2)) fall=\(pick([1, 2]))"
                    + " rise=\(pick([1, 2])) start_delay=\(ms(startDelay)) restarts=\(pick([0, 1]))"
                    + " window=\(ms(pick([interval * 20, .seconds(3600)]))) holddown=\(ms(pick([deadtime * 10, .seconds(300)])))"
                    + " on_fail=\(pick(["restart", "restart", "restart", "failover", "alert", "ignore"]))")
            }
        }
        monitorsFile = lines.joined(separator: "\n") + "\n"
    }
}

extension SimLimits {
    static let monitorSalt: UInt64 = 0x5EED_4EA1_7400_0004
}

extension Simulator {
    /// Groups the monitors moved, and checks that failed or timed out, in this run.
    public var monitorMoves: Int { health.moves }
    public var failedChecks: Int { health.failedChecks }
}

extension CheckOutcome {
    var isFailure: Bool { if case .passed = self { false } else { true } }

    /// How the trace shows it.
    var simText: String {
        switch self {
        case .passed(let latency): "passed in \(latency.milliseconds)ms"
        case .failed(let latency, let detail): "failed in \(latency.milliseconds)ms: \(detail)"
        case .timedOut: "timed out"
        }
    }
}

extension Simulator {
    /// The monitor lines of the group with this key.
    func monitors(ofGroup key: String) -> [MonitorSpec] { monitors.filter { $0.group == key } }

    /// The fault of the group's first faulty resource on the node, with that resource.
    func serviceFault(_ index: Int, group: Int) -> (token: String, fault: ServiceFault)? {
        for resource in groups[group].resources {
            if let bit = bits[resource.token], let fault = hosts[index].services.faults[bit] { return (resource.token, fault) }
        }
        return nil
    }

    // MARK: - Faults

    /// The resource's service on the node misbehaves from now on, until `healService` or, unless
    /// persistent, the resource's next stop or start there.
    public mutating func breakService(_ index: Int, token: String, _ fault: ServiceFault) {
        guard let bit = bits[token] else { return }
        note("service \(token) on \(name(index)): \(fault)")
        hosts[index].services.faults[bit] = fault
        hosts[index].services.checksAnswered[bit] = 0
    }

    /// The fault ends; a service that simply crashed stays down until its next start, as a dead
    /// process does.
    public mutating func healService(_ index: Int, token: String) {
        guard let bit = bits[token], let fault = hosts[index].services.faults[bit], fault != ServiceFault(.crashed) else { return }
        note("service \(token) on \(name(index)) healed")
        hosts[index].services.faults[bit] = nil
    }

    /// `hbctl monitor reset [GROUP]` on the node.
    public mutating func monitorReset(_ index: Int, group: String?) {
        guard hosts[index].state == .up else { return }
        note("monitor reset \(group ?? "all") on \(name(index))")
        // The reset clears the hold-down too.
        for reset in groups.indices where group == nil || groups[reset].key == group { health.lastAutomaticMove[reset] = nil }
        handle(index, .monitorReset(group: group))
    }

    /// A stop or a start here ends the service's process: what is not persistent is cured.
    mutating func restartService(_ index: Int, bit: Int) {
        if let fault = hosts[index].services.faults[bit], !fault.persistent { hosts[index].services.faults[bit] = nil }
    }

    // MARK: - Checks

    /// Runs one check against the node's simulated services: a healthy one answers after a latency
    /// drawn from the seed, a crashed one fails as fast, a hung one never answers (the runtime's
    /// kill at `timeout` is the answer), a flapping one fails every k-th time.
    mutating func startCheck(_ index: Int, _ run: CheckRun) {
        trace.record(.check(node: index, run), at: now)
        guard let group = groupIndex(run.group), hosts[index].running & groupMasks[group] == groupMasks[group] else {
            return fail("checks", "\(name(index)) checks \(run.group), which does not run (wholly) there")
        }
        if let other = hosts[index].services.checksInFlight.first(where: { $0.value == run.monitor }) {
            return fail("checks", "\(name(index)) runs check #\(run.id) of line \(run.monitor) while #\(other.key) still runs")
        }
        hosts[index].services.checksInFlight[run.id] = run.monitor
        let span = UInt64((config.checkLatencyMax - config.checkLatencyMin).nanoseconds)
        let latency = config.checkLatencyMin + .nanoseconds(Int64(rng.next(below: span + 1)))
        var outcome = CheckOutcome.passed(latency: latency)
        if let (token, fault) = serviceFault(index, group: group) {
            let bit = bits[token]!
            hosts[index].services.checksAnswered[bit, default: 0] += 1
            switch fault.kind {
            case .crashed:
                outcome = .failed(latency: latency / 4, detail: Self.failureDetail(run.check, token: token))
            case .hung:
                outcome = .timedOut
            case .flapping(let every):
                if hosts[index].services.checksAnswered[bit]! % every == 0 {
                    outcome = .failed(latency: latency, detail: Self.failureDetail(run.check, token: token))
                }
            }
        }
        if case .passed = outcome, latency >= run.timeout { outcome = .timedOut }
        let end = switch outcome {
        case .passed(let latency), .failed(let latency, _): now + latency
        case .timedOut: now + run.timeout
        }
        queue.push(.checkEnd(node: index, incarnation: hosts[index].incarnation, run: run, outcome: outcome), at: end)
    }

    /// What the runtime would report for a failed check of this kind.
    static func failureDetail(_ check: MonitorSpec.Check, token: String) -> String {
        switch check {
        case .status: "resource \(token) not running"
        case .exec: "exit 1"
        case .tcp: "connection refused"
        case .http: "HTTP 503"
        }
    }

    mutating func finishCheck(_ index: Int, _ run: CheckRun, _ outcome: CheckOutcome) {
        // A cancelled check's end is never reported.
        guard hosts[index].services.checksInFlight.removeValue(forKey: run.id) != nil else { return }
        trace.record(.checkEnd(node: index, run, outcome), at: now)
        if outcome.isFailure { health.failedChecks += 1 }
        observe(.checkEnded(node: index, run, outcome))
        handle(index, .checkFinished(run.id, outcome))
    }
}

/// What the health invariants remember per group (index): checked after every event when the
/// cluster has monitors.
struct HealthWatch: Sendable {
    /// The node the group last ran on wholly, and since when.
    var holder: [Int?]
    var heldSince: [Instant]
    /// When the group last moved by its monitors' doing: until a `monitor reset` of it (on any
    /// node: lenient for the hold-down check), and regardless (the other nodes may keep their
    /// hold-down: for the recovery check, which must not expect a move it forbids).
    var lastAutomaticMove: [Instant?]
    var lastMove: [Instant?]
    /// Moves by the monitors and checks that did not pass, so far.
    var moves = 0
    var failedChecks = 0
    /// When each node last asked its peers to take a half of its groups for their health (a
    /// standby request marked `svcmove`), and which of its groups were broken then (the stop
    /// before the move may cure them).
    var moveAsked: [Int: (at: Instant, broken: Set<Int>)] = [:]
    /// Since when the group's service is dead (crashed or hung) where it runs, and since when a
    /// peer could take it.
    var deadSince: [Instant?]
    var peerSince: [Instant?]
    /// Per group: how long it may stay dead (`recoveryBound`; nil: no line restarts or moves it),
    /// and its hold-down.
    var recoveryBounds: [Duration?] = []
    var holddowns: [Duration] = []
    /// The last crash, start, shutdown, standby or takeover of a node: the recovery deadline
    /// counts from a settled cluster.
    var lastUpheaval = Instant.zero

    init(groupCount: Int) {
        holder = Array(repeating: nil, count: groupCount)
        heldSince = Array(repeating: .zero, count: groupCount)
        lastAutomaticMove = Array(repeating: nil, count: groupCount)
        lastMove = Array(repeating: nil, count: groupCount)
        deadSince = Array(repeating: nil, count: groupCount)
        peerSince = Array(repeating: nil, count: groupCount)
    }
}

extension Simulator {
    /// Works out once what the health invariants need per group.
    mutating func prepareHealthWatch() {
        health.recoveryBounds = groups.indices.map(recoveryBound(ofGroup:))
        health.holddowns = groups.indices.map { group in monitors(ofGroup: groups[group].key).map(\.holddown).max() ?? .zero }
    }

    /// How long a dead service may stay dead where it runs while a healthy, eligible peer exists:
    /// every allowed restart and then the move, each taking the detection (start_delay, then up to
    /// one check period until the next check and `fall` more, a period being interval, timeout and
    /// the longest latency) and the group's scripts (stop, status, start); the move's handshake
    /// adds a few keepalives.
    /// Nil when no line of the group restarts or moves it (alert and ignore only tell).
    func recoveryBound(ofGroup group: Int) -> Duration? {
        let lines = monitors(ofGroup: groups[group].key).filter { $0.onFail == .restart || $0.onFail == .failover }
        guard !lines.isEmpty else { return nil }
        let detection = lines.map { $0.startDelay + ($0.interval + $0.timeout + config.checkLatencyMax) * ($0.fall + 1) }.max()!
        let restarts = lines.map(\.restarts).max()!
        let perScript = config.scriptTimeMax + config.baseDelay + config.jitter + config.checkLatencyMax
        let scripts = perScript * (groups[group].resources.count * SimLimits.scriptsPerResourceMove)
        let handshake = config.keepalive * (2 + SimLimits.settleMarginKeepalives) + scripts
        return (detection + scripts) * (restarts + 1) + handshake
    }

    /// How long after its service heals a group may still be restarting (a backoff) before it
    /// must run whole on one node again: every monitored group's recovery bound.
    var healthSettleExtra: Duration { health.recoveryBounds.compactMap { $0 }.max() ?? .zero }

    /// A node asked its peers to take groups for their health: noted from the message it sends.
    mutating func noteMoveRequest(_ message: Message, from index: Int) {
        guard message.type == .askResources, message["svcmove"] == "1" else { return }
        let broken = groups.indices.filter { soleOwner(ofGroup: $0) == index && serviceFault(index, group: $0) != nil }
        health.moveAsked[index] = (now, Set(broken))
    }

    /// The groups the node's own resource manager says it is unfit for (its `svcbad`).
    func unfitGroups(_ index: Int) -> [String] { nodes[index]?.resources?.unfitGroupKeys ?? [] }

    /// The first script of the group's first resource on `index` (the status before its start:
    /// the arrival, where the resource manager starts the hold-down) after it ran broken on a live
    /// node that asked to give it away for its health: the monitors moved it. The target must not say it is
    /// unfit for it, and the group moves that way at most once per hold-down. (Groups of the same
    /// half that merely come along are not counted: their hold-down does not stop the move.)
    mutating func checkHealthMove(_ index: Int, _ run: ScriptRun) {
        guard !monitors.isEmpty, let group = groupIndex(run.groupKey), groups[group].resources.first == run.resource,
              let from = health.holder[group], from != index, hosts[from].state == .up,
              let asked = health.moveAsked[from], asked.at >= health.heldSince[group], asked.at > health.lastMove[group] ?? .zero
        else { return }
        // Groups that come along start their hold-down here too (the recovery check respects it).
        health.lastMove[group] = now
        guard asked.broken.contains(group) else { return }
        let key = groups[group].key
        if unfitGroups(index).contains(key) {
            return fail("health move", "\(key) moved by its monitors from \(name(from)) to \(name(index)), which reports itself unfit for it")
        }
        // The group's hold-down is the longest of its lines', as the resource manager takes it.
        let holddown = health.holddowns[group]
        if let last = health.lastAutomaticMove[group], now - last < holddown {
            return fail("hold-down", "\(key) moved again by its monitors \((now - last).milliseconds) ms after the last such move (hold-down \(holddown.milliseconds) ms)")
        }
        health.lastAutomaticMove[group] = now
        health.moves += 1
    }

    /// After every event: who holds each monitored group, and whether a dead service there is
    /// healthy again (in place or on a peer) within its recovery bound of the moment a peer could
    /// take it, in a quiet cluster whose membership did not change meanwhile.
    mutating func checkHealth() {
        guard !monitors.isEmpty else { return }
        for group in groupMasks.indices {
            guard let bound = health.recoveryBounds[group] else { continue }
            if let owner = soleOwner(ofGroup: group) {
                if health.holder[group] != owner {
                    health.holder[group] = owner
                    health.heldSince[group] = now
                }
                guard serviceFault(owner, group: group)?.fault.isDead ?? false else {
                    health.deadSince[group] = nil
                    continue
                }
                if health.deadSince[group] == nil { health.deadSince[group] = now }
            }
            // While it restarts or moves the clock runs on.
            guard let since = health.deadSince[group], let owner = health.holder[group] else { continue }
            guard let peer = eligiblePeer(for: group, besides: owner) else {
                health.peerSince[group] = nil
                continue
            }
            let peerSince = health.peerSince[group] ?? now
            health.peerSince[group] = peerSince
            // After a node comes or goes, a move asked for while the peer is in flux is ignored and
            // waits for the standby reply timeout.
            let settled = health.lastUpheaval + config.settleTime + ResourceLimits.standbyReplyTimeout
            let from = [since, peerSince, quietSince, settled].max()!
            guard !isDisturbed, now - from > bound, !failedGroups.contains(group) else { continue }
            if let last = health.lastMove[group], now - last < health.holddowns[group] + bound { continue }
            let fault = serviceFault(owner, group: group).map { "\($0.fault)" } ?? "down"
            fail("recovery", "\(groups[group].key)'s service on \(name(owner)) is \(fault) since \((now - from).milliseconds) ms "
                 + "(bound \(bound.milliseconds) ms) while \(name(peer)) could run it")
        }
    }

    /// The one live node where the whole group runs, if exactly one; allocates nothing.
    func soleOwner(ofGroup group: Int) -> Int? {
        let mask = groupMasks[group]
        var found: Int?
        for index in hosts.indices where hosts[index].state == .up && hosts[index].running & mask == mask {
            if found != nil { return nil }
            found = index
        }
        return found
    }

    /// A node other than `owner` that runs resources, is up, has a working service for the group
    /// and does not say it is unfit for any group the owner holds (a move takes the group's whole
    /// half along). Legacy auto_failback moves nothing.
    func eligiblePeer(for group: Int, besides owner: Int) -> Int? {
        guard config.autoFailback != .legacy else { return nil }
        let held = groups.indices.filter { owners(ofGroup: $0).contains(owner) }.map { groups[$0].key }
        return hosts.indices.first { peer in
            peer != owner && hosts[peer].state == .up && nodes[peer]?.resources != nil && serviceFault(peer, group: group) == nil
                && !unfitGroups(peer).contains { held.contains($0) }
        }
    }
}
