/// What one heartbeat process is, beyond its configuration: the identity it persists or draws
/// at startup. The daemon reads it from the state directory; the simulator makes one per boot.
public struct NodeIdentity: Sendable, Hashable {
    /// The 16-byte UUID (spec §3.7), sent as the binary `srcuuid` field.
    public var uuid: [UInt8]
    /// This process's heartbeat generation (spec §3.2), already bumped and persisted.
    public var generation: UInt64
    /// Seeds the deterministic generator behind the per-peer ACK triggers and the retransmit jitter.
    public var ackSeed: UInt64

    public init(uuid: [UInt8], generation: UInt64, ackSeed: UInt64) {
        self.uuid = uuid
        self.generation = generation
        self.ackSeed = ackSeed
    }
}

extension Node {
    /// The one construction of a node, shared by the daemon and the simulator: membership,
    /// arbitration and (unless `scripts` is nil, `heartbeat -M`) the resource manager, all from
    /// one validated configuration.
    /// `resourceNodes` narrows the nodes the resource manager counts as peers; only the simulator's
    /// three-node clusters use it, whose third node runs membership only (3.0.6 has no rule for
    /// haresources with more than two nodes).
    public init(cluster: ClusterConfig, identity: NodeIdentity, scripts: ScriptTimings?, resourceNodes: [String]? = nil) {
        var links: [String] = []
        for medium in cluster.media where !links.contains(medium.linkName) { links.append(medium.linkName) }
        membership = Membership(config: MembershipConfig(
            localNode: cluster.localNode, localUUID: identity.uuid, generation: identity.generation,
            nodes: cluster.nodes, links: links,
            keepalive: cluster.keepalive, deadtime: cluster.deadtime, warntime: cluster.warntime,
            initdead: cluster.initdead, maxRexmitDelay: cluster.maxRexmitDelay,
            ackSeed: identity.ackSeed, configDigest: cluster.agreementDigest))
        resources = scripts.map { scripts in
            var config = ResourceManagerConfig(cluster: cluster, scripts: scripts)
            if let resourceNodes { config.nodes = resourceNodes }
            return ResourceManager(config: config, monitors: cluster.monitors)
        }
        arbitration = Arbitration(config: ArbitrationConfig(cluster: cluster))
        outbound = Outbound(cluster: cluster)
    }
}

extension ResourceManagerConfig {
    /// Nodes, groups and `auto_failback` from a validated configuration. Fencing and the watchdog
    /// count as configured when this node has a STONITH line and a watchdog device.
    public init(cluster: ClusterConfig, scripts: ScriptTimings = .standard) {
        self.init(localNode: cluster.localNode, nodes: cluster.nodes, groups: cluster.resourceGroups,
                  autoFailback: cluster.autoFailback, scripts: scripts, fencingConfigured: cluster.activeStonith != nil, watchdogConfigured: cluster.watchdog != nil)
    }
}

extension ArbitrationConfig {
    /// Ping nodes and groups from ha.cf; arbitration as `arbitration`/`respawn … ipfail` ask.
    public init(cluster: ClusterConfig) {
        self.init(localNode: cluster.localNode, nodes: cluster.nodes,
                  pingTargets: cluster.pingNodes.map { PingNodes.Target(name: $0.name, isGroup: false) }
                      + cluster.pingGroups.map { PingNodes.Target(name: $0.name, isGroup: true) },
                  deadping: cluster.deadping, keepalive: cluster.keepalive,
                  // ipfail exits at once in legacy mode (spec §7.1): so does arbitration.
                  enabled: cluster.arbitrationEnabled && cluster.autoFailback != .legacy,
                  isolationGuard: cluster.isolationGuard, autoFailback: cluster.autoFailback == .on)
    }
}
