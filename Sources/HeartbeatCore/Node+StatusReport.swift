extension Node {
    /// The one projection of a node's state into what `cl_status` and `hbctl status` show, for the
    /// daemon, the simulator and scenarios alike. What only the runtime knows comes in as values:
    /// packets refused before decoding (by reason) and the configuration's parameters.
    public func statusReport(now: Instant, parameters: [String: String] = [:], wireRejects: [String: Int] = [:]) -> StatusReport {
        var rejected: [String: UInt64] = [:]
        for (reason, count) in wireRejects { rejected[reason] = UInt64(count) }
        for (reason, count) in membership.rejectedCounts { rejected[reason.rawValue] = UInt64(count) }
        let members = membership.nodes.map { peer in
            StatusReport.Node(
                name: peer.name, type: peer.type, status: peer.status,
                generation: peer.generation == 0 ? nil : peer.generation,
                links: peer.links.map { StatusReport.Link(name: $0.name, status: $0.status) },
                lateHeartbeat: peer.heartbeats.maxInterval.map {
                    StatusReport.LateHeartbeat(maxIntervalMs: $0.milliseconds,
                                               p99IntervalMs: peer.heartbeats.p99Interval?.milliseconds ?? 0)
                },
                lastHeardAgeMs: peer.lastHeard.map { (now - $0).milliseconds },
                configDigest: peer.configDigest)
        }
        // Ping nodes follow the cluster nodes: type `ping`, one link named like the node.
        let pings = arbitration.pings.snapshots(now: now).map { ping in
            StatusReport.Node(name: ping.name, type: .ping, status: ping.status,
                              links: [StatusReport.Link(name: ping.name, status: ping.status == .ping ? .up : .dead)],
                              lastHeardAgeMs: ping.lastHeard.map { (now - $0).milliseconds })
        }
        let groups = (resources?.groups ?? []).enumerated().map { index, group in
            StatusReport.Group(
                key: group.key, preferredNode: group.preferredNode, owner: group.owner, state: "\(group.state)",
                reason: group.reason,
                lastTransitionAgeMs: (group.transitionEndedAt ?? group.transitionStartedAt).map { (now - $0).milliseconds },
                lastScriptsMs: group.scripts.isEmpty ? nil : group.scripts.reduce(Int64(0)) { $0 + $1.duration.milliseconds },
                health: resources?.healthReport(ofGroup: index, now: now) ?? .unmonitored)
        }
        return StatusReport(
            localNode: membership.config.localNode, keepaliveMs: membership.config.keepalive.milliseconds,
            deadtimeMs: membership.config.deadtime.milliseconds, nodes: members + pings,
            resources: resources?.rscstatus ?? .none, parameters: parameters, rejectedPackets: rejected,
            groups: groups)
    }
}
