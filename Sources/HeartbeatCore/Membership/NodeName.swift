/// A node's name as Heartbeat compares it: case-insensitively, lower case on the wire (spec §1.5).
/// It is lower-cased here, once; comparisons and lookups of names go through this type.
public struct NodeName: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The lower-cased name, as it goes on the wire and into logs.
    public let rawValue: String

    public init(_ name: some StringProtocol) {
        // Names arrive lower case: lowercased() made a new string for every message received.
        let lower = name.utf8.allSatisfy { $0 < 0x80 && !(0x41...0x5A).contains($0) }
        rawValue = lower ? String(name) : name.lowercased()
    }

    public var description: String { rawValue }

    public static func < (a: NodeName, b: NodeName) -> Bool { a.rawValue < b.rawValue }
}

extension Message {
    /// The sender, field `src`.
    public var source: NodeName? { self["src"].map(NodeName.init) }

    /// The addressee, field `dest`; nil for a message to every node.
    public var destination: NodeName? { self["dest"].map(NodeName.init) }
}
