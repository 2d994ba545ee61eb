import HeartbeatCore

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

extension Daemon {
    /// Ping nodes as `cl_status` and `hbctl status` show them: type `ping`, one link named like the node.
    func pingNodesReport(now: Instant) -> [StatusReport.Node] {
        node.arbitration.pings.snapshots(now: now).map { ping in
            StatusReport.Node(name: ping.name, type: .ping, status: ping.status,
                              links: [StatusReport.Link(name: ping.name, status: ping.status == .ping ? .up : .dead)],
                              lastHeardAgeMs: ping.lastHeard.map { (now - $0).milliseconds })
        }
    }
}

extension Daemon {
    func startPingMedium() {
        guard !config.pingNodes.isEmpty || !config.pingGroups.isEmpty else { return }
        pingMedium = PingMedium(pingNodes: config.pingNodes, pingGroups: config.pingGroups, loop: loop, logger: logger,
                                keys: { [unowned self] in self.config.authKeys },
                                onReply: { [unowned self] in self.handle(.received($0, link: $0["src"] ?? "")) })
    }
}
