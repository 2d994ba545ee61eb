import HeartbeatCore

/// Ping nodes in the simulator: ping node `pingK` answers a host's heartbeat with the echo of
/// 3.0.6's `NS_st` payload when that host reaches it. Faults take a host's ping reachability away
/// and give it back; the invariant "a node that reaches no ping node while its peer does holds no
/// group after its release deadline" is checked after every event.
struct PingWorld: Sendable {
    /// reaches[host][ping]
    var reaches: [[Bool]]
    /// Since when the host reaches no ping node (nil while it reaches one).
    var lostSince: [Instant?]
    /// Since when the host reaches some ping node continuously.
    var reachSince: [Instant]
    var upSince: [Instant]

    init(nodeCount: Int, pingNodes: Int) {
        reaches = Array(repeating: Array(repeating: true, count: pingNodes), count: nodeCount)
        lostSince = Array(repeating: nil, count: nodeCount)
        reachSince = Array(repeating: .zero, count: nodeCount)
        upSince = Array(repeating: .zero, count: nodeCount)
    }
}

extension SimConfig {
    /// Ping node `index` as the nodes know it: `ping1`, `ping2`… unless `pingNames` names it.
    public func pingNodeName(_ index: Int) -> String { index < pingNames.count ? pingNames[index] : "ping\(index + 1)" }

    /// How long after losing its last ping node a node must hold nothing, once its peer reaches
    /// one and the cluster is quiet: the ping node's death (deadping after the last echo, which
    /// came up to a keepalive earlier), one standby the peer ignored (it is abandoned after the
    /// 10 s reply timeout, spec §6.8), one hold-down (then we ask again), and the time a cluster
    /// needs to settle (groups moved twice).
    public var pingReleaseDeadline: Duration {
        deadping + keepalive + ResourceLimits.standbyReplyTimeout + ArbitrationConfig.defaultHoldDown(deadping: deadping) + settleTime
    }

    /// Two-node clusters not in legacy mode get one or two ping nodes and arbitration half the
    /// time, drawn apart so that every other seed keeps the cluster it always had.
    mutating func drawPing(seed: UInt64) {
        guard nodeCount == 2, autoFailback != .legacy else { return }
        var rng = SplitMix64(seed: seed ^ SimLimits.pingSalt)
        guard rng.next(below: 2) == 0 else { return }
        pingNodes = 1 + Int(rng.next(below: 2))
        arbitration = true
    }
}

extension SimLimits {
    static let pingSalt: UInt64 = 0x5EED_9146_0000_0003
}

extension Simulator {
    /// Our heartbeat reached the ping nodes we can reach: their echoes come back.
    mutating func echoPings(from index: Int) {
        let timestamp = currentStamp().timestamp
        for target in 0..<config.pingNodes where ping.reaches[index][target] {
            var echo = Message(type: .pingStatus, ("st", "ping"), ("info", pingKinds[target]), ("src", config.pingNodeName(target)))
            echo.fields.append(Field(name: "ts", value: timestamp))
            queue.push(.deliver(to: index, sender: index, link: 0, message: echo), at: now + config.baseDelay * 2)
        }
    }

    /// The host no longer reaches any ping node.
    public mutating func losePing(_ index: Int) {
        note("\(name(index)) loses every ping node")
        for target in 0..<config.pingNodes { ping.reaches[index][target] = false }
        if ping.lostSince[index] == nil { ping.lostSince[index] = now }
    }

    public func reachesNoPingNode(_ index: Int) -> Bool { ping.lostSince[index] != nil }

    public mutating func restorePing(_ index: Int) {
        note("\(name(index)) reaches its ping nodes again")
        for target in 0..<config.pingNodes { ping.reaches[index][target] = true }
        if ping.lostSince[index] != nil {
            ping.lostSince[index] = nil
            ping.reachSince[index] = now
        }
    }

    /// Invariant 4: a node that reaches no ping node while its peer does holds no group once
    /// `pingReleaseDeadline` has passed since that became true in a quiet cluster.
    mutating func checkPingRelease() {
        guard config.pingNodes > 0, config.arbitration, config.autoFailback != .legacy else { return }
        for index in hosts.indices where hosts[index].state == .up && hosts[index].running != 0 {
            guard let lost = ping.lostSince[index] else { continue }
            let peersReaching = hosts.indices.filter { $0 != index && hosts[$0].state == .up && ping.lostSince[$0] == nil }
            guard let peerSince = peersReaching.map({ max(ping.upSince[$0], ping.reachSince[$0]) }).min() else { continue }
            let since = [lost, peerSince, ping.upSince[index], quietSince, hosts[index].scriptFaultUntil].max()!
            if !isDisturbed, now > since + config.pingReleaseDeadline {
                fail("ping release", "\(name(index)) reaches no ping node while \(peersReaching.map { name($0) }) do, "
                     + "and still runs resources \((now - since).milliseconds) ms later (deadline \(config.pingReleaseDeadline.milliseconds) ms)")
            }
        }
    }
}
