/// The whole cluster configuration (`ha.cf` + `authkeys` + `haresources`), parsed and validated.
///
/// A value of this type only exists when `ClusterConfig.validate` found no errors, so every field is
/// usable as is: timings satisfy `keepalive < warntime < deadtime`, the local node is a member,
/// every resource script was found, and so on.
public struct ClusterConfig: Sendable, Hashable {
    /// This machine's node name (lower-cased `uname -n`, or the first line of `nodeinfo`; spec §5.7).
    public var localNode: String
    /// Normal cluster members, lower-cased, in config order (spec §5.7).
    public var nodes: [String]
    /// Heartbeat media, in config order; every message goes out on each (spec §4.1).
    public var media: [Medium]
    /// `ping` / `ping6` pseudo-nodes (spec §4.5).
    public var pingNodes: [PingNode]
    /// `ping_group` pseudo-nodes (spec §4.5).
    public var pingGroups: [PingGroup]

    /// UDP port for bcast, ucast and ucast6 (mcast names its own port).
    public var udpport: Int
    /// Serial line speed.
    public var baud: Int

    // Timing (spec §5.2).
    public var keepalive: Duration
    public var deadtime: Duration
    public var warntime: Duration
    public var initdead: Duration
    /// Dead time for ping nodes.
    public var deadping: Duration

    public var autoFailback: AutoFailback
    /// Watchdog device, e.g. `/dev/watchdog` (spec §7.2).
    public var watchdog: String?
    /// Every `stonith` and `stonith_host` line, in config order (spec §7.3).
    public var stonith: [StonithDirective]
    /// `respawn` and `failfast` children, in config order (spec §7.4).
    public var respawn: [RespawnEntry]
    /// `arbitration on` (ours; spec §7.1 done inside the daemon).
    public var arbitrationDirective = false
    /// `isolation_guard` (ours, default on): see `docs/configuration.md`.
    public var isolationGuard = true
    /// API authorisations: those configured, then the built-in defaults not overridden (spec §7.5).
    public var apiAuth: [APIAuth]
    public var logging: LoggingSettings
    /// 0–255.
    public var debug: Int
    /// Log malformed or unauthenticated packets.
    public var logBadPackets: Bool
    public var realtime: Bool
    /// SCHED_FIFO priority used when `realtime` is on.
    public var rtprio: Int
    /// KiB of memory to pre-allocate and lock.
    public var memreserve: Int
    public var hbgenmethod: GenerationMethod
    public var msgfmt: MessageFormat
    /// Added to the node count for the `ttl` field; 0–255.
    public var hopfudge: Int
    /// Upper bound of the random retransmit-request delay (spec §3.4).
    public var maxRexmitDelay: Duration
    /// Compression module name (`zlib` or `bz2`); only used for messages too big for one packet.
    public var compression: String
    /// KiB.
    public var compressionThreshold: Int
    public var coredumps: Bool
    public var coreroot: String?
    /// `env NAME=value` lines; children see them as `HA_NAME`.
    public var environment: [EnvironmentSetting]
    /// Informational cluster name.
    public var cluster: String

    public var authKeys: AuthKeys
    /// haresources groups, in file order (spec §6.1).
    public var resourceGroups: [ResourceGroup]

    /// Every recorded ha.cf value as written (last one wins), plus 3.0.6's defaults and derived values
    /// (`keepalive` → `1000ms`, `warntime` → `15000ms`, `udpport` → `694`). `cl_status hbparameter`
    /// prints these, and children see them as `HA_<name>` (spec §6.4, §9).
    public var parameters: [String: String]
    /// Where the Prometheus endpoint listens (`metrics_listen`, our extension); nil: off.
    public var metricsEndpoint: MetricsEndpoint? = nil
    /// The `monitors` file's checks (our extension, a file of its own so that ha.cf and
    /// haresources stay readable by 3.0.6); empty: no monitoring.
    public var monitors: [MonitorSpec] = []

    /// The value `cl_status hbparameter -p NAME` prints, or nil when unset.
    public func parameter(_ name: String) -> String? { parameters[name] }

    /// All node names the membership layer tracks: normal nodes, then ping nodes, then ping groups.
    public var allNodeNames: [String] {
        nodes + pingNodes.map(\.name) + pingGroups.map(\.name)
    }

    /// Built-in ping arbitration (spec §7.1): asked for by `arbitration on` or by 3.0.6's usual
    /// `respawn hacluster …/ipfail` line, which therefore never spawns a process here.
    public var arbitrationEnabled: Bool {
        arbitrationDirective || respawn.contains(where: \.isBuiltInArbitration)
    }

    /// The STONITH device this node uses: the last `stonith` line, or the last `stonith_host` line
    /// naming this node or `*` (spec §7.3).
    public var activeStonith: StonithDirective? {
        stonith.last { $0.host == nil || $0.host == "*" || $0.host == localNode }
    }
}

/// One heartbeat medium (spec §4.1). Interface and device names are kept as written.
public enum Medium: Sendable, Hashable {
    case bcast(interface: String)
    /// `peer` is an IPv4 address or a host name, as written.
    case ucast(interface: String, peer: String)
    case mcast(interface: String, group: String, port: Int, ttl: Int, loop: Bool)
    /// `peer` may carry a `%scope` suffix.
    case ucast6(interface: String, peer: String)
    case mcast6(interface: String, group: String, port: Int, hops: Int, loop: Bool)
    case serial(device: String)

    /// The link name peers and `cl_status` see: the interface, or the serial device (spec §4.1).
    public var linkName: String {
        switch self {
        case .bcast(let interface), .ucast(let interface, _), .mcast(let interface, _, _, _, _),
            .ucast6(let interface, _), .mcast6(let interface, _, _, _, _):
            interface
        case .serial(let device):
            device
        }
    }
}

/// A `ping` or `ping6` host treated as a pseudo-node; its name is the host, lower-cased.
public struct PingNode: Sendable, Hashable {
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }
    public var name: String
    public var family: Family

    public init(name: String, family: Family) {
        self.name = name
        self.family = family
    }
}

/// A `ping_group`: one pseudo-node that is alive while any of its hosts answers.
public struct PingGroup: Sendable, Hashable {
    public var name: String
    public var hosts: [String]

    public init(name: String, hosts: [String]) {
        self.name = name
        self.hosts = hosts
    }
}

/// `auto_failback` (spec §6.6).
public enum AutoFailback: String, Sendable, Hashable {
    /// "nice_failback" mode; resources return to their preferred node when it comes back.
    case on
    /// "nice_failback" mode; resources stay where they are.
    case off
    /// The ip-request protocol; 3.0.6's default, deprecated.
    case legacy
}

public enum GenerationMethod: String, Sendable, Hashable { case file, time }

public enum MessageFormat: String, Sendable, Hashable { case classic, netstring }

/// `stonith <type> <configfile>` or `stonith_host <host|*> <type> <params…>`.
public struct StonithDirective: Sendable, Hashable {
    /// nil for a `stonith` line; the lower-cased host or `*` for `stonith_host`.
    public var host: String?
    public var type: String
    /// The config file (`stonith`) or the parameter text (`stonith_host`), as written.
    public var parameters: String
    public var line: Int

    public init(host: String?, type: String, parameters: String, line: Int) {
        self.host = host
        self.type = type
        self.parameters = parameters
        self.line = line
    }
}

/// `respawn <user> <command>` or `failfast <user> <command>` (spec §7.4).
public struct RespawnEntry: Sendable, Hashable {
    public var user: String
    /// The whole command line, run as `/bin/sh -c "exec <command>"`.
    public var command: String
    /// The program: the command's first word, an absolute path.
    public var path: String
    /// `failfast`: reboot the machine when the child exits abnormally.
    public var failfast: Bool

    /// 3.0.6's `ipfail` client: replaced by the daemon's built-in arbitration, never spawned.
    public var isBuiltInArbitration: Bool {
        !failfast && path.split(separator: "/").last == "ipfail"
    }

    public init(user: String, command: String, path: String, failfast: Bool) {
        self.user = user
        self.command = command
        self.path = path
        self.failfast = failfast
    }
}

/// `apiauth <client> [uid=u1,u2] [gid=g1,g2]` (spec §7.5).
public struct APIAuth: Sendable, Hashable {
    public var client: String
    public var uids: [String]
    public var gids: [String]

    public init(client: String, uids: [String], gids: [String]) {
        self.client = client
        self.uids = uids
        self.gids = gids
    }

    /// Authorisations 3.0.6 adds for clients the config does not mention.
    public static let builtIn: [APIAuth] = [
        APIAuth(client: "ipfail", uids: ["hacluster"], gids: []),
        APIAuth(client: "ccm", uids: ["hacluster"], gids: []),
        APIAuth(client: "ping", uids: [], gids: ["haclient"]),
        APIAuth(client: "lha-snmpagent", uids: ["root"], gids: []),
        APIAuth(client: "anon", uids: ["root"], gids: ["haclient"]),
    ]
}

/// Logging directives (spec §7.6).
public struct LoggingSettings: Sendable, Hashable {
    public var logfile: String?
    public var debugfile: String?
    /// A syslog facility name, or nil for none.
    public var facility: String?
    /// Log through `ha_logd`; implied when no logfile, debugfile or facility is given.
    public var useLogd: Bool
    /// How often to retry connecting to logd.
    public var connLogdTime: Duration
    /// Write file log lines in syslog format.
    public var syslogFormat: Bool

    public init(
        logfile: String? = nil, debugfile: String? = nil, facility: String? = nil, useLogd: Bool = false,
        connLogdTime: Duration = .seconds(60), syslogFormat: Bool = true
    ) {
        self.logfile = logfile
        self.debugfile = debugfile
        self.facility = facility
        self.useLogd = useLogd
        self.connLogdTime = connLogdTime
        self.syslogFormat = syslogFormat
    }
}

/// `env NAME=value`.
public struct EnvironmentSetting: Sendable, Hashable {
    /// The name as written.
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// What children see: 3.0.6 prefixes every `env` name with `HA_`.
    public var variableName: String { "HA_" + name }
}

/// One logical line of haresources: a preferred node and resources started left to right (spec §6.1).
public struct ResourceGroup: Sendable, Hashable {
    /// Lower-cased preferred node.
    public var preferredNode: String
    /// The group key: the first resource token as written (e.g. `IPaddr::10.0.0.5` or `10.0.0.5`).
    public var key: String
    public var resources: [Resource]
    /// Line of the group's first physical line.
    public var line: Int

    public init(preferredNode: String, key: String, resources: [Resource], line: Int) {
        self.preferredNode = preferredNode
        self.key = key
        self.resources = resources
        self.line = line
    }
}

/// One resource: a script run as `<path> [arguments…] start|stop|status` (spec §6.2).
public struct Resource: Sendable, Hashable {
    public var script: String
    public var arguments: [String]
    /// The token as written in haresources.
    public var token: String
    /// Where the script was found (`<configdir>/resource.d/…` or `<initd>/…`); empty before validation.
    public var path: String

    public init(script: String, arguments: [String], token: String, path: String = "") {
        self.script = script
        self.arguments = arguments
        self.token = token
        self.path = path
    }
}

extension ClusterConfig {
    /// What every node of a cluster must agree on — the haresources groups and the auth method
    /// and slot (never the key) — as 8 hex digits, advertised as `cfgdigest` in status messages.
    public var agreementDigest: String {
        var text = "auth \(authKeys.activeSlot) \(authKeys.active.method.rawValue)\n"
        for group in resourceGroups {
            text += ([group.preferredNode] + group.resources.map(\.token)).joined(separator: " ") + "\n"
        }
        let crc = CRC32POSIX.checksum(Array(text.utf8))
        let hex = String(crc, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
