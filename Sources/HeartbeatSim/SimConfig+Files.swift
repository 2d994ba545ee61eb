import HeartbeatCore

/// The configuration files, as text (`monitors` nil: there is none).
public struct SimFiles: Sendable, Hashable {
    public var haCf: String
    public var authKeys: String
    public var haResources: String
    public var monitors: String?

    public init(haCf: String, authKeys: String, haResources: String, monitors: String? = nil) {
        self.haCf = haCf
        self.authKeys = authKeys
        self.haResources = haResources
        self.monitors = monitors
    }
}

/// The simulated cluster as configuration files: every simulated node is built from this
/// `ha.cf`, `authkeys` and `haresources` text, parsed and validated as the daemon's own files are,
/// so that the simulator runs what production would run (warntime, for one, is derived by the
/// validator).
extension SimConfig {
    /// `realFiles` when set, else the files written from this configuration's values.
    public var files: SimFiles {
        realFiles ?? SimFiles(haCf: haCfText, authKeys: authKeysText, haResources: haResourcesText, monitors: monitorsFile)
    }

    public var haCfText: String {
        let ms = ConfigValues.millisecondsText
        var lines = ["node " + nodeNames.joined(separator: " ")] + links.map { "bcast \($0)" } + [
            "keepalive \(ms(keepalive))", "deadtime \(ms(deadtime))", "initdead \(ms(initdead))",
            "auto_failback \(autoFailback.rawValue)",
        ]
        if let warntime { lines.append("warntime \(ms(warntime))") }
        if pingNodes > 0 {
            lines += (0..<pingNodes).map { "ping \(pingNodeName($0))" }
            lines += ["deadping \(ms(deadping))", "arbitration \(arbitration ? "on" : "off")"]
        }
        if fencing != .none { lines.append("stonith_host * external/sim") }
        if watchdog { lines.append("watchdog /dev/watchdog") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `authKeys`, or crc (which signs nothing secret) when messages travel as values.
    public var authKeysText: String {
        let key = authKeys?.active ?? AuthKey(slot: 1, method: .crc, secret: [])
        let secret = key.method.needsKey ? " " + String(decoding: key.secret, as: UTF8.self) : ""
        return "auth \(key.slot)\n\(key.slot) \(key.method.rawValue)\(secret)\n"
    }

    public var haResourcesText: String {
        groups.map { ([$0.preferredNode] + $0.resources.map(\.token)).joined(separator: " ") + "\n" }.joined()
    }

    /// The files as node `index` reads them, validated on a machine that has every script.
    /// An invalid simulated configuration is a bug of the simulator: it stops with the diagnostics.
    public func cluster(node index: Int) -> ClusterConfig {
        let files = files
        let input = ConfigInput(configDirectory: "/etc/ha.d", haCf: .text(files.haCf), authKeys: .text(files.authKeys),
                                authKeysMode: 0o600, haResources: .text(files.haResources),
                                monitors: files.monitors.map { .text($0) } ?? .missing)
        let (cluster, diagnostics) = ClusterConfig.validate(input, machine: SimulatedMachine(localNodeName: nodeNames[index]))
        guard let cluster else {
            preconditionFailure("invalid simulated configuration:\n" + diagnostics.map(\.description).joined(separator: "\n"))
        }
        return cluster
    }

    /// Every node's configuration. All nodes read the same files, and validation differs between
    /// them only in the local node (and in warnings, which nobody reads here): the files are
    /// validated once, as node 1's, which saves a validation per node and seed in the sweep.
    func clusters() -> [ClusterConfig] {
        let first = cluster(node: 0)
        return nodeNames.map { name in
            var cluster = first
            cluster.localNode = name
            return cluster
        }
    }
}

/// A machine where every resource script and user exists and no address is local: the simulator's,
/// and `hbctl simulate`'s for a config directory copied from elsewhere.
public struct SimulatedMachine: MachineFacts {
    public let localNodeName: String

    public init(localNodeName: String) { self.localNodeName = NodeName(localNodeName).rawValue }

    public func isLocalAddress(_ address: String) -> Bool { false }
    public func isExecutableFile(_ path: String) -> Bool { true }
    public func userExists(_ name: String) -> Bool { true }
}
