/// A Heartbeat message: an ordered list of named, typed fields (spec §1.1).
/// Names may repeat; lookups return the first match, as 3.0.6 does.
public struct Message: Sendable, Hashable {
    public var fields: [Field]

    public init(_ fields: [Field] = []) { self.fields = fields }

    /// Builds a message of string fields, in order: `Message(("dest", "node2"), ("t", "repnodes"))`.
    public init(_ pairs: (String, String)...) {
        self.fields = pairs.map { Field($0.0, $0.1) }
    }

    /// The first string field with this name, decoded as UTF-8 (lossy for non-UTF-8 bytes).
    public subscript(name: String) -> String? {
        get {
            guard let field = first(named: name), case .string(let bytes) = field.value else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }
        set { set(name, newValue.map { .string(Array($0.utf8)) }) }
    }

    public func first(named name: String) -> Field? {
        // Lengths first: comparing two unequal short strings costs far more than their counts.
        let length = name.utf8.count
        return fields.first { $0.name.utf8.count == length && $0.name == name }
    }

    /// The first binary field with this name.
    public func binary(_ name: String) -> [UInt8]? {
        guard let field = first(named: name), case .binary(let bytes) = field.value else { return nil }
        return bytes
    }

    /// Replaces the first field with this name in place, or appends it; `nil` removes every field so named.
    public mutating func set(_ name: String, _ value: Field.Value?) {
        guard let value else {
            fields.removeAll { $0.name == name }
            return
        }
        let length = name.utf8.count
        if let index = fields.firstIndex(where: { $0.name.utf8.count == length && $0.name == name }) {
            fields[index].value = value
        } else {
            fields.append(Field(name: name, value: value))
        }
    }
}

public struct Field: Sendable, Hashable {
    public var name: String
    public var value: Value

    public init(name: String, value: Value) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ string: String) {
        self.init(name: name, value: .string(Array(string.utf8)))
    }

    /// Field types of spec §1.1 by their wire digit. A v1 cluster only sends `string` and `binary`;
    /// the others are carried as their raw netstring payload so a message still round-trips.
    public enum Value: Sendable, Hashable {
        case string([UInt8])     // (0)
        case binary([UInt8])     // (1)
        case other(type: UInt8, raw: [UInt8])  // (2)…(5): struct, list, compress, uncompress

        public var typeDigit: UInt8 {
            switch self {
            case .string: 0
            case .binary: 1
            case .other(let type, _): type
            }
        }
    }
}
