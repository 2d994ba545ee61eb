/// The classic text format of spec §1.2: `>>>\n`, one `[(T)]name=value\n` line per field, `<<<\n`.
/// Used on the serial line (with the inner `auth` field) and on the local FIFO (without).
///
/// This codec carries types 0 (string), 1 (binary, base64), 3 (list, its packed text as is) and
/// 4 (compress, base64). Types 2 (struct) and 5 (uncompress) would need the depth-symbol
/// rendering of nested messages; a v1 cluster never puts them on serial or the FIFO, so they are
/// rejected with `WireError.unsupportedInClassic` in both directions.
enum Classic {
    static let startMarker: [UInt8] = Array(">>>\n".utf8)
    static let endLine: [UInt8] = Array("<<<".utf8)
    /// Strings carry newlines as this byte, because a newline ends the line (spec §1.1).
    static let escapedNewline: UInt8 = 0x13

    // MARK: Encoding

    /// Appends one field's line, without its `\n`.
    static func appendLine(_ field: Field, to out: inout [UInt8]) throws(WireError) {
        switch field.value {
        case .string(let bytes):
            out.append(contentsOf: field.name.utf8)
            out.append(UInt8(ascii: "="))
            for byte in bytes { out.append(byte == UInt8(ascii: "\n") ? escapedNewline : byte) }
        case .binary(let bytes):
            appendPrefixedName(1, field.name, to: &out)
            Base64.encode(bytes, into: &out)
        case .other(3, let raw):
            appendPrefixedName(3, field.name, to: &out)
            out.append(contentsOf: raw)
        case .other(4, let raw):
            appendPrefixedName(4, field.name, to: &out)
            Base64.encode(raw, into: &out)
        case .other(let type, _):
            throw .unsupportedInClassic(type: type)
        }
    }

    private static func appendPrefixedName(_ type: UInt8, _ name: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "("))
        out.append(UInt8(ascii: "0") + type)
        out.append(UInt8(ascii: ")"))
        out.append(contentsOf: name.utf8)
        out.append(UInt8(ascii: "="))
    }

    static func encode(_ message: Message, into out: inout [UInt8]) throws(WireError) {
        out.append(contentsOf: startMarker)
        for field in message.fields {
            try appendLine(field, to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        out.append(contentsOf: endLine)
        out.append(UInt8(ascii: "\n"))
    }

    /// What the inner `auth` digest covers (spec §2.3): every field's line and its `\n`,
    /// in order, skipping fields named `auth`, without the markers.
    static func digestInput(_ message: Message) throws(WireError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Netstring.estimatedCount(message) + message.fields.count * 8)
        for field in message.fields where field.name != "auth" {
            try appendLine(field, to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    // MARK: Framing

    /// The ranges of the field lines (without `\n`), up to the `<<<` line. Runs of `\n` between
    /// lines are skipped, as 3.0.6 does. After `<<<\n` only the NUL that 3.0.6's in-memory form
    /// appends may follow.
    static func lines(_ packet: [UInt8]) throws(WireError) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        var index = startMarker.count
        while true {
            while index < packet.count, packet[index] == UInt8(ascii: "\n") { index += 1 }
            guard index < packet.count,
                  let newline = Wire.firstIndex(of: UInt8(ascii: "\n"), in: packet[index...])
            else { throw .missingEndMarker(.classic) }
            let line = index..<newline
            index = newline + 1
            if line.count == endLine.count, Wire.hasPrefix(endLine, in: packet, at: line.lowerBound, end: newline) {
                break
            }
            lines.append(line)
        }
        if index < packet.count, !(index + 1 == packet.count && packet[index] == 0) {
            throw .trailingBytes(at: index)
        }
        return lines
    }

    private static let authName: [UInt8] = Array("auth=".utf8)

    /// Whether a line is a field named `auth`, of any type, looked at only this far: used before
    /// authentication, so it must not interpret anything else.
    static func isAuthLine(_ packet: [UInt8], _ line: Range<Int>) -> Bool {
        let start = line.lowerBound
        if Wire.hasPrefix(authName, in: packet, at: start, end: line.upperBound) { return true }
        return line.count >= 3 && packet[start] == UInt8(ascii: "(")
            && Wire.hasPrefix(authName, in: packet, at: start + 3, end: line.upperBound)
    }

    /// Verifies the inner `auth` field (spec §2.3, §2.4b) over the raw lines. For every message a
    /// real node sends, the raw lines equal the re-rendered fields 3.0.6 digests.
    ///
    /// Fields named `auth` are outside the digest, so 3.0.6 lets anyone add more of them to a
    /// signed message. No sender produces two (the field is replaced in place), so a second one
    /// is rejected here rather than passed on unauthenticated.
    static func verify(_ packet: [UInt8], lines: [Range<Int>], keys: AuthKeys) throws(WireError) -> Int {
        var authLine: Range<Int>?
        var covered: [UInt8] = []
        covered.reserveCapacity(packet.count)
        for line in lines {
            if isAuthLine(packet, line) {
                guard authLine == nil else { throw .duplicateAuth }
                authLine = line
            } else {
                covered.append(contentsOf: packet[line])
                covered.append(UInt8(ascii: "\n"))
            }
        }
        // The token must be the plain string form `auth=<n> <digest>`.
        guard let authLine else { throw .missingAuth }
        guard packet[authLine.lowerBound] != UInt8(ascii: "(") else { throw .badAuthToken }
        let token = try AuthToken(packet[(authLine.lowerBound + authName.count)..<authLine.upperBound])
        try token.verify(covered, keys: keys)
        return token.slot
    }

    // MARK: Fields

    static func parseLine(_ packet: [UInt8], _ line: Range<Int>) throws(WireError) -> Field {
        let start = line.lowerBound
        var type = 0
        var nameStart = start
        if packet[start] == UInt8(ascii: "(") {
            guard line.count >= 3, packet[start + 2] == UInt8(ascii: ")") else { throw .missingTypePrefix(at: start) }
            guard let digit = Netstring.decimalDigit(packet[start + 1]), digit <= 5 else {
                throw .unknownType(digit: packet[start + 1], at: start + 1)
            }
            // An explicit (0) is what 3.0.6 calls "wrong type" (spec §1.2).
            guard digit != 0 else { throw .stringTypePrefix(at: start) }
            guard digit != 2, digit != 5 else { throw .unsupportedInClassic(type: UInt8(digit)) }
            type = digit
            nameStart = start + 3
        }
        let (name, valueStart) = try Wire.parseName(packet, nameStart..<line.upperBound)
        let text = packet[valueStart..<line.upperBound]
        switch type {
        case 0:
            return Field(name: name, value: .string(text.map { $0 == escapedNewline ? UInt8(ascii: "\n") : $0 }))
        case 3:
            return Field(name: name, value: .other(type: 3, raw: Array(text)))
        default:
            guard let bytes = Base64.decode(text) else { throw .badBase64(at: valueStart) }
            return Field(name: name, value: type == 1 ? .binary(bytes) : .other(type: 4, raw: bytes))
        }
    }
}
