/// The argument of `hb_standby` / `hb_takeover`, relative to the node that asks (spec §6.8).
public typealias ResourceSet = ControlRequest.ResourceSet

/// Which of the two halves of haresources a node holds, as the `rsc_hold` field says it
/// (spec §1.6, §6.6): `local` = the groups whose preferred node is the sender, `foreign` = the rest.
public struct HoldSet: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0b11 }

    public static let none: HoldSet = []
    public static let local = HoldSet(rawValue: 1)
    public static let foreign = HoldSet(rawValue: 2)
    public static let all: HoldSet = [.local, .foreign]

    /// The `rsc_hold` word: `none`, `local`, `foreign` or `all`.
    public var wire: String {
        switch rawValue {
        case 1: "local"
        case 2: "foreign"
        case 3: "all"
        default: "none"
        }
    }

    public var description: String { wire }

    /// Parses an `rsc_hold` word; nil for anything else.
    public init?(wire: String) {
        switch wire {
        case "none": self = .none
        case "local": self = .local
        case "foreign": self = .foreign
        case "all": self = .all
        default: return nil
        }
    }

    /// The set as seen from the other node of a pair: local and foreign swap (spec §6.8).
    public var mirrored: HoldSet {
        var result = HoldSet.none
        if contains(.local) { result.insert(.foreign) }
        if contains(.foreign) { result.insert(.local) }
        return result
    }

    /// `hb_standby`'s argument as a set: `failback` means `foreign` (spec §6.8).
    public init(_ set: ResourceSet) {
        switch set {
        case .all: self = .all
        case .local: self = .local
        case .foreign, .failback: self = .foreign
        }
    }
}

/// What a resource script is asked to do (spec §6.2).
public enum ScriptOperation: String, Sendable, Hashable {
    case start, stop, status
}

/// One script invocation the runtime must carry out: `<path> [arguments…] <operation>`, killed
/// after `timeout`. Its end comes back as `.scriptFinished` or `.scriptTimedOut` with the same `id`.
public struct ScriptRun: Sendable, Hashable {
    public typealias ID = UInt64
    public var id: ID
    public var groupKey: String
    public var resource: Resource
    public var operation: ScriptOperation
    public var timeout: Duration

    public init(id: ID, groupKey: String, resource: Resource, operation: ScriptOperation, timeout: Duration) {
        self.id = id
        self.groupKey = groupKey
        self.resource = resource
        self.operation = operation
        self.timeout = timeout
    }
}

/// Where a group stands on this node.
public enum GroupState: String, Sendable, Hashable {
    /// Not running here.
    case stopped
    /// Start scripts queued or running.
    case starting
    case running
    /// Stop scripts queued or running.
    case stopping
    /// A start failed and the group was stopped again (not owned), or a stop failed and the
    /// group is still owned here while the stop is retried. `owner` tells which.
    case failed
}

/// How long one script took, for `hbctl status`.
public struct ScriptTiming: Sendable, Hashable {
    public var resource: String
    public var operation: ScriptOperation
    public var duration: Duration
    /// nil when the script timed out.
    public var exitCode: Int32?

    public init(resource: String, operation: ScriptOperation, duration: Duration, exitCode: Int32?) {
        self.resource = resource
        self.operation = operation
        self.duration = duration
        self.exitCode = exitCode
    }
}

/// One group as `hbctl status` shows it.
public struct GroupSnapshot: Sendable, Hashable {
    public var key: String
    public var preferredNode: String
    /// Who runs it as far as this node knows: this node, a peer (from its holdings report or
    /// requests), or nil.
    public var owner: String?
    public var state: GroupState
    /// Why the last transition happened, in words ("initial acquisition", "standby", …).
    public var reason: String
    public var transitionStartedAt: Instant?
    public var transitionEndedAt: Instant?
    /// The scripts of the last transition, oldest first (at most `ResourceLimits.maxScriptTimings`).
    public var scripts: [ScriptTiming]
}
