/// A message's type, its `t` field (spec §1.8). Compared exactly as written: 3.0.6 does not fold
/// the case of types. Any text is a type (scripts and clients send their own); the constants are
/// the types this implementation sends or acts on.
public struct MessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// The protocol's own types (`NS_…`): no sequence number, never retransmitted, no load average.
    public var isUnsequenced: Bool { rawValue.hasPrefix("NS_") }

    // Membership (spec §3, §5).
    public static let status = MessageType(rawValue: "status")
    public static let pingStatus = MessageType(rawValue: "NS_st")
    public static let retransmitRequest = MessageType(rawValue: "NS_rexmit")
    public static let retransmitRefused = MessageType(rawValue: "NS_nak_rexmit")
    public static let ack = MessageType(rawValue: "NS_ackmsg")
    public static let nodeListRequest = MessageType(rawValue: "reqnodes")
    public static let nodeList = MessageType(rawValue: "repnodes")

    // Resources (spec §6).
    public static let starting = MessageType(rawValue: "starting")
    public static let resource = MessageType(rawValue: "resource")
    public static let askResources = MessageType(rawValue: "ask_resources")
    public static let ipRequest = MessageType(rawValue: "ip-request")
    public static let ipRequestResponse = MessageType(rawValue: "ip-request-resp")
    public static let takeover = MessageType(rawValue: "hb_takeover")
    public static let shutdone = MessageType(rawValue: "shutdone")
    public static let stonith = MessageType(rawValue: "stonith")

    // ipfail's arbitration (spec §7.1).
    public static let clientStatus = MessageType(rawValue: "hbapi-clstat")
    public static let numPingNodes = MessageType(rawValue: "num_ping_nodes")
    public static let youAreDead = MessageType(rawValue: "you_are_dead")
    public static let abortGiveUp = MessageType(rawValue: "abort_giveup")
}

extension Message {
    /// A message of string fields that starts with its type: `Message(type: .status, ("st", "up"))`.
    public init(type: MessageType, _ pairs: (String, String)...) {
        self.init([Field("t", type.rawValue)] + pairs.map { Field($0.0, $0.1) })
    }

    /// The message type, field `t`.
    public var type: MessageType? { self["t"].map(MessageType.init(rawValue:)) }
}
