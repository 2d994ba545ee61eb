import HeartbeatCore

/// The shape of one simulated cluster: nodes, media, timing, resource groups, script speed and
/// the network's baseline behaviour. `random(seed:)` draws one from a seed; scripted scenarios
/// build one by hand.
public struct SimConfig: Sendable, Hashable, CustomStringConvertible {
    /// `node1`, `node2`… unless the cluster comes from real files (`hbctl simulate`).
    public var nodeNames: [String]
    public var nodeCount: Int { nodeNames.count }
    /// Medium names (`eth0`, `eth1`): every message goes out on each of them.
    public var links: [String]
    public var keepalive: Duration
    public var deadtime: Duration
    /// nil: not written in ha.cf, so the validator derives it as the daemon's does.
    public var warntime: Duration?
    public var initdead: Duration
    public var autoFailback: AutoFailback
    public var groups: [ResourceGroup]
    /// Every script run takes a time drawn from this range (both ends included).
    public var scriptTimeMin: Duration
    public var scriptTimeMax: Duration
    /// start, stop and status timeouts: a hung script ends with `.scriptTimedOut` after this.
    public var scriptTimeout: Duration
    public var stopRetryMax: Int
    public var stopRetryDelay: Duration
    public var stopFailureRetry: Duration
    /// Baseline network, always on: one-way delay plus a uniform jitter (which reorders),
    /// and per-mille rates of loss and duplication per copy per medium.
    public var baseDelay: Duration
    public var jitter: Duration
    public var lossPerMille: Int
    public var duplicatePerMille: Int
    /// Give every node (not just the first pair) a resource manager.
    public var allNodesRunResources = false
    /// The STONITH device every node has (Simulator+Fencing.swift).
    public var fencing = SimFencing.none
    /// Every node has a watchdog: a stop failure makes it reboot the node.
    public var watchdog = false
    /// With keys, every message goes on the simulated wire encoded and signed as the daemon sends
    /// it, and is decoded and authenticated on arrival (a bad packet is rejected, as in the
    /// runtime); without, messages travel as values (faster: the random sweep).
    public var authKeys: AuthKeys?
    /// Ping nodes every node pings (`ping1`…, or `pingNames`), and built-in arbitration (`Simulator+Ping.swift`).
    public var pingNodes = 0
    public var arbitration = false
    /// Names for the first ping nodes (a scenario names its ping node as the netns run does).
    public var pingNames: [String] = []
    /// How long a ping node may stay silent before it is dead; 3.0.6's default is deadtime.
    public var deadping: Duration
    /// The `monitors` file's text (nil: no file, no monitoring), and how long a check of a healthy
    /// service takes, drawn from this range (`Simulator+Health.swift`).
    public var monitorsFile: String?
    public var checkLatencyMin = Duration.milliseconds(1)
    public var checkLatencyMax = Duration.milliseconds(20)
    /// A real directory's files (`hbctl simulate`): the nodes read these instead of files written
    /// from the values above, which must then describe the same cluster.
    public var realFiles: SimFiles?

    public init(
        nodeCount: Int = 2, links: [String] = ["eth0"], keepalive: Duration = .milliseconds(200),
        deadtime: Duration = .seconds(1), autoFailback: AutoFailback = .on, groups: [ResourceGroup]? = nil,
        scriptTimeMin: Duration = .milliseconds(5), scriptTimeMax: Duration = .milliseconds(100),
        scriptTimeout: Duration = .seconds(1), baseDelay: Duration = .milliseconds(1),
        jitter: Duration = .milliseconds(2), lossPerMille: Int = 0, duplicatePerMille: Int = 0
    ) {
        precondition((SimLimits.minNodes...SimLimits.maxNodes).contains(nodeCount), "2 to \(SimLimits.maxNodes) nodes")
        self.nodeNames = (0..<nodeCount).map(Self.nodeName)
        self.links = links
        self.keepalive = keepalive
        self.deadtime = deadtime
        self.deadping = deadtime
        self.initdead = deadtime * 2
        self.autoFailback = autoFailback
        self.groups = groups ?? Self.defaultGroups(nodeCount: nodeCount, resourcesPerGroup: [2, 1])
        self.scriptTimeMin = scriptTimeMin
        self.scriptTimeMax = scriptTimeMax
        self.scriptTimeout = scriptTimeout
        self.stopRetryMax = 1
        self.stopRetryDelay = scriptTimeMax
        self.stopFailureRetry = deadtime
        self.baseDelay = baseDelay
        self.jitter = jitter
        self.lossPerMille = lossPerMille
        self.duplicatePerMille = duplicatePerMille
    }

    public static func nodeName(_ index: Int) -> String { "node\(index + 1)" }

    /// One group per entry of `resourcesPerGroup`, preferred by the nodes in turn (group K has
    /// the resources `sim::gKrJ`, and as in haresources its first one is its key). With more
    /// than two nodes only node1 and node2 are preferred: v1 haresources describes a pair
    /// (spec §6.6); the other nodes are spectators.
    public static func defaultGroups(nodeCount: Int, resourcesPerGroup: [Int]) -> [ResourceGroup] {
        resourcesPerGroup.enumerated().map { index, count in
            let resources = (1...max(1, count)).map {
                Resource(script: "sim", arguments: ["g\(index + 1)r\($0)"], token: "sim::g\(index + 1)r\($0)")
            }
            return ResourceGroup(preferredNode: nodeName(index % 2), key: resources[0].token, resources: resources, line: index + 1)
        }
    }

    /// How long after the last disturbance (partition, lost medium, heavy loss, stall) a
    /// connected cluster must have settled: one `deadtime` for the membership to see the truth,
    /// two keepalives for the news to travel (and be retransmitted once), then every group
    /// stopped on one node and started on another, status checks included, twice over (a heal
    /// releases, a failback moves again), a failed stop's retries and its parked retry, plus a
    /// margin of `SimLimits.settleMarginKeepalives` keepalives. A node that started less than
    /// `MembershipLimits.startupBonusPeriod` ago advertises a longer deadtime (spec §5.4): its
    /// death takes `startupDeadtimeBonus` longer to notice.
    public var settleTime: Duration {
        let resources = groups.reduce(0) { $0 + $1.resources.count }
        let perScript = scriptTimeMax + baseDelay + jitter
        let scripts = perScript * (resources * SimLimits.scriptsPerResourceMove * 2)
        let stopFailure = (stopRetryDelay + scriptTimeout) * (stopRetryMax + 1) + stopFailureRetry + scriptTimeout * 2
        // A fence race: the priority delay, one refused attempt and its retry, the reboot of the
        // fenced node and its initdead; or a starved watchdog's timeout and the reboot.
        let refusals: Int64 = fencing == .flaky ? 1 : 0
        let fence = fencing == .none ? Duration.zero
            : .seconds(5) * (1 + refusals) + SimFencing.latency(self) * (1 + refusals) + SimFencing.rebootTime(self) + initdead
        let reboot = watchdog ? SimFencing.watchdogTimeout(self) + SimFencing.rebootTime(self) + initdead : .zero
        return deadtime + MembershipLimits.startupDeadtimeBonus + keepalive * (2 + SimLimits.settleMarginKeepalives)
            + scripts + stopFailure + max(fence, reboot)
    }

    /// A configuration drawn from `seed`: 2 or 3 nodes, each `auto_failback` mode, 1 or 2 media,
    /// several keepalive/deadtime ratios, script speeds and baseline networks; one in eight
    /// signs and authenticates every packet on the simulated wire.
    public static func random(seed: UInt64) -> SimConfig {
        var rng = SplitMix64(seed: seed ^ SimLimits.configSalt)
        func pick<T>(_ values: [T]) -> T { values[Int(rng.next(below: UInt64(values.count)))] }
        let nodeCount = rng.next(below: 4) == 0 ? 3 : 2
        let links = pick([["eth0"], ["eth0", "eth1"]])
        let keepalive = Duration.milliseconds(pick([100, 200, 500]))
        let ratio = pick([4, 5, 8, 10])
        let scriptMax = keepalive / pick([10, 4, 1])
        let groupSizes = pick([[1], [2, 1], [3, 2], [1, 1, 2]])
        var config = SimConfig(
            nodeCount: nodeCount, links: links, keepalive: keepalive, deadtime: keepalive * ratio,
            autoFailback: pick([AutoFailback.on, .off, .legacy]),
            groups: defaultGroups(nodeCount: nodeCount, resourcesPerGroup: groupSizes),
            scriptTimeMin: .milliseconds(1), scriptTimeMax: scriptMax,
            scriptTimeout: scriptMax * 3 + .milliseconds(100),
            baseDelay: .microseconds(Int64(pick([100, 1000, 5000]))),
            jitter: .microseconds(Int64(pick([0, 2000, 20_000]))),
            lossPerMille: pick([0, 0, 5, 20]), duplicatePerMille: pick([0, 10, 100]))
        config.stopRetryMax = pick([0, 1, 2])
        // Rare, since a fence race's 5 s delays and retries lengthen every settling period.
        config.fencing = pick([SimFencing.reliable, .flaky] + Array(repeating: .none, count: 10))
        config.watchdog = rng.next(below: 12) == 0
        // Drawn last, so that the draws above (and the seeds' configurations) stay as they were.
        if rng.next(below: 8) == 0 {
            let method = pick([AuthMethod.crc, .md5, .sha1])
            config.authKeys = AuthKeys(AuthKey(slot: 1, method: method, secret: method.needsKey ? Array("sim\(seed)".utf8) : []))
        }
        config.drawPing(seed: seed)
        config.drawMonitors(seed: seed)
        return config
    }

    public var description: String {
        let sizes = groups.map { String($0.resources.count) }.joined(separator: ",")
        return "nodes=\(nodeCount) media=\(links.count) keepalive=\(keepalive.milliseconds)ms deadtime=\(deadtime.milliseconds)ms "
            + "auto_failback=\(autoFailback.rawValue) groups=[\(sizes)] scripts=\(scriptTimeMin.milliseconds)-\(scriptTimeMax.milliseconds)ms "
            + "delay=\(baseDelay.nanoseconds / 1000)us+\(jitter.nanoseconds / 1000)us loss=\(lossPerMille)‰ dup=\(duplicatePerMille)‰"
            + " stonith=\(fencing.rawValue) watchdog=\(watchdog ? "yes" : "no")"
            + " auth=\(authKeys.map { $0.active.method.rawValue } ?? "none")"
            + (pingNodes > 0 ? " ping=\(pingNodes) arbitration=\(arbitration ? "on" : "off")" : "")
            + (pingNodes > 0 && deadping != deadtime ? " deadping=\(deadping.milliseconds)ms" : "")
            + (monitorsFile.map { " monitors=\($0.split(separator: "\n").count)" } ?? "")
    }

    /// The nodes that run resources: v1 haresources is for a pair (spec §6.6); 3.0.6 has no rule
    /// for a third node, and ours double-starts a dead node's groups on both survivors (see
    /// `SimScenarioTests.threeResourceNodesDoubleStart`). Other nodes run membership only (`-M`).
    public var resourceNodeCount: Int { min(nodeCount, SimLimits.resourceNodes) }

    /// The resource manager's peers when not every node runs one (see `resourceNodeCount`).
    var resourceNodes: [String]? {
        allNodesRunResources || resourceNodeCount == nodeCount ? nil : Array(nodeNames.prefix(resourceNodeCount))
    }

    /// Node `index`'s resource scripts as the simulator runs them, or nil when it runs membership only.
    func scripts(node index: Int) -> ScriptTimings? {
        guard index < resourceNodeCount || allNodesRunResources else { return nil }
        return ScriptTimings(startTimeout: scriptTimeout, stopTimeout: scriptTimeout, statusTimeout: scriptTimeout,
                             stopRetryMax: stopRetryMax, stopRetryDelay: stopRetryDelay, stopFailureRetry: stopFailureRetry)
    }

    /// What node `index` persists: its UUID, and a generation and ACK seed per boot.
    func identity(node index: Int, generation: UInt64, seed: UInt64) -> NodeIdentity {
        NodeIdentity(uuid: (0..<16).map { $0 == 15 ? UInt8(index + 1) : UInt8(0xA0 + $0) }, generation: generation,
                     ackSeed: seed &+ UInt64(index) &* 0x9E37_79B9 &+ generation)
    }
}

/// Every bound of the simulator, in one place.
public enum SimLimits {
    public static let minNodes = 2
    public static let maxNodes = 64
    /// How many nodes run resources unless `allNodesRunResources`.
    public static let resourceNodes = 2
    /// Resources across all groups are tracked as bits of one `UInt64` per node.
    public static let maxResources = 64
    /// A run stops with a violation after this many events (a livelock guard).
    public static let maxStepsPerRun = 2_000_000
    /// Events kept for the failure report.
    public static let traceLength = 60
    /// Of which the report shows the last few raw ones too.
    public static let traceTail = 12
    /// Sequenced messages remembered for replay faults.
    public static let replayRingSize = 64
    /// status + start on the new owner, stop on the old one.
    public static let scriptsPerResourceMove = 3
    public static let settleMarginKeepalives = 4
    /// Loss above this per mille counts as a disturbance: a peer may then truly look dead.
    public static let disturbingLossPerMille = 100
    static let configSalt: UInt64 = 0x5EED_C0F1_6000_0001
    static let scheduleSalt: UInt64 = 0x5EED_5C4E_D000_0002
}
