import HeartbeatCore

/// The outcome of one seeded run.
public struct RunResult: Sendable {
    public var seed: UInt64
    public var config: SimConfig
    public var violation: Violation?
    public var traceHash: UInt64
    public var steps: Int
    public var simulatedTime: Instant
    public var scriptRuns: Int
    /// Checks of the monitors that failed or timed out, and groups they moved.
    public var failedChecks: Int
    public var monitorMoves: Int
    /// The faults injected, in order.
    public var schedule: [String]
    /// The last events, oldest first.
    public var trace: [String]

    /// What a failing run prints: the seed, what broke, the last events and how to replay it.
    public var report: String {
        var lines = ["seed \(seed): \(violation.map(String.init(describing:)) ?? "ok")",
                     "config: \(config)",
                     "schedule: \(schedule.joined(separator: "; "))",
                     "last \(trace.count) events:"]
        lines += trace.map { "  \($0)" }
        lines.append("replay: \(RandomRun.replayCommand(seed: seed))")
        return lines.joined(separator: "\n")
    }
}

/// One random schedule per seed: a cluster from `SimConfig.random(seed:)` boots (staggered),
/// then lives through `rounds` single faults, each healed and followed by a quiet period of
/// `settleTime` at whose end every group must run whole on exactly one live node.
public enum RandomRun {
    public static let rounds = 3
    /// The longest a fault lasts, in deadtimes.
    public static let maxFaultDeadtimes: UInt64 = 3

    public static func replayCommand(seed: UInt64) -> String {
        "swift run --scratch-path .build-sim hbsim --seed \(seed)"
    }

    /// `keepTrace: false` renders the trace only for a failing run (the sweep prints no other).
    public static func run(seed: UInt64, keepTrace: Bool = true) -> RunResult {
        let config = SimConfig.random(seed: seed)
        var sim = Simulator(config: config, seed: seed)
        var rng = SplitMix64(seed: seed ^ 0xD1CE_D1CE_D1CE_D1CE)
        var schedule: [String] = []
        let settle = config.settleTime

        func pickUp() -> Int? {
            let up = sim.upNodes
            return up.isEmpty ? nil : up[Int(rng.next(below: UInt64(up.count)))]
        }
        func faultLength() -> Duration {
            let span = UInt64(config.deadtime.nanoseconds) * maxFaultDeadtimes
            return config.keepalive + .nanoseconds(Int64(rng.next(below: span)))
        }
        func settleAndCheck(_ extra: Duration = .zero) {
            sim.run(for: settle + extra)
            sim.checkSettled()
        }

        // Boot: nodes start up to one initdead apart.
        for index in 0..<config.nodeCount {
            sim.run(for: .nanoseconds(Int64(rng.next(below: UInt64(config.initdead.nanoseconds) / UInt64(config.nodeCount)))))
            sim.start(index)
        }
        schedule.append("boot")
        settleAndCheck(config.initdead)

        for _ in 0..<rounds where sim.violation == nil {
            let length = faultLength()
            let sets = ResourceSet.allCases
            // Configurations with ping nodes have two more kinds of fault; with monitors, every
            // other round is a service fault; the others draw as always.
            let kinds: UInt64 = config.pingNodes > 0 ? 13 : 11
            let kind = rng.next(below: sim.monitors.isEmpty ? kinds : kinds * 2)
            if kind >= kinds {
                let fault = HealthFault.allCases[Int(kind - kinds) % HealthFault.allCases.count]
                guard let round = healthRound(fault, &sim, &rng) else { continue }
                schedule.append(round)
                settleAndCheck(sim.healthSettleExtra)
                continue
            }
            switch kind {
            case 0, 1:
                // The owner of some group (or any node) dies; survivors take over; it comes back.
                guard sim.upNodes.count > 1, let victim = pickOwner(&sim, &rng) ?? pickUp() else { continue }
                schedule.append("crash \(SimConfig.nodeName(victim))")
                sim.crash(victim)
                settleAndCheck()
                sim.start(victim)
                settleAndCheck(config.initdead)
            case 2:
                guard let victim = pickUp(), sim.upNodes.count > 1 else { continue }
                schedule.append("crash+restart \(SimConfig.nodeName(victim)) after \(length.milliseconds)ms")
                sim.crash(victim)
                sim.run(for: length)
                sim.start(victim)
                settleAndCheck(config.initdead)
            case 3:
                var sides: [[Int]] = [[], []]
                for index in 0..<config.nodeCount { sides[Int(rng.next(below: 2))].append(index) }
                if sides[0].isEmpty { sides[0].append(sides[1].removeLast()) }
                if sides[1].isEmpty { sides[1].append(sides[0].removeLast()) }
                schedule.append("partition \(sides) for \(length.milliseconds)ms")
                sim.partition(sides)
                sim.run(for: length)
                sim.heal()
                settleAndCheck()
            case 4:
                let from = Int(rng.next(below: UInt64(config.nodeCount)))
                let to = (from + 1 + Int(rng.next(below: UInt64(config.nodeCount - 1)))) % config.nodeCount
                schedule.append("cut \(from)->\(to) for \(length.milliseconds)ms")
                sim.cut(from: from, to: to)
                sim.run(for: length)
                sim.heal()
                settleAndCheck()
            case 5:
                let link = Int(rng.next(below: UInt64(config.links.count)))
                schedule.append("medium \(link) down for \(length.milliseconds)ms")
                sim.mediumDown(link)
                sim.run(for: length)
                sim.heal()
                settleAndCheck()
            case 6:
                let loss = 50 + Int(rng.next(below: 400))
                schedule.append("loss \(loss) for \(length.milliseconds)ms")
                sim.setLoss(perMille: loss)
                sim.run(for: length)
                sim.heal()
                settleAndCheck()
            case 7:
                guard let victim = pickUp() else { continue }
                schedule.append("stall \(SimConfig.nodeName(victim)) \(length.milliseconds)ms")
                sim.stall(victim, for: length)
                sim.run(for: length)
                settleAndCheck()
            case 8:
                guard let who = pickUp() else { continue }
                let set = sets[Int(rng.next(below: UInt64(sets.count)))]
                let standby = rng.next(below: 2) == 0
                schedule.append("\(standby ? "standby" : "takeover") \(set.rawValue) on \(SimConfig.nodeName(who))")
                if standby { sim.standby(who, set) } else { sim.takeover(who, set) }
                settleAndCheck()
            case 9:
                guard sim.upNodes.count > 1, let victim = pickUp() else { continue }
                schedule.append("shutdown+start \(SimConfig.nodeName(victim))")
                sim.shutdown(victim)
                settleAndCheck()
                sim.start(victim)
                settleAndCheck(config.initdead)
            case 11, 12:
                // A node loses its ping nodes (case 12: and its heartbeat links too): it must give
                // its groups away (or release them, isolated) by its release deadline.
                let victim = Int(rng.next(below: UInt64(config.nodeCount)))
                let isolated = kind == 12
                schedule.append("\(SimConfig.nodeName(victim)) loses ping\(isolated ? " and links" : "") for \(length.milliseconds)ms")
                sim.losePing(victim)
                if isolated { sim.partition([[victim], (0..<config.nodeCount).filter { $0 != victim }]) }
                sim.run(for: length)
                // Isolated: the links come back first, the ping nodes only later; still without
                // them, the node must hand the groups it gets back over again.
                if isolated { sim.heal() }
                sim.run(for: config.pingReleaseDeadline + config.keepalive)
                sim.restorePing(victim)
                settleAndCheck(config.deadping * 3)
            case 10:
                guard let victim = pickUp() else { continue }
                let fault = ScriptFault.allCases[Int(rng.next(below: UInt64(ScriptFault.allCases.count)))]
                schedule.append("script \(fault.rawValue) on \(SimConfig.nodeName(victim)) for \(length.milliseconds)ms, replays")
                sim.scriptFault(victim, fault, for: length)
                // Something to do for the scripts: the victim gives its groups away or takes all.
                if rng.next(below: 2) == 0 { sim.standby(victim, .all) } else { sim.takeover(victim, .all) }
                for _ in 0..<4 {
                    sim.run(for: length / 4)
                    sim.replay()
                }
                settleAndCheck(config.scriptTimeout * 4)
            default:
                continue
            }
        }
        return RunResult(seed: seed, config: config, violation: sim.violation, traceHash: sim.traceHash,
                         steps: sim.steps, simulatedTime: sim.now, scriptRuns: sim.scriptRuns,
                         failedChecks: sim.failedChecks, monitorMoves: sim.monitorMoves,
                         schedule: schedule, trace: keepTrace || sim.violation != nil ? sim.traceLines : [])
    }

    /// The service faults of the monitored configurations.
    enum HealthFault: CaseIterable {
        /// A service crashes or hangs where its group runs, for a while or for good.
        case dies
        /// A service fails every few checks.
        case flaps
        /// A service fails for good on every node that runs resources.
        case failsEverywhere
        /// The owner dies while the peer's service is broken for good, and comes back later.
        case failsDuringTakeover
    }

    /// One round of a service fault: injected, given its time to be noticed and acted on, maybe a
    /// `monitor reset`, then healed. Returns what it did for the schedule (nil: nothing to do).
    static func healthRound(_ kind: HealthFault, _ sim: inout Simulator, _ rng: inout SplitMix64) -> String? {
        let monitored = sim.groups.indices.filter { !sim.monitors(ofGroup: sim.groups[$0].key).isEmpty }
        let group = monitored[Int(rng.next(below: UInt64(monitored.count)))]
        guard let owner = sim.owners(ofGroup: group).first else { return nil }
        let resources = sim.groups[group].resources
        let token = resources[Int(rng.next(below: UInt64(resources.count)))].token
        let resourceNodes = Array(0..<sim.config.resourceNodeCount)
        let wait = sim.healthSettleExtra + sim.config.settleTime
        var text: String
        switch kind {
        case .dies:
            let fault = ServiceFault(rng.next(below: 2) == 0 ? .crashed : .hung, persistent: rng.next(below: 2) == 0)
            text = "service \(token) \(fault) on \(SimConfig.nodeName(owner))"
            sim.breakService(owner, token: token, fault)
            sim.run(for: wait)
        case .flaps:
            let fault = ServiceFault(.flapping(every: 2 + Int(rng.next(below: 3))), persistent: rng.next(below: 2) == 0)
            text = "service \(token) \(fault) on \(SimConfig.nodeName(owner))"
            sim.breakService(owner, token: token, fault)
            sim.run(for: wait)
        case .failsEverywhere:
            text = "service \(token) fails on every node"
            for node in resourceNodes { sim.breakService(node, token: token, ServiceFault(.crashed, persistent: true)) }
            sim.run(for: wait)
        case .failsDuringTakeover:
            guard let peer = resourceNodes.first(where: { $0 != owner }), resourceNodes.contains(owner) else { return nil }
            text = "crash \(SimConfig.nodeName(owner)) while \(token) fails on \(SimConfig.nodeName(peer))"
            sim.breakService(peer, token: token, ServiceFault(.crashed, persistent: true))
            sim.crash(owner)
            sim.run(for: wait)
            sim.start(owner)
            sim.run(for: sim.config.initdead + wait)
        }
        if rng.next(below: 2) == 0, let node = sim.upNodes.first {
            let all = rng.next(below: 2) == 0
            text += ", monitor reset \(all ? "all" : sim.groups[group].key) on \(SimConfig.nodeName(node))"
            sim.monitorReset(node, group: all ? nil : sim.groups[group].key)
        }
        for node in resourceNodes { sim.healService(node, token: token) }
        return text
    }

    static func pickOwner(_ sim: inout Simulator, _ rng: inout SplitMix64) -> Int? {
        let owners = sim.groups.indices.flatMap { sim.owners(ofGroup: $0) }
        return owners.isEmpty ? nil : owners[Int(rng.next(below: UInt64(owners.count)))]
    }
}
