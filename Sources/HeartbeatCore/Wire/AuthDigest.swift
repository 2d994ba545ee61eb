/// CRC-32/POSIX as 3.0.6's `crc` method computes it (spec §2.2): poly 0x04C11DB7, MSB first,
/// init 0, final XOR 0xFFFFFFFF, and unlike `cksum` no length suffix. Check value of
/// "123456789" is 0x765e7680.
public enum CRC32POSIX {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index) << 24
        for _ in 0..<8 {
            crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1
        }
        return crc
    }

    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                crc = (crc << 8) ^ table[Int((crc >> 24) ^ UInt32(byte))]
            }
        }
        return ~crc
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}

/// HMAC (RFC 2104) over the hash functions of HashFunctions.swift.
public enum HMACDigest {
    /// The raw HMAC of `data` under `key`; `method` must not be `.crc`.
    public static func hmac(_ method: AuthMethod, key: [UInt8], data: UnsafeRawBufferPointer) -> [UInt8] {
        hmac(method, pads: HMACPads(method, key), data: data)
    }

    public static func hmac(_ method: AuthMethod, key: [UInt8], data: [UInt8]) -> [UInt8] {
        data.withUnsafeBytes { hmac(method, key: key, data: $0) }
    }

    static func hmac(_ method: AuthMethod, pads: HMACPads, data: UnsafeRawBufferPointer) -> [UInt8] {
        switch method {
        case .md5: hmac(MD5.self, pads: pads, data: data)
        case .sha1: hmac(SHA1.self, pads: pads, data: data)
        case .sha256: hmac(SHA256.self, pads: pads, data: data)
        case .crc: preconditionFailure("crc is not an HMAC")
        }
    }

    private static func hmac<Hash: BlockHash>(_: Hash.Type, pads: HMACPads, data: UnsafeRawBufferPointer) -> [UInt8] {
        let inner = pads.inner.withUnsafeBytes { Hash.hash($0, data) }
        return pads.outer.withUnsafeBytes { pad in inner.withUnsafeBytes { Hash.hash(pad, $0) } }
    }
}

/// A key's inner and outer HMAC blocks (RFC 2104 §2): a key longer than a block is hashed
/// first, the block-sized key is then XORed with 0x36 and 0x5c. Empty for `crc`.
struct HMACPads: Sendable, Hashable {
    var inner: [UInt8] = []
    var outer: [UInt8] = []

    init(_ method: AuthMethod, _ key: [UInt8]) {
        let block: [UInt8]
        switch method {
        case .md5: block = Self.keyBlock(MD5.self, key)
        case .sha1: block = Self.keyBlock(SHA1.self, key)
        case .sha256: block = Self.keyBlock(SHA256.self, key)
        case .crc: return
        }
        inner = block.map { $0 ^ 0x36 }
        outer = block.map { $0 ^ 0x5c }
    }

    private static func keyBlock<Hash: BlockHash>(_: Hash.Type, _ key: [UInt8]) -> [UInt8] {
        let block = key.count > Hash.blockSize ? key.withUnsafeBytes { Hash.hash($0) } : key
        return block + [UInt8](repeating: 0, count: Hash.blockSize - block.count)
    }
}

extension AuthKey {
    /// The digest text this key's method produces over `bytes` (spec §2.2): lower-case hex,
    /// unpadded for `crc`, full width for the HMACs.
    public func digestText(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        switch method {
        case .crc:
            return Array(String(CRC32POSIX.checksum(bytes), radix: 16).utf8)
        case .md5, .sha1, .sha256:
            return Hex.encode(HMACDigest.hmac(method, pads: pads, data: bytes))
        }
    }

    public func digestText(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { digestText($0) }
    }

    /// The signature text placed on the wire: `"<n> <digest>"` (spec §2.2).
    public func signatureText(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        Array(String(slot).utf8) + [UInt8(ascii: " ")] + digestText(bytes)
    }

    public func signatureText(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { signatureText($0) }
    }
}

/// The `<slot> <digest>` text of a trailer or of the classic `auth` field, split strictly:
/// a decimal slot in 0...15 without leading zeros, one space, a non-empty digest without spaces.
/// 3.0.6 reads it with `"%d %s"`; its own senders only ever produce this canonical form.
struct AuthToken {
    var slot: Int
    var digest: ArraySlice<UInt8>

    init(_ text: ArraySlice<UInt8>) throws(WireError) {
        // Plain index loops: the receive path runs every keepalive, in debug builds too.
        guard let space = Wire.firstIndex(of: UInt8(ascii: " "), in: text) else { throw .badAuthToken }
        let digits = space - text.startIndex
        guard digits == 1 || digits == 2 else { throw .badAuthToken }
        guard digits == 1 || text[text.startIndex] != UInt8(ascii: "0") else { throw .badAuthToken }
        var slot = 0
        for index in text.startIndex..<space {
            guard let digit = Netstring.decimalDigit(text[index]) else { throw .badAuthToken }
            slot = slot * 10 + digit
        }
        let digest = text[(space + 1)...]
        guard AuthKeys.slotRange.contains(slot), !digest.isEmpty,
              Wire.firstIndex(of: UInt8(ascii: " "), in: digest) == nil
        else { throw .badAuthToken }
        self.slot = slot
        self.digest = digest
    }

    /// Checks the digest over `bytes[range]` with the token's own slot: that slot's method and
    /// that slot's key. 3.0.6 uses the receiver's *signing* key for netstring trailers
    /// (spec §2.4b); this rule accepts everything it accepts, plus correct rollovers.
    func verify(_ bytes: [UInt8], covering range: Range<Int>? = nil, keys: AuthKeys) throws(WireError) {
        guard let key = keys.slots[slot] else { throw .unknownAuthSlot(slot) }
        let expected = bytes.withUnsafeBytes { all in
            key.digestText(UnsafeRawBufferPointer(rebasing: all[range ?? 0..<bytes.count]))
        }
        guard constantTimeEqual(expected, digest) else { throw .authFailed(slot: slot) }
    }
}

/// Compares without an early exit, so the time taken does not reveal how many leading digest
/// characters an attacker guessed right.
func constantTimeEqual(_ a: [UInt8], _ b: ArraySlice<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    var index = 0
    while index < a.count {
        difference |= a[index] ^ b[b.startIndex + index]
        index += 1
    }
    return difference == 0
}

enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `String(value, radix: 16)`, which the generic integer formatting makes costly on a path
    /// that puts several numbers into every heartbeat.
    static func text(_ value: UInt64) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { buffer in
            var start = 16
            var rest = value
            repeat {
                start -= 1
                buffer[start] = digits[Int(rest & 0x0f)]
                rest >>= 4
            } while rest != 0
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self)
        }
    }

    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return out
    }
}
