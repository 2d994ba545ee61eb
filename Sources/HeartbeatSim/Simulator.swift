import HeartbeatCore

/// A broken invariant: which, when, and what was seen.
public struct Violation: Sendable, Hashable, CustomStringConvertible {
    public var invariant: String
    public var time: Instant
    public var detail: String
    public var description: String { "\(time) [\(invariant)] \(detail)" }
}

/// How a simulated script behaves on one node while a script fault is active.
public enum ScriptFault: String, Sendable, Hashable, CaseIterable {
    /// `start` exits 1 and leaves nothing running.
    case failStart
    /// `stop` exits 1 and the resource keeps running.
    case failStop
    /// Any operation never ends: the runtime reports a timeout (a hung `start` may have started).
    case hang
}

extension Node {
    /// `nextDeadline` through a mutating call: reading it through `nodes[index]?` copied the
    /// whole node on every event.
    mutating func deadlineInPlace() -> Instant? { nextDeadline }
}

/// N `Node`s in one process on a virtual clock and a virtual network, driven by one seed.
/// Faults are injected by calling methods between `run(until:)` calls; invariants are checked
/// after every event, and `checkSettled()` checks liveness when the caller knows things are quiet.
public struct Simulator {
    enum Action {
        case deliver(to: Int, sender: Int, link: Int, message: Message)
        /// With `config.authKeys`: a packet as the wire carries it, authenticated on arrival.
        case deliverPacket(to: Int, sender: Int, link: Int, packet: [UInt8])
        case tick(node: Int, incarnation: Int, due: Instant)
        case scriptEnd(node: Int, incarnation: Int, run: ScriptRun, outcome: Outcome)
        case checkEnd(node: Int, incarnation: Int, run: CheckRun, outcome: CheckOutcome)
        case fenceEnd(node: Int, incarnation: Int, target: String, ok: Bool)
        case watchdogFires(node: Int, incarnation: Int)
        case powerOn(node: Int, incarnation: Int)
    }

    enum Outcome { case succeed, fail, hang }

    struct MessageKey: Hashable {
        var sender: Int
        var generation: [UInt8]
        var seq: [UInt8]
    }

    struct Host {
        enum State { case down, up, shutDown }
        var state = State.down
        var generation: UInt64 = 0
        /// Bumped on every crash, restart and shutdown: timers and scripts of an earlier one are void.
        var incarnation = 0
        /// Which resources run here, one bit per resource (`Simulator.bits`).
        var running: UInt64 = 0
        var script: ScriptRun?
        var armed: Instant?
        var stalledUntil = Instant.zero
        /// Sequenced messages delivered to this incarnation: a second copy must change nothing.
        var seen: Set<MessageKey> = []
        var scriptFault: ScriptFault?
        var scriptFaultUntil = Instant.zero
        /// Resource tokens whose `start` always fails here (a scenario's `script X fails on N`).
        var failingStarts: Set<String> = []
        /// The services the monitors check, and the checks in flight (`Simulator+Health.swift`).
        var services = ServiceWorld()
    }

    public let config: SimConfig
    public let seed: UInt64
    /// Each node's configuration, parsed and validated from `config`'s files (`SimConfig+Files.swift`).
    let clusters: [ClusterConfig]
    /// The resource groups as the nodes parsed them from haresources.
    public let groups: [ResourceGroup]
    /// Stamps and encodes every message sent, as the daemon's transmit does.
    let outbound: Outbound
    var stamp = (seconds: UInt64.max, value: Outbound.Stamp(timestamp: 0, load: ""))
    /// `config.settleTime`, computed once: the safety check reads it after every event.
    let settleTime: Duration
    var rng: SplitMix64
    var queue = EventQueue<Action>()
    var network: Network
    var hosts: [Host]
    /// Kept apart from `hosts` so that `handle` mutates each node in place (no copy-on-write).
    var nodes: [Node?]
    /// Bit of each resource token; groups' masks.
    let bits: [String: Int]
    let groupMasks: [UInt64]
    public private(set) var now = Instant.zero
    var trace = Trace()
    public private(set) var violation: Violation?
    /// The `monitors` lines as the nodes parsed them, and what the health invariants remember
    /// (`Simulator+Health.swift`).
    let monitors: [MonitorSpec]
    var health: HealthWatch
    /// Since when nothing disturbs the cluster (no partition, lost medium, heavy loss or stall).
    public private(set) var quietSince = Instant.zero
    var replayRing: [(sender: Int, message: Message)] = []
    /// Where the next message goes once the ring is full: the oldest one's slot.
    var replayNext = 0
    var lastDecoded: (packet: [UInt8], message: Message)?
    /// Groups whose start an injected fault made fail: they stay released by design (deviation 1).
    public private(set) var failedGroups: Set<Int> = []
    /// Peers declared dead for silence while they were up, not stalled, and the network undisturbed.
    public private(set) var falseDeaths = 0
    public private(set) var scriptRuns = 0
    /// Messages the nodes sent (each counted once, however many peers and media carry it).
    public private(set) var messagesSent = 0
    var fencingState = SimFencingState()
    /// Successful STONITH resets so far.
    public var resets: Int { fencingState.resets }
    /// Packets the receiving node's `Wire.decode` refused (bad digest, corruption), by reason.
    public private(set) var rejectedPackets: [String: Int] = [:]
    /// Scenarios read what happened from `observations`; the sweep leaves this off.
    public var recordsObservations = false
    public private(set) var observations: [(time: Instant, observation: Observation)] = []
    /// Which ping nodes each host reaches (`Simulator+Ping.swift`).
    var ping: PingWorld
    /// Each ping node's echo `info`: `ping`, or `ping_group` for a `ping_group` line.
    let pingKinds: [String]
    /// A node reset by STONITH (or its watchdog) boots again after `SimFencing.rebootTime`.
    public var powersOnAfterReset = true

    public init(config: SimConfig, seed: UInt64) {
        self.config = config
        self.seed = seed
        self.clusters = config.clusters()
        self.groups = clusters[0].resourceGroups
        self.outbound = Outbound(cluster: clusters[0])
        let pingGroups = Set(clusters[0].pingGroups.map(\.name))
        self.pingKinds = (0..<config.pingNodes).map { pingGroups.contains(config.pingNodeName($0)) ? "ping_group" : "ping" }
        self.settleTime = config.settleTime
        self.rng = SplitMix64(seed: seed ^ SimLimits.scheduleSalt)
        self.network = Network(config: config)
        self.ping = PingWorld(nodeCount: config.nodeCount, pingNodes: config.pingNodes)
        self.hosts = Array(repeating: Host(), count: config.nodeCount)
        self.nodes = Array(repeating: nil, count: config.nodeCount)
        var bits: [String: Int] = [:]
        var masks: [UInt64] = []
        for group in groups {
            var mask: UInt64 = 0
            for resource in group.resources {
                precondition(bits[resource.token] == nil, "resource tokens must be unique")
                precondition(bits.count < SimLimits.maxResources, "at most \(SimLimits.maxResources) resources")
                bits[resource.token] = bits.count
                mask |= 1 << UInt64(bits.count - 1)
            }
            masks.append(mask)
        }
        self.bits = bits
        self.groupMasks = masks
        self.monitors = clusters[0].monitors
        self.health = HealthWatch(groupCount: groups.count)
        prepareHealthWatch()
    }

    // MARK: - Observing

    public var traceHash: UInt64 { trace.hash }
    public var steps: Int { trace.steps }
    public var traceLines: [String] { trace.lines }
    public func isUp(_ index: Int) -> Bool { hosts[index].state == .up }
    public func node(_ index: Int) -> Node? { nodes[index] }
    public func name(_ index: Int) -> String { config.nodeNames[index] }
    /// What the node's daemon would answer `cl_status`, nil while it is down.
    public func statusReport(_ index: Int) -> StatusReport? {
        nodes[index]?.statusReport(now: now, parameters: clusters[index].parameters)
    }
    public var upNodes: [Int] { hosts.indices.filter { hosts[$0].state == .up } }

    /// Nodes where every resource of the group runs.
    public func owners(ofGroup group: Int) -> [Int] {
        let mask = groupMasks[group]
        return hosts.indices.filter { hosts[$0].state == .up && hosts[$0].running & mask == mask }
    }

    /// Nodes where some resource of the group runs.
    public func holders(ofGroup group: Int) -> [Int] {
        let mask = groupMasks[group]
        return hosts.indices.filter { hosts[$0].state == .up && hosts[$0].running & mask != 0 }
    }

    /// The first group some resource of which runs on more than one live node; allocates
    /// nothing, as it runs after every event.
    func groupWithTwoHolders() -> Int? {
        groupMasks.indices.first { group in
            var holders = 0
            for host in hosts where host.state == .up && host.running & groupMasks[group] != 0 { holders += 1 }
            return holders > 1
        }
    }

    /// A partition, cut, lost medium or heavy loss is in force (kept up to date by the faults).
    var networkDisturbed = false
    /// The end of the latest stall.
    var stallsEnd = Instant.zero

    var isDisturbed: Bool { networkDisturbed || stallsEnd > now }

    // MARK: - Running

    public mutating func run(for duration: Duration) { run(until: now + duration) }

    /// Processes every event due up to `end`, checking the invariants after each; stops early at a violation.
    public mutating func run(until end: Instant) {
        while violation == nil, let time = queue.nextTime, time <= end {
            guard trace.steps < SimLimits.maxStepsPerRun else {
                fail("livelock", "more than \(SimLimits.maxStepsPerRun) events")
                return
            }
            let entry = queue.pop()!
            now = entry.time
            process(entry.item)
            checkSafety()
        }
        if violation == nil, end > now { now = end }
    }

    mutating func process(_ action: Action) {
        switch action {
        case .deliver(let to, let sender, let link, let message):
            guard hosts[to].state == .up else { return }
            if hosts[to].stalledUntil > now { return queue.push(action, at: hosts[to].stalledUntil) }
            deliver(message, to: to, sender: sender, link: link)
        case .deliverPacket(let to, let sender, let link, let packet):
            guard hosts[to].state == .up else { return }
            if hosts[to].stalledUntil > now { return queue.push(action, at: hosts[to].stalledUntil) }
            do {
                deliver(try decode(packet), to: to, sender: sender, link: link)
            } catch {
                rejectedPackets[error.reason, default: 0] += 1
                note("\(name(to)) rejected a packet on \(config.links[link]): \(error.reason)")
            }
        case .tick(let index, let incarnation, let due):
            guard hosts[index].state == .up, hosts[index].incarnation == incarnation, hosts[index].armed == due else { return }
            if hosts[index].stalledUntil > now { return queue.push(action, at: hosts[index].stalledUntil) }
            hosts[index].armed = nil
            trace.record(.tick(node: index), at: now)
            handle(index, .tick)
        case .scriptEnd(let index, let incarnation, let run, let outcome):
            guard hosts[index].state == .up, hosts[index].incarnation == incarnation else { return }
            if hosts[index].stalledUntil > now { return queue.push(action, at: hosts[index].stalledUntil) }
            finishScript(index, run, outcome)
        case .checkEnd(let index, let incarnation, let run, let outcome):
            guard hosts[index].state == .up, hosts[index].incarnation == incarnation else { return }
            if hosts[index].stalledUntil > now { return queue.push(action, at: hosts[index].stalledUntil) }
            finishCheck(index, run, outcome)
        case .fenceEnd, .watchdogFires, .powerOn:
            processFencing(action)
        }
    }

    /// `Wire.decode` with the cluster's keys. A broadcast puts the same bytes on the way to every
    /// peer and link, and decoding is a pure function of them: the last result is reused.
    mutating func decode(_ packet: [UInt8]) throws(WireError) -> Message {
        if let last = lastDecoded, last.packet == packet { return last.message }
        let message = try Wire.decode(packet, keys: config.authKeys!).message
        lastDecoded = (packet, message)
        return message
    }

    mutating func deliver(_ message: Message, to index: Int, sender: Int, link: Int) {
        var key: MessageKey?
        if let seq = message.first(named: "seq"), case .string(let seqBytes) = seq.value,
           let hg = message.first(named: "hg"), case .string(let hgBytes) = hg.value {
            key = MessageKey(sender: sender, generation: hgBytes, seq: seqBytes)
        }
        let duplicate = key.map { hosts[index].seen.contains($0) } ?? false
        if duplicate, let deadline = nodes[index]?.deadlineInPlace(), deadline <= now {
            // Let what was due anyway happen first, so that it is not blamed on the duplicate.
            hosts[index].armed = nil
            trace.record(.tick(node: index), at: now)
            handle(index, .tick)
        }
        // Ping echoes (`Simulator+Ping.swift`) would crowd everything else out of the trace.
        if message.type != .pingStatus {
            trace.record(.deliver(node: index, link: config.links[link], message: message, duplicate: duplicate), at: now)
        }
        if let key { hosts[index].seen.insert(key) }
        guard duplicate, let before = nodes[index]?.resources?.groups else {
            handle(index, .received(message, link: config.links[link]))
            return
        }
        let scripts = scriptRuns
        handle(index, .received(message, link: config.links[link]))
        if scriptRuns != scripts {
            fail("duplicate", "a second copy of a message made \(name(index)) run a script")
        } else if let after = nodes[index]?.resources?.groups, after != before {
            fail("duplicate", "a second copy of a message changed \(name(index))'s groups")
        }
    }

    /// Feeds one event to a node, carries out its effects and re-arms its timer.
    mutating func handle(_ index: Int, _ event: Node.Event) {
        guard let effects = nodes[index]?.handle(event, now: now) else { return }
        for effect in effects { carryOut(effect, from: index) }
        armTimer(index)
    }

    /// Queues the node's next tick if its deadline moved.
    mutating func armTimer(_ index: Int) {
        guard hosts[index].state == .up, let deadline = nodes[index]?.deadlineInPlace() else { return }
        if deadline != hosts[index].armed {
            hosts[index].armed = deadline
            queue.push(.tick(node: index, incarnation: hosts[index].incarnation, due: deadline), at: max(deadline, now))
        }
    }

    mutating func carryOut(_ effect: Node.Effect, from index: Int) {
        switch effect {
        case .send(let message), .resend(let message):
            broadcast(message, from: index)
        case .log(let level, let text):
            trace.record(.log(node: index, level, text), at: now)
            observe(.log(node: index, level, text))
        case .heartbeatSent:
            echoPings(from: index)
        case .nodeStatusChanged(let node, _, .dead, .timedOut):
            if !isDisturbed, hosts[index].stalledUntil <= now, let peer = config.nodeNames.firstIndex(of: node),
               hosts[peer].state == .up {
                falseDeaths += 1
            }
        case .nodeStatusChanged, .linkStatusChanged, .groupStateChanged:
            break
        case .runScript(let run):
            startScript(index, run)
        case .announce(let group, _):
            observe(.announced(node: index, group: group))
        case .notify:
            break
        case .fence(let target):
            requestFence(from: index, target: target)
        case .starveWatchdog:
            starveWatchdog(index)
        case .runCheck(let run):
            startCheck(index, run)
        case .cancelCheck(let id):
            hosts[index].services.checksInFlight[id] = nil
        case .shutdownComplete:
            if hosts[index].running != 0 {
                fail("shutdown", "\(name(index)) finished shutting down with resources running")
            }
            hosts[index].state = .shutDown
            observe(.down(node: index))
            nodes[index] = nil
            hosts[index].incarnation += 1
            hosts[index].running = 0
        }
    }

    mutating func broadcast(_ message: Message, from index: Int) {
        messagesSent += 1
        if !monitors.isEmpty { noteMoveRequest(message, from: index) }
        // As the daemon: stamped, then one signed encoding for every medium.
        let message = outbound.stamped(message, currentStamp())
        if message.first(named: "seq") != nil {
            if replayRing.count < SimLimits.replayRingSize {
                replayRing.append((index, message))
            } else {
                replayRing[replayNext] = (index, message)
                replayNext = (replayNext + 1) % SimLimits.replayRingSize
            }
        }
        let signed = config.authKeys.map { self.packet(message, keys: $0) }
        for link in config.links.indices {
            for peer in hosts.indices where peer != index {
                for delay in network.copies(from: index, to: peer, link: link, rng: &rng) {
                    if let signed {
                        queue.push(.deliverPacket(to: peer, sender: index, link: link, packet: signed), at: now + delay)
                    } else {
                        queue.push(.deliver(to: peer, sender: index, link: link, message: message), at: now + delay)
                    }
                }
            }
        }
    }

    /// The stamp of this virtual second: `ts` counts seconds since the start of the run, and `ld`
    /// is fixed (no machine behind it has a load). Made once a second, not once a message.
    mutating func currentStamp() -> Outbound.Stamp {
        let seconds = UInt64(now.nanoseconds / 1_000_000_000)
        if seconds != stamp.seconds { stamp = (seconds, Outbound.Stamp(timestamp: seconds, load: Self.load)) }
        return stamp.value
    }

    static let load = "0.00 0.00 0.00 1/1 1"

    /// A stamped message as the wire carries it, signed with `keys`. Only a message too large for
    /// the wire fails to encode; the simulator's never are.
    public func packet(_ stamped: Message, keys: AuthKeys) -> [UInt8] {
        (try? outbound.packet(stamped, keys: keys)) ?? []
    }

    /// A message stamped now, as node messages are, and signed with `keys`: a packet to `inject`.
    public func forgedPacket(_ message: Message, keys: AuthKeys) -> [UInt8] {
        packet(outbound.stamped(message, Outbound.Stamp(timestamp: UInt64(now.nanoseconds / 1_000_000_000), load: Self.load)), keys: keys)
    }

    /// Puts a packet on the wire to `target` as if `sender` had sent it (a forgery or a corrupted
    /// copy): it is authenticated like every other packet. Needs `config.authKeys`.
    public mutating func inject(_ packet: [UInt8], from sender: Int, to target: Int, link: Int = 0) {
        note("inject \(packet.count) bytes from \(name(sender)) to \(name(target))")
        queue.push(.deliverPacket(to: target, sender: sender, link: link, packet: packet), at: now + config.baseDelay)
    }

    // MARK: - Scripts

    mutating func startScript(_ index: Int, _ run: ScriptRun) {
        scriptRuns += 1
        trace.record(.script(node: index, run), at: now)
        if let other = hosts[index].script {
            fail("scripts", "\(name(index)) runs #\(run.id) while #\(other.id) still runs")
            return
        }
        hosts[index].script = run
        checkOrder(index, run)
        var outcome = Outcome.succeed
        if let fault = hosts[index].scriptFault, hosts[index].scriptFaultUntil > now, rng.next(below: 2) == 0 {
            switch (fault, run.operation) {
            case (.failStart, .start): outcome = .fail
            case (.failStop, .stop): outcome = .fail
            case (.hang, _): outcome = .hang
            default: break
            }
        }
        if run.operation == .start, hosts[index].failingStarts.contains(run.resource.token) { outcome = .fail }
        observe(.scriptBegan(node: index, run))
        if run.operation == .start, let group = groupIndex(run.groupKey), outcome != .succeed {
            failedGroups.insert(group)
        }
        if run.operation == .start, let bit = bits[run.resource.token] {
            // A start makes the resource busy from its first moment: the strictest reading.
            hosts[index].running |= 1 << UInt64(bit)
            restartService(index, bit: bit)
        }
        if run.operation != .stop { checkHealthMove(index, run) }
        let span = UInt64((config.scriptTimeMax - config.scriptTimeMin).nanoseconds)
        let duration = config.scriptTimeMin + .nanoseconds(Int64(rng.next(below: span + 1)))
        let end = outcome == .hang ? now + run.timeout : now + duration
        queue.push(.scriptEnd(node: index, incarnation: hosts[index].incarnation, run: run, outcome: outcome), at: end)
    }

    mutating func finishScript(_ index: Int, _ run: ScriptRun, _ outcome: Outcome) {
        guard hosts[index].script?.id == run.id else { return }
        hosts[index].script = nil
        let bit: UInt64 = bits[run.resource.token].map { 1 << UInt64($0) } ?? 0
        var code: Int32? = 0
        var output = ""
        switch (run.operation, outcome) {
        case (_, .hang): code = nil
        case (.start, .fail): code = 1; hosts[index].running &= ~bit
        case (.stop, .succeed):
            hosts[index].running &= ~bit
            if let stopped = bits[run.resource.token] { restartService(index, bit: stopped) }
        case (.stop, .fail): code = 1
        case (.status, _): output = hosts[index].running & bit != 0 ? "running" : "stopped"
        case (.start, .succeed): break
        }
        trace.record(.scriptEnd(node: index, run, exitCode: code, output: output), at: now)
        observe(.scriptEnded(node: index, run, exitCode: code))
        if let code {
            handle(index, .scriptFinished(run.id, exitCode: code, output: output))
        } else {
            handle(index, .scriptTimedOut(run.id))
        }
    }

    func groupIndex(_ key: String) -> Int? { groups.firstIndex { $0.key == key } }

    /// Invariant 3: a group starts left to right and stops right to left on one node.
    mutating func checkOrder(_ index: Int, _ run: ScriptRun) {
        guard let group = groupIndex(run.groupKey),
              let position = groups[group].resources.firstIndex(of: run.resource) else { return }
        let tokens = groups[group].resources.map(\.token)
        let running = tokens.map { hosts[index].running & (1 << UInt64(bits[$0]!)) != 0 }
        let node = name(index)
        switch run.operation {
        case .start:
            if running[..<position].contains(false) {
                fail("order", "\(node) starts \(run.resource.token) before everything left of it in \(run.groupKey) runs")
            } else if running[(position + 1)...].contains(true) {
                fail("order", "\(node) starts \(run.resource.token) while something right of it in \(run.groupKey) runs")
            }
        case .stop:
            if running[(position + 1)...].contains(true) {
                fail("order", "\(node) stops \(run.resource.token) while something right of it in \(run.groupKey) still runs")
            }
        case .status:
            break
        }
    }

    // MARK: - Invariants

    mutating func fail(_ invariant: String, _ detail: String) {
        guard violation == nil else { return }
        violation = Violation(invariant: invariant, time: now, detail: detail)
    }

    /// Invariant 1: in a cluster connected and quiet for `settleTime`, no group has resources
    /// running on two live nodes. (During and just after a partition, two owners is 3.0.6's
    /// expected outcome without fencing.)
    mutating func checkSafety() {
        checkFencedSafety()
        checkPingRelease()
        checkHealth()
        guard !isDisturbed, now - quietSince >= settleTime, let group = groupWithTwoHolders() else { return }
        fail("one owner", "group \(groups[group].key) runs on \(holders(ofGroup: group).map { name($0) }) in a connected, settled cluster")
    }

    /// Invariants 2 and 3 once quiet: every group (but those a start fault left released) runs
    /// whole on exactly one live node, and no node holds part of a group.
    public mutating func checkSettled() {
        guard violation == nil else { return }
        for group in groupMasks.indices {
            let key = groups[group].key
            let holders = holders(ofGroup: group)
            let owners = owners(ofGroup: group)
            if let partial = holders.first(where: { !owners.contains($0) }) {
                return fail("half-started", "group \(key) is partly running on \(name(partial)) after settling")
            }
            if failedGroups.contains(group) { continue }
            if owners.count != 1 {
                return fail("running somewhere", "group \(key) runs on \(owners.map { name($0) }) after settling (up: \(upNodes.map { name($0) }))")
            }
        }
    }

    // MARK: - Faults and operations

    mutating func note(_ text: String) { trace.record(.fault(text), at: now) }

    mutating func observe(_ observation: Observation) {
        if recordsObservations { observations.append((now, observation)) }
    }

    mutating func markDisturbed() {
        quietSince = max(quietSince, now)
        networkDisturbed = network.isPartitioned || network.lossPerMille > SimLimits.disturbingLossPerMille
    }

    /// Starts (or restarts, with the next generation and the same UUID) a node.
    public mutating func start(_ index: Int) {
        guard hosts[index].state != .up else { return }
        hosts[index].generation += 1
        hosts[index].incarnation += 1
        hosts[index].state = .up
        hosts[index].running = 0
        hosts[index].script = nil
        hosts[index].services.checksInFlight = [:]
        hosts[index].armed = nil
        hosts[index].seen = []
        nodes[index] = Node(cluster: clusters[index], identity: config.identity(node: index, generation: hosts[index].generation, seed: seed),
                            scripts: config.scripts(node: index), resourceNodes: config.resourceNodes)
        ping.upSince[index] = now
        health.lastUpheaval = now
        note("start \(name(index)) generation \(hosts[index].generation)")
        handle(index, .start)
    }

    /// The node dies at once: no more sending, ticking or scripts; its resources die with it.
    public mutating func crash(_ index: Int) {
        guard hosts[index].state == .up else { return }
        note("crash \(name(index))")
        health.lastUpheaval = now
        hosts[index].state = .down
        nodes[index] = nil
        hosts[index].incarnation += 1
        hosts[index].running = 0
        hosts[index].script = nil
        hosts[index].stalledUntil = .zero
        observe(.down(node: index))
    }

    /// SIGTERM: the node releases its groups and stops.
    public mutating func shutdown(_ index: Int) {
        guard hosts[index].state == .up else { return }
        note("shutdown \(name(index))")
        health.lastUpheaval = now
        handle(index, .shutdown)
    }

    public mutating func standby(_ index: Int, _ set: ResourceSet) {
        guard hosts[index].state == .up else { return }
        note("hb_standby \(set.rawValue) on \(name(index))")
        health.lastUpheaval = now
        handle(index, .standby(set))
    }

    public mutating func takeover(_ index: Int, _ set: ResourceSet) {
        guard hosts[index].state == .up else { return }
        note("hb_takeover \(set.rawValue) on \(name(index))")
        health.lastUpheaval = now
        handle(index, .takeover(set))
    }

    /// Cuts every medium between the sides, both ways (nodes on no side keep talking to all).
    public mutating func partition(_ sides: [[Int]]) {
        note("partition \(sides.map { $0.map { name($0) } })")
        for (a, sideA) in sides.enumerated() {
            for (b, sideB) in sides.enumerated() where a != b {
                for from in sideA { for to in sideB { network.blocked[from][to] = true } }
            }
        }
        markDisturbed()
    }

    /// Nothing from `from` reaches `to`; the other direction still works.
    public mutating func cut(from: Int, to: Int) {
        note("cut \(name(from)) -> \(name(to))")
        network.blocked[from][to] = true
        markDisturbed()
    }

    /// One node's interface on one medium goes down (or comes back): nothing passes it either way.
    public mutating func setInterface(_ index: Int, link: Int, up: Bool) {
        note("\(name(index)) \(config.links[link]) \(up ? "up" : "down")")
        network.interfaceDown[index][link] = !up
        markDisturbed()
    }

    /// From now on every `start` of the resource `token` on this node fails (or works again).
    public mutating func setStartFails(_ index: Int, token: String, _ fails: Bool) {
        note("start of \(token) on \(name(index)) \(fails ? "fails" : "works")")
        if fails { hosts[index].failingStarts.insert(token) } else { hosts[index].failingStarts.remove(token) }
    }

    public mutating func mediumDown(_ link: Int) {
        note("medium \(config.links[link]) down")
        network.linkDown[link] = true
        markDisturbed()
    }

    public mutating func setLoss(perMille: Int) {
        note("loss \(perMille)‰")
        network.lossPerMille = perMille
        markDisturbed()
    }

    /// Every partition, cut and lost medium mends and loss returns to the baseline.
    public mutating func heal() {
        note("heal")
        network = Network(config: config)
        markDisturbed()
    }

    /// The node's event loop stops for `duration`: what arrives meanwhile is handled late.
    public mutating func stall(_ index: Int, for duration: Duration) {
        guard hosts[index].state == .up else { return }
        note("stall \(name(index)) for \(duration.milliseconds)ms")
        hosts[index].stalledUntil = now + duration
        stallsEnd = max(stallsEnd, now + duration)
        quietSince = max(quietSince, stallsEnd)
    }

    /// For `duration`, half of this node's matching scripts misbehave.
    public mutating func scriptFault(_ index: Int, _ fault: ScriptFault, for duration: Duration) {
        note("script fault \(fault.rawValue) on \(name(index)) for \(duration.milliseconds)ms")
        hosts[index].scriptFault = fault
        hosts[index].scriptFaultUntil = now + duration
    }

    /// Delivers again a message sent earlier (a replay on the wire) to a node that already had it.
    public mutating func replay() {
        guard !replayRing.isEmpty else { return }
        // The draw counts from the oldest message, whichever slot it is in.
        let age = Int(rng.next(below: UInt64(replayRing.count)))
        let (sender, message) = replayRing[(replayNext + age) % replayRing.count]
        let targets = hosts.indices.filter { $0 != sender && hosts[$0].state == .up }
        guard !targets.isEmpty else { return }
        let target = targets[Int(rng.next(below: UInt64(targets.count)))]
        note("replay a message of \(name(sender)) to \(name(target))")
        if let keys = config.authKeys {
            queue.push(.deliverPacket(to: target, sender: sender, link: 0, packet: packet(message, keys: keys)),
                       at: now + config.baseDelay)
        } else {
            queue.push(.deliver(to: target, sender: sender, link: 0, message: message), at: now + config.baseDelay)
        }
    }
}
