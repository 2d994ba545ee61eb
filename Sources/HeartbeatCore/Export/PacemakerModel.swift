/// A Pacemaker cluster configuration (the `configuration` section of a CIB), as far as a Heartbeat
/// 3.0.6 setup can be translated into one. `PacemakerExport` builds it; `PacemakerRendering`
/// prints it as CIB XML, `crm configure` input or `pcs` commands.
public struct PacemakerConfig: Sendable, Hashable {
    /// `crm_config` cluster options, in order.
    public var properties: [NameValue] = []
    /// `rsc_defaults` meta attributes.
    public var resourceDefaults: [NameValue] = []
    /// Top-level resources in start order: groups, clones, fencing devices.
    public var resources: [PacemakerResource] = []
    public var constraints: [PacemakerConstraint] = []
    /// What had no Pacemaker equivalent, with where it was written and what to do instead.
    public var unmapped: [UnmappedItem] = []

    public init() {}
}

public struct NameValue: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A resource agent instance: `class[:provider]:type` with instance attributes.
public struct Primitive: Sendable, Hashable {
    public enum AgentClass: String, Sendable, Hashable { case ocf, lsb, stonith }

    public var id: String
    public var agentClass: AgentClass
    /// Only for `ocf`.
    public var provider: String?
    public var type: String
    public var parameters: [NameValue]
    public var operations: [Operation]

    /// `class:provider:type` or `class:type`, as `crm` and `pcs` write an agent.
    public var agent: String {
        [agentClass.rawValue, provider, type].compactMap { $0 }.joined(separator: ":")
    }
}

/// A recurring `monitor` operation; `role` is set only for promotable clones.
public struct Operation: Sendable, Hashable {
    public var name: String
    public var interval: String
    public var timeout: String
    public var role: String?
}

public enum PacemakerResource: Sendable, Hashable {
    case primitive(Primitive)
    case group(id: String, members: [Primitive])
    /// `promotable`: one promoted copy (DRBD); otherwise a copy on every node (ping).
    case clone(id: String, member: Primitive, promotable: Bool)

    public var id: String {
        switch self {
        case .primitive(let primitive): primitive.id
        case .group(let id, _), .clone(let id, _, _): id
        }
    }
}

public enum PacemakerConstraint: Sendable, Hashable {
    /// Prefer (positive score) or avoid a node.
    case location(id: String, resource: String, node: String, score: String)
    /// -INFINITY where the node attribute `attribute` is missing or not above zero (connectivity).
    case requireAttribute(id: String, resource: String, attribute: String)
    /// -INFINITY on every node but `node` (a fencing device only that node can reach).
    case onlyOn(id: String, resource: String, node: String)
    /// `resource` runs where `withResource` is promoted.
    case colocateWithPromoted(id: String, resource: String, withResource: String)
    /// `then` starts after `first` is promoted.
    case startAfterPromote(id: String, first: String, then: String)

    public var id: String {
        switch self {
        case .location(let id, _, _, _), .requireAttribute(let id, _, _), .onlyOn(let id, _, _),
            .colocateWithPromoted(let id, _, _), .startAfterPromote(let id, _, _):
            id
        }
    }
}

/// Something of ha.cf or haresources that the export left out, and why.
public struct UnmappedItem: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// The directive or resource token as written.
    public var text: String
    public var reason: String

    public init(file: String, line: Int, text: String, reason: String) {
        self.file = file
        self.line = line
        self.text = text
        self.reason = reason
    }

    public var description: String { "\(file):\(line): not mapped: \(text): \(reason)" }
}
