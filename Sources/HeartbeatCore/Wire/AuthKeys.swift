/// Signing methods of `authkeys` (spec §2.2). `sha256` is our extension: 3.0.6 peers cannot verify it.
public enum AuthMethod: String, Sendable, Hashable, CaseIterable {
    case crc, md5, sha1, sha256

    /// Whether the method takes a secret (`crc` must not have one).
    public var needsKey: Bool { self != .crc }
}

/// One key slot: `<n> <method> [<key>]`. The key is raw bytes, used as written.
public struct AuthKey: Sendable, Hashable {
    public var slot: Int
    public let method: AuthMethod
    public let secret: [UInt8]
    /// The HMAC's padded key blocks, made once per key instead of for every packet (method and
    /// secret are constants, so they always match).
    let pads: HMACPads

    public init(slot: Int, method: AuthMethod, secret: [UInt8] = []) {
        self.slot = slot
        self.method = method
        self.secret = secret
        pads = HMACPads(method, secret)
    }
}

/// The whole authkeys file: every slot, and the one `auth <n>` selects for signing.
public struct AuthKeys: Sendable, Hashable {
    public static let slotRange = 0...15

    public var slots: [Int: AuthKey]
    public var activeSlot: Int

    public init(slots: [Int: AuthKey], activeSlot: Int) {
        self.slots = slots
        self.activeSlot = activeSlot
    }

    /// Convenience for the common single-key file.
    public init(_ key: AuthKey) {
        self.init(slots: [key.slot: key], activeSlot: key.slot)
    }

    /// The signing key. A validated `AuthKeys` always has it.
    public var active: AuthKey { slots[activeSlot]! }
}
