/// The netstring format of spec §1.3: `###\n`, then `<len>:(<T>)<name>=<value>,` items, then `%%%\n`,
/// then (on the network) the auth trailer `<alen>:<n> <digest>,`.
enum Netstring {
    static let startMarker: [UInt8] = Array("###\n".utf8)
    static let endMarker: [UInt8] = Array("%%%\n".utf8)

    // MARK: Encoding

    /// Appends `###\n`, the items, and `%%%\n` (no trailer).
    static func encode(_ message: Message, into out: inout [UInt8]) {
        out.append(contentsOf: startMarker)
        for field in message.fields {
            let name = field.name.utf8
            let value: [UInt8]
            switch field.value {
            case .string(let bytes), .binary(let bytes), .other(_, let bytes): value = bytes
            }
            appendDecimal(3 + name.count + 1 + value.count, to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(UInt8(ascii: "("))
            out.append(UInt8(ascii: "0") + field.value.typeDigit)
            out.append(UInt8(ascii: ")"))
            out.append(contentsOf: name)
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: value)
            out.append(UInt8(ascii: ","))
        }
        out.append(contentsOf: endMarker)
    }

    /// Upper bound of the encoded size, to reserve capacity once.
    static func estimatedCount(_ message: Message) -> Int {
        message.fields.reduce(8 + 96) { total, field in
            let valueCount: Int
            switch field.value {
            case .string(let bytes), .binary(let bytes), .other(_, let bytes): valueCount = bytes.count
            }
            return total + field.name.utf8.count + valueCount + 12
        }
    }

    /// Appends the trailer `<alen>:<n> <digest>,` signing `out` as it stands (spec §2.3).
    static func appendTrailer(signedWith key: AuthKey, to out: inout [UInt8]) {
        let signature = key.signatureText(out)
        appendDecimal(signature.count, to: &out)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: signature)
        out.append(UInt8(ascii: ","))
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    // MARK: Framing

    /// Where the message body ends and the trailer begins, found without reading any field:
    /// the *last* `%%%\n` in the packet. A well-formed trailer never contains `%`, so for every
    /// packet a real node sends this is the true end marker, even when a binary value in the
    /// body happens to contain `%%%\n`; for anything else the digest check or the exact
    /// item walk that follows verification rejects it.
    static func split(_ packet: [UInt8]) throws(WireError) -> (bodyEnd: Int, trailerStart: Int) {
        var index = packet.count - endMarker.count
        while index >= startMarker.count {
            if packet[index] == UInt8(ascii: "%"), packet[index + 1] == UInt8(ascii: "%"),
               packet[index + 2] == UInt8(ascii: "%"), packet[index + 3] == UInt8(ascii: "\n") {
                return (index, index + endMarker.count)
            }
            index -= 1
        }
        throw .missingEndMarker(.netstring)
    }

    /// Parses the trailer, which must run exactly to the end of the packet.
    static func trailer(_ packet: [UInt8], from start: Int) throws(WireError) -> AuthToken {
        guard start < packet.count else { throw .missingAuth }
        let (length, textStart) = try parseLength(packet, at: start, limit: packet.count)
        let textEnd = textStart + length
        guard textEnd < packet.count else { throw .truncated(at: packet.count) }
        guard packet[textEnd] == UInt8(ascii: ",") else { throw .missingComma(at: textEnd) }
        guard textEnd + 1 == packet.count else { throw .trailingBytes(at: textEnd + 1) }
        return try AuthToken(packet[textStart..<textEnd])
    }

    // MARK: Items

    /// Parses the items filling exactly `range` (between the markers).
    static func parseItems(_ bytes: [UInt8], _ range: Range<Int>, depth: Int) throws(WireError) -> [Field] {
        var fields: [Field] = []
        var index = range.lowerBound
        while index < range.upperBound {
            let (length, payloadStart) = try parseLength(bytes, at: index, limit: range.upperBound)
            let payloadEnd = payloadStart + length
            // The ',' must fit inside the body too.
            guard payloadEnd < range.upperBound else { throw .truncated(at: range.upperBound) }
            guard bytes[payloadEnd] == UInt8(ascii: ",") else { throw .missingComma(at: payloadEnd) }
            fields.append(try parseField(bytes, payloadStart..<payloadEnd, depth: depth))
            index = payloadEnd + 1
        }
        return fields
    }

    /// A decimal length followed by `:`. No sign, no leading zeros, at most six digits
    /// (MAXMSG has six), never more than MAXMSG.
    static func parseLength(_ bytes: [UInt8], at start: Int, limit: Int) throws(WireError) -> (value: Int, next: Int) {
        var index = start
        var value = 0
        while index < limit, let digit = decimalDigit(bytes[index]) {
            guard index - start < 6 else { throw .lengthTooLarge(at: start) }
            value = value * 10 + digit
            index += 1
        }
        guard index < limit else { throw .truncated(at: limit) }
        guard index > start, bytes[index] == UInt8(ascii: ":") else { throw .badLength(at: start) }
        guard bytes[start] != UInt8(ascii: "0") || index - start == 1 else { throw .lengthLeadingZero(at: start) }
        guard value <= Wire.maxMessageSize else { throw .lengthTooLarge(at: start) }
        return (value, index + 1)
    }

    /// One item's payload: `(T)name=value`.
    static func parseField(_ bytes: [UInt8], _ payload: Range<Int>, depth: Int) throws(WireError) -> Field {
        let start = payload.lowerBound
        guard payload.count >= 3, bytes[start] == UInt8(ascii: "("), bytes[start + 2] == UInt8(ascii: ")") else {
            throw .missingTypePrefix(at: start)
        }
        guard let type = decimalDigit(bytes[start + 1]), type <= 5 else {
            throw .unknownType(digit: bytes[start + 1], at: start + 1)
        }
        let (name, valueStart) = try Wire.parseName(bytes, (start + 3)..<payload.upperBound)
        let valueRange = valueStart..<payload.upperBound
        let value: Field.Value
        switch type {
        case 0: value = .string(Array(bytes[valueRange]))
        case 1: value = .binary(Array(bytes[valueRange]))
        case 2, 5:
            // Struct and uncompress values are whole nested messages. They are kept as raw bytes,
            // but checked to be well formed, to a bounded depth, so that no caller ever holds a
            // nested value this parser would not accept.
            try validateNested(bytes, valueRange, depth: depth + 1)
            value = .other(type: UInt8(type), raw: Array(bytes[valueRange]))
        default: value = .other(type: UInt8(type), raw: Array(bytes[valueRange]))
        }
        return Field(name: name, value: value)
    }

    static func validateNested(_ bytes: [UInt8], _ range: Range<Int>, depth: Int) throws(WireError) {
        guard depth <= Wire.maxNestingDepth else { throw .nestingTooDeep(at: range.lowerBound) }
        guard range.count >= startMarker.count + endMarker.count,
              Wire.hasPrefix(startMarker, in: bytes, at: range.lowerBound, end: range.upperBound),
              Wire.hasPrefix(endMarker, in: bytes, at: range.upperBound - endMarker.count, end: range.upperBound)
        else { throw .badNestedMessage(at: range.lowerBound) }
        _ = try parseItems(bytes, (range.lowerBound + 4)..<(range.upperBound - 4), depth: depth)
    }

    @inline(__always)
    static func decimalDigit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }
}
