/// Everything a local client may ask the daemon about, as one value: the daemon fills it on each
/// `status` request, `cl_status` and `hbctl status` render it. Nothing here is computed by clients
/// beyond formatting, so both tools always agree with each other and with the daemon.
public struct StatusReport: Sendable, Equatable {
    /// What 3.0.6 reports for `hbversion` (spec §9). We report the same string so that scripts which
    /// compare versions keep working against a Swift node.
    public static let compatibleVersion = "3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)"

    /// The membership core's own status types (spec §5.3, §4.2), so the report cannot drift from them.
    public typealias NodeStatus = HeartbeatCore.NodeStatus
    public typealias NodeType = HeartbeatCore.NodeType
    public typealias LinkStatus = HeartbeatCore.LinkStatus

    /// `cl_status rscstatus` values (spec §6.10).
    public enum ResourceStatus: String, Sendable, CaseIterable {
        case none, local, foreign, all, transition
    }

    /// `cl_status clientstatus` values, which are also its exit codes 0–3 (spec §9).
    public enum ClientStatus: String, Sendable, CaseIterable {
        case online, offline, join, leave
    }

    /// One heartbeat path to a node: named after the medium (interface, device or ping host, §4.2).
    public struct Link: Sendable, Equatable {
        public var name: String
        public var status: LinkStatus

        public init(name: String, status: LinkStatus) {
            self.name = name
            self.status = status
        }
    }

    /// How late this node's status messages have been: the longest gap seen and the 99th percentile
    /// of gaps, so an admin can size `deadtime`/`warntime` from data (spec §10.1).
    public struct LateHeartbeat: Sendable, Equatable {
        public var maxIntervalMs: Int64
        public var p99IntervalMs: Int64

        public init(maxIntervalMs: Int64, p99IntervalMs: Int64) {
            self.maxIntervalMs = maxIntervalMs
            self.p99IntervalMs = p99IntervalMs
        }
    }

    public struct Node: Sendable, Equatable {
        public var name: String
        public var type: NodeType
        public var status: NodeStatus
        /// `cl_status nodeweight`; 3.0.6 always reports 100 in v1 mode.
        public var weight: Int
        /// `cl_status nodesite`; empty unless configured.
        public var site: String
        /// The node's generation (`hg`, spec §3.2), nil until heard from.
        public var generation: UInt64?
        /// In medium order, as `listhblinks` prints them.
        public var links: [Link]
        public var lateHeartbeat: LateHeartbeat?
        /// Milliseconds since the last packet from this node, nil if never heard.
        public var lastHeardAgeMs: Int64?
        /// The digest of haresources and auth method the node advertises (ours for the local node);
        /// nil for a node that does not send one (a 3.0.6 node).
        public var configDigest: String?

        public init(name: String, type: NodeType = .normal, status: NodeStatus, weight: Int = 100,
                    site: String = "", generation: UInt64? = nil, links: [Link] = [],
                    lateHeartbeat: LateHeartbeat? = nil, lastHeardAgeMs: Int64? = nil, configDigest: String? = nil) {
            self.name = name
            self.type = type
            self.status = status
            self.weight = weight
            self.site = site
            self.generation = generation
            self.links = links
            self.lateHeartbeat = lateHeartbeat
            self.lastHeardAgeMs = lastHeardAgeMs
            self.configDigest = configDigest
        }
    }

    /// One haresources group as this node sees it.
    public struct Group: Sendable, Equatable {
        public var key: String
        public var preferredNode: String
        /// Who holds it, as far as this node knows; nil when nobody does.
        public var owner: String?
        /// `stopped`, `starting`, `running`, `stopping` or `failed` here.
        public var state: String
        /// Why it last changed, in words.
        public var reason: String
        /// Milliseconds since its last transition ended (or began, while one runs); nil if never.
        public var lastTransitionAgeMs: Int64?
        /// How long the scripts of the last transition took in all, in milliseconds.
        public var lastScriptsMs: Int64?
        /// Its service health here (`StatusReport+Health.swift`).
        public var health: Health

        public init(key: String, preferredNode: String, owner: String?, state: String, reason: String,
                    lastTransitionAgeMs: Int64? = nil, lastScriptsMs: Int64? = nil, health: Health = .unmonitored) {
            self.key = key
            self.preferredNode = preferredNode
            self.owner = owner
            self.state = state
            self.reason = reason
            self.lastTransitionAgeMs = lastTransitionAgeMs
            self.lastScriptsMs = lastScriptsMs
            self.health = health
        }
    }

    /// One row of the `clientstatus` table: an API client on some node.
    public struct Client: Sendable, Equatable {
        public var node: String
        public var client: String
        public var status: ClientStatus

        public init(node: String, client: String, status: ClientStatus) {
            self.node = node
            self.client = client
            self.status = status
        }
    }

    /// `hbparameter -p hbversion`.
    public var version: String
    public var localNode: String
    /// `haresources` in v1 mode; anything else is reported as Pacemaker, as 3.0.6 does (§9).
    public var managedBy: String
    public var keepaliveMs: Int64
    public var deadtimeMs: Int64
    /// In configuration order (`listnodes` prints them so).
    public var nodes: [Node]
    public var resources: ResourceStatus
    /// Parameter name → value exactly as `cl_status hbparameter` prints it (spec §9); unset ones absent.
    public var parameters: [String: String]
    /// Packets dropped before reaching the membership logic, by reason (e.g. `auth`, `replay`).
    public var rejectedPackets: [String: UInt64]
    public var clients: [Client]
    /// haresources groups in file order.
    public var groups: [Group]

    public init(version: String = StatusReport.compatibleVersion, localNode: String,
                managedBy: String = "haresources", keepaliveMs: Int64 = 1000, deadtimeMs: Int64 = 30000,
                nodes: [Node] = [], resources: ResourceStatus = .none, parameters: [String: String] = [:],
                rejectedPackets: [String: UInt64] = [:], clients: [Client] = [], groups: [Group] = []) {
        self.version = version
        self.localNode = localNode
        self.managedBy = managedBy
        self.keepaliveMs = keepaliveMs
        self.deadtimeMs = deadtimeMs
        self.nodes = nodes
        self.resources = resources
        self.parameters = parameters
        self.rejectedPackets = rejectedPackets
        self.clients = clients
        self.groups = groups
    }

    /// Node lookup as the 3.0.6 API does it: names are compared lower-cased (spec §5.7).
    public func node(named name: String) -> Node? {
        let wanted = NodeName(name)
        return nodes.first { NodeName($0.name) == wanted }
    }

    /// Nodes whose advertised configuration digest differs from ours (3.0.6 nodes send none).
    public var configMismatches: [String] {
        guard let ours = node(named: localNode)?.configDigest else { return [] }
        return nodes.filter { $0.name != localNode && $0.configDigest != nil && $0.configDigest != ours }.map(\.name)
    }

    /// True when resources are run by Heartbeat itself (v1, `haresources`) rather than Pacemaker.
    public var isHaresourcesMode: Bool { managedBy == "haresources" }
}
