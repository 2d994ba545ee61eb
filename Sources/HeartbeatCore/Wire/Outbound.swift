/// The one way a message goes on the wire, for the daemon and the simulator alike: `stamped`
/// appends `ts` (the sender's clock in seconds, hex), `ld` (its load; not for `NS_` types) and
/// `ttl` (hopfudge + every node name, ping nodes included), in that order, before the auth
/// (spec §1.7); `packet` signs and netstring-encodes the result.
public struct Outbound: Sendable, Hashable {
    let ttl: Field.Value
    /// `msgfmt classic`: the auth goes inside the message too.
    public let innerAuth: Bool

    public init(cluster: ClusterConfig) {
        ttl = .string(Array(String(cluster.hopfudge + cluster.allNodeNames.count).utf8))
        innerAuth = cluster.msgfmt == .classic
    }

    /// The sender's clock and load at one moment, encoded once for every message sent then.
    public struct Stamp: Sendable, Hashable {
        public let timestamp: Field.Value
        let load: Field.Value

        public init(timestamp: UInt64, load: String) {
            self.timestamp = .string(Array(Hex.text(timestamp).utf8))
            self.load = .string(Array(load.utf8))
        }
    }

    public func stamped(_ message: Message, _ stamp: Stamp) -> Message {
        var message = message
        message.fields.reserveCapacity(message.fields.count + 3)
        message.set("ts", stamp.timestamp)
        if !Self.isNodeStatusType(message) { message.set("ld", stamp.load) }
        message.set("ttl", ttl)
        return message
    }

    /// A stamped message signed with the active key: the bytes of one UDP packet.
    public func packet(_ stamped: Message, keys: AuthKeys) throws(WireError) -> [UInt8] {
        try Wire.encodeNetstring(stamped, signedWith: keys, innerAuth: innerAuth)
    }

    private static let nodeStatusPrefix = Array("NS_".utf8)

    /// `NS_` types (membership's own bookkeeping) carry no load.
    static func isNodeStatusType(_ message: Message) -> Bool {
        guard let type = message.first(named: "t"), case .string(let bytes) = type.value else { return false }
        return bytes.starts(with: nodeStatusPrefix)
    }
}
