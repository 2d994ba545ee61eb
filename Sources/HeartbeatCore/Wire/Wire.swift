/// The Heartbeat 3.0.6 wire codec: netstring and classic encodings (spec §1.2–§1.4) and their
/// authentication (spec §2). Pure functions over byte arrays; the runtime does the I/O.
///
/// Receiving authenticates before it interprets: a netstring packet's trailer digest is checked
/// over the raw bytes before any field is parsed; a classic packet is split into lines, its
/// `auth` line found and checked, and only then are the fields parsed. No input makes these
/// functions trap, and none allocates more than a small multiple of the (MAXMSG-bounded) input.
public enum Wire {
    /// MAXMSG (spec §1.5): the largest packet accepted or produced.
    public static let maxMessageSize = 262_144

    /// How deep struct (type 2) and uncompress (type 5) values may nest inside a netstring
    /// message. A v1 cluster never nests at all; the bound keeps validation's recursion small.
    public static let maxNestingDepth = 4

    /// A message as received: its encoding, its fields, and the key slot that authenticated it.
    public struct Decoded: Sendable, Hashable {
        public var format: WireFormat
        public var message: Message
        /// The slot whose signature verified; nil when decoded without authentication.
        public var authSlot: Int?

        public init(format: WireFormat, message: Message, authSlot: Int?) {
            self.format = format
            self.message = message
            self.authSlot = authSlot
        }
    }

    // MARK: Receiving

    /// Tells the format apart by the first four bytes (spec §1.4).
    public static func format(of packet: [UInt8]) throws(WireError) -> WireFormat {
        guard packet.count <= maxMessageSize else { throw .tooLarge(size: packet.count) }
        if hasPrefix(Netstring.startMarker, in: packet, at: 0, end: packet.count) { return .netstring }
        if hasPrefix(Classic.startMarker, in: packet, at: 0, end: packet.count) { return .classic }
        if packet.count < 4, Netstring.startMarker.starts(with: packet) || Classic.startMarker.starts(with: packet) {
            throw .truncated(at: packet.count)
        }
        throw .unknownFormat
    }

    /// Decodes and authenticates a packet from any medium: the netstring trailer, or the classic
    /// inner `auth` field, is verified with the slot it names — that slot's method and key
    /// (spec §2.4b; strictly more accepting than 3.0.6, which uses its own signing key for
    /// netstring trailers). A netstring's inner `auth` field is carried but not checked.
    public static func decode(_ packet: [UInt8], keys: AuthKeys) throws(WireError) -> Decoded {
        switch try format(of: packet) {
        case .netstring:
            let (bodyEnd, trailerStart) = try Netstring.split(packet)
            let token = try Netstring.trailer(packet, from: trailerStart)
            try token.verify(packet, covering: 0..<trailerStart, keys: keys)
            let fields = try Netstring.parseItems(packet, Netstring.startMarker.count..<bodyEnd, depth: 0)
            return Decoded(format: .netstring, message: Message(fields), authSlot: token.slot)
        case .classic:
            let lines = try Classic.lines(packet)
            let slot = try Classic.verify(packet, lines: lines, keys: keys)
            return Decoded(format: .classic, message: try parseClassic(packet, lines), authSlot: slot)
        }
    }

    /// Decodes without authenticating: for the local FIFO, whose classic messages carry no auth
    /// (spec §6.5), and for diagnostics. A netstring trailer, if any, is skipped unread.
    public static func decodeUnauthenticated(_ packet: [UInt8]) throws(WireError) -> Decoded {
        switch try format(of: packet) {
        case .netstring:
            let (bodyEnd, _) = try Netstring.split(packet)
            let fields = try Netstring.parseItems(packet, Netstring.startMarker.count..<bodyEnd, depth: 0)
            return Decoded(format: .netstring, message: Message(fields), authSlot: nil)
        case .classic:
            return Decoded(format: .classic, message: try parseClassic(packet, try Classic.lines(packet)), authSlot: nil)
        }
    }

    private static func parseClassic(_ packet: [UInt8], _ lines: [Range<Int>]) throws(WireError) -> Message {
        var fields: [Field] = []
        fields.reserveCapacity(lines.count)
        for line in lines { fields.append(try Classic.parseLine(packet, line)) }
        return Message(fields)
    }

    // MARK: Sending

    /// The network encoding (spec §2.4 steps 2–3, §4.3): with `innerAuth` (msgfmt classic, the
    /// default) the inner `auth` field is added or replaced unless the message has struct
    /// fields; then the netstring is encoded and the trailer appended, both signed with
    /// `keys.active`. The message must already hold its header fields (§1.7).
    public static func encodeNetstring(_ message: Message, signedWith keys: AuthKeys,
                                       innerAuth: Bool = true) throws(WireError) -> [UInt8] {
        let key = keys.active
        var message = message
        if innerAuth { addInnerAuth(to: &message, key: key) }
        var out: [UInt8] = []
        out.reserveCapacity(Netstring.estimatedCount(message))
        Netstring.encode(message, into: &out)
        Netstring.appendTrailer(signedWith: key, to: &out)
        guard out.count <= maxMessageSize else { throw .tooLarge(size: out.count) }
        return out
    }

    /// `###\n` … `%%%\n` without a trailer, as nested messages and compressed payloads are.
    public static func encodeNetstring(_ message: Message) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Netstring.estimatedCount(message))
        Netstring.encode(message, into: &out)
        return out
    }

    /// The serial encoding (spec §4.4): classic text with the inner `auth` field recomputed with
    /// `keys.active`.
    public static func encodeClassic(_ message: Message, signedWith keys: AuthKeys) throws(WireError) -> [UInt8] {
        var message = message
        let key = keys.active
        setAuth(&message, key.signatureText(try Classic.digestInput(message)))
        return try encodeClassic(message)
    }

    /// Classic text without authentication, as scripts write to the FIFO (spec §6.5).
    public static func encodeClassic(_ message: Message) throws(WireError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Netstring.estimatedCount(message) + message.fields.count * 8)
        try Classic.encode(message, into: &out)
        guard out.count <= maxMessageSize else { throw .tooLarge(size: out.count) }
        return out
    }

    /// Adds or replaces the inner `auth` field, `"<n> <hex>"` over the classic rendering of
    /// every other field (spec §2.3, §2.4 step 2). Left unchanged when the message has fields
    /// classic text cannot carry (struct, uncompress), as 3.0.6 skips this step for structs.
    public static func addInnerAuth(to message: inout Message, key: AuthKey) {
        guard let input = try? Classic.digestInput(message) else { return }
        setAuth(&message, key.signatureText(input))
    }

    /// Replaces the first `auth` field in place (or appends one) and drops any others: fields so
    /// named are outside the digest, so receivers reject a classic message with two.
    private static func setAuth(_ message: inout Message, _ signature: [UInt8]) {
        message.set("auth", .string(signature))
        var seen = false
        message.fields.removeAll { field in
            guard field.name == "auth" else { return false }
            defer { seen = true }
            return seen
        }
    }

    // MARK: Shared by both formats

    /// `name=` at the start of `range`: the name runs to the first `=`, must be non-empty UTF-8.
    /// Returns the name and where the value starts.
    static func parseName(_ bytes: [UInt8], _ range: Range<Int>) throws(WireError) -> (String, Int) {
        guard let equals = firstIndex(of: UInt8(ascii: "="), in: bytes[range]) else {
            throw .missingEquals(at: range.lowerBound)
        }
        guard equals > range.lowerBound else { throw .emptyName(at: range.lowerBound) }
        guard let name = String(validating: bytes[range.lowerBound..<equals], as: UTF8.self) else {
            throw .invalidName(at: range.lowerBound)
        }
        return (name, equals + 1)
    }

    /// `firstIndex(of:)` as a plain loop: the generic algorithm is many times slower in debug
    /// builds, and tests push hundreds of thousands of packets through here.
    static func firstIndex(of byte: UInt8, in bytes: ArraySlice<UInt8>) -> Int? {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    /// `bytes[start...].starts(with: prefix)` as a plain loop, for the same reason.
    static func hasPrefix(_ prefix: [UInt8], in bytes: [UInt8], at start: Int, end: Int) -> Bool {
        guard end - start >= prefix.count else { return false }
        var index = 0
        while index < prefix.count {
            if bytes[start + index] != prefix[index] { return false }
            index += 1
        }
        return true
    }
}
