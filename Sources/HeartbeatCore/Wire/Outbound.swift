/// The one way a message goes on the wire, for the daemon and the simulator alike: `stamped`
/// appends `ts` (the sender's clock in seconds, hex), `ld` (its load; not for `NS_` types) and
/// `ttl` (hopfudge + every node name, ping nodes included), in that order, before the auth
/// (spec §1.7); `packet` signs and netstring-encodes the result.
public struct Outbound: Sendable, Hashable {
    let ttl: String
    /// `msgfmt classic`: the auth goes inside the message too.
    public let innerAuth: Bool

    public init(cluster: ClusterConfig) {
        ttl = String(cluster.hopfudge + cluster.allNodeNames.count)
        innerAuth = cluster.msgfmt == .classic
    }

    public func stamped(_ message: Message, timestamp: UInt64, load: String) -> Message {
        var message = message
        message["ts"] = String(timestamp, radix: 16)
        if !(message.type ?? "").hasPrefix("NS_") { message["ld"] = load }
        message["ttl"] = ttl
        return message
    }

    /// A stamped message signed with the active key: the bytes of one UDP packet.
    public func packet(_ stamped: Message, keys: AuthKeys) throws(WireError) -> [UInt8] {
        try Wire.encodeNetstring(stamped, signedWith: keys, innerAuth: innerAuth)
    }
}
