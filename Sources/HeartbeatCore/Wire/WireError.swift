/// The two encodings of spec §1.2 and §1.3, told apart by their first four bytes.
public enum WireFormat: String, Sendable, Hashable, CaseIterable {
    /// `###\n` … `%%%\n` plus the auth trailer: every UDP and ICMP packet.
    case netstring
    /// `>>>\n` … `<<<\n` text: the serial line and the local FIFO.
    case classic
}

/// Why a packet was rejected. Every malformed or unauthenticated input ends in one of these,
/// never in a trap. Offsets (`at:`) are byte positions in the packet, for the log line;
/// `reason` drops them so it can key a "rejected packets" counter.
public enum WireError: Error, Sendable, Hashable, CustomStringConvertible {
    // Framing.
    /// Longer than MAXMSG (spec §1.5).
    case tooLarge(size: Int)
    /// Starts with neither `###\n` nor `>>>\n`.
    case unknownFormat
    /// The input ended early: a prefix of a marker, or an item whose length runs past the end.
    case truncated(at: Int)
    /// No `%%%\n` (netstring) or `<<<\n` line (classic).
    case missingEndMarker(WireFormat)
    /// Bytes after the end of the message (after the trailer, or after `<<<\n` and its optional NUL).
    case trailingBytes(at: Int)

    // Netstring items.
    /// A length that is not a run of decimal digits followed by `:`.
    case badLength(at: Int)
    /// A length written with a leading zero; 3.0.6 never sends one (spec §1.3).
    case lengthLeadingZero(at: Int)
    /// A length with more digits, or a larger value, than a MAXMSG packet can hold.
    case lengthTooLarge(at: Int)
    /// An item not followed by `,`.
    case missingComma(at: Int)

    // Fields.
    /// A netstring item without its mandatory `(T)` prefix (the input that aborts 3.0.6, spec §1.3),
    /// or a classic line starting with `(` that is not a `(T)` prefix.
    case missingTypePrefix(at: Int)
    /// A `(T)` prefix whose digit is not one of the types 0–5 of spec §1.1.
    case unknownType(digit: UInt8, at: Int)
    /// A classic line with an explicit `(0)`; 3.0.6 rejects it as "wrong type" (spec §1.2).
    case stringTypePrefix(at: Int)
    /// A field without `=`.
    case missingEquals(at: Int)
    /// A field whose name is empty.
    case emptyName(at: Int)
    /// A field name that is not UTF-8 (names are ASCII in every message 3.0.6 sends).
    case invalidName(at: Int)
    /// A binary or compressed value in classic text that is not standard padded base64.
    case badBase64(at: Int)
    /// A struct or uncompress field nested deeper than `Wire.maxNestingDepth`.
    case nestingTooDeep(at: Int)
    /// A struct or uncompress field whose value is not a `###\n` … `%%%\n` block.
    case badNestedMessage(at: Int)
    /// A struct (2) or uncompress (5) field in classic text, which this codec does not carry.
    case unsupportedInClassic(type: UInt8)

    // Authentication (spec §2).
    /// No auth trailer (netstring) or no `auth` field (classic).
    case missingAuth
    /// The signature is not `<slot> <digest>`.
    case badAuthToken
    /// A classic message with more than one field named `auth` (fields so named are not covered
    /// by the digest, so extra ones would ride along unauthenticated).
    case duplicateAuth
    /// The signature names a slot that authkeys does not define.
    case unknownAuthSlot(Int)
    /// The digest does not match: wrong key, or the packet was altered.
    case authFailed(slot: Int)

    /// A stable short name, without offsets, for counters ("rejected packets by reason").
    public var reason: String {
        switch self {
        case .tooLarge: "too-large"
        case .unknownFormat: "unknown-format"
        case .truncated: "truncated"
        case .missingEndMarker: "missing-end-marker"
        case .trailingBytes: "trailing-bytes"
        case .badLength: "bad-length"
        case .lengthLeadingZero: "length-leading-zero"
        case .lengthTooLarge: "length-too-large"
        case .missingComma: "missing-comma"
        case .missingTypePrefix: "missing-type-prefix"
        case .unknownType: "unknown-type"
        case .stringTypePrefix: "string-type-prefix"
        case .missingEquals: "missing-equals"
        case .emptyName: "empty-name"
        case .invalidName: "invalid-name"
        case .badBase64: "bad-base64"
        case .nestingTooDeep: "nesting-too-deep"
        case .badNestedMessage: "bad-nested-message"
        case .unsupportedInClassic: "unsupported-in-classic"
        case .missingAuth: "missing-auth"
        case .badAuthToken: "bad-auth-token"
        case .duplicateAuth: "duplicate-auth"
        case .unknownAuthSlot: "unknown-auth-slot"
        case .authFailed: "auth-failed"
        }
    }

    /// Whether the packet was well framed but failed authentication (as opposed to being malformed).
    public var isAuthenticationFailure: Bool {
        switch self {
        case .missingAuth, .badAuthToken, .duplicateAuth, .unknownAuthSlot, .authFailed: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .tooLarge(let size): "packet of \(size) bytes exceeds the \(Wire.maxMessageSize)-byte limit"
        case .unknownFormat: "packet starts with neither ###\\n (netstring) nor >>>\\n (classic)"
        case .truncated(let at): "packet truncated at byte \(at)"
        case .missingEndMarker(.netstring): "no %%%\\n end marker"
        case .missingEndMarker(.classic): "no <<< end line"
        case .trailingBytes(let at): "unexpected bytes after the end of the message at byte \(at)"
        case .badLength(let at): "malformed item length at byte \(at)"
        case .lengthLeadingZero(let at): "item length with a leading zero at byte \(at)"
        case .lengthTooLarge(let at): "item length too large at byte \(at)"
        case .missingComma(let at): "item not terminated by ',' at byte \(at)"
        case .missingTypePrefix(let at): "field without a well-formed (T) type prefix at byte \(at)"
        case .unknownType(let digit, let at):
            "unknown field type \(Self.printable(digit)) at byte \(at)"
        case .stringTypePrefix(let at): "string field with an explicit (0) prefix at byte \(at)"
        case .missingEquals(let at): "field without '=' at byte \(at)"
        case .emptyName(let at): "field with an empty name at byte \(at)"
        case .invalidName(let at): "field name is not UTF-8 at byte \(at)"
        case .badBase64(let at): "invalid base64 value at byte \(at)"
        case .nestingTooDeep(let at): "nested message deeper than \(Wire.maxNestingDepth) levels at byte \(at)"
        case .badNestedMessage(let at): "nested field value is not a ###...%%% block at byte \(at)"
        case .unsupportedInClassic(let type): "field type (\(type)) cannot be carried in classic text"
        case .missingAuth: "message carries no authentication"
        case .badAuthToken: "bad/invalid auth token"
        case .duplicateAuth: "more than one auth field"
        case .unknownAuthSlot(let slot): "auth key slot \(slot) is not configured in authkeys"
        case .authFailed(let slot): "authentication failed (key slot \(slot))"
        }
    }

    private static func printable(_ byte: UInt8) -> String {
        (0x21...0x7e).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }
}
