import Foundation
@testable import HeartbeatCore

/// Test vectors and captures of Heartbeat 3.0.6's own packets (spec §1.9), and a seeded PRNG.
enum WireFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func bytes(_ relativePath: String) -> [UInt8] {
        let url = directory.appendingPathComponent(relativePath)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            fatalError("missing fixture \(url.path)")
        }
        return [UInt8](data)
    }

    /// authkeys `auth 1` / `1 <method> secret` (no key for crc), as the vectors and captures use.
    static func keys(_ method: AuthMethod, secret: String = "secret", slot: Int = 1) -> AuthKeys {
        AuthKeys(AuthKey(slot: slot, method: method, secret: method.needsKey ? Array(secret.utf8) : []))
    }

    /// The status message of spec §1.9, header fields included, inner auth not yet added.
    static let statusMessage = Message([
        Field("t", "status"), Field("st", "active"), Field("dt", "7530"), Field("protocol", "1"),
        Field("src", "alice"),
        Field(name: "srcuuid", value: .binary([0x6f, 0x1c, 0x2a, 0x4e, 0x9b, 0x30, 0x4d, 0x5e,
                                               0xa1, 0x07, 0x33, 0x21, 0x5c, 0x8d, 0x90, 0x12])),
        Field("seq", "2a"), Field("hg", "6720c7e2"), Field("ts", "6720c9a1"),
        Field("ld", "0.08 0.03 0.01 1/187 2301"), Field("ttl", "3"),
    ])

    /// The byte-exact vectors: file, method, inner digest, trailer digest (spec §1.9).
    static let vectors: [(file: String, method: AuthMethod, inner: String, trailer: String)] = [
        ("status-sha1-secret.bin", .sha1, "15dd626516dcde9ead068575f26de480b8e98595",
         "742fd9c332ac39ca8c8cd588e856af9aff741380"),
        ("status-md5-secret.bin", .md5, "6942578697811c71a78986a1b5713fbc", "758587e4e51f3b8d9ad9cc8ca44799d0"),
        ("status-crc.bin", .crc, "e8ebe016", "61a10556"),
    ]

    /// Capture sets by name prefix, with the authkeys method the file name gives.
    static let captureSets: [(name: String, method: AuthMethod)] = [
        ("bcast-sha1", .sha1), ("mcast-sha1", .sha1), ("ucast-crc", .crc),
        ("ucast-md5", .md5), ("ucast-sha1", .sha1),
    ]

    /// Every raw capture `.bin` file with its method.
    static let captureFiles: [(file: String, method: AuthMethod, packet: [UInt8])] = captureSets.flatMap { set in
        (1...6).map { index in
            let file = "captures/\(set.name)-\(index).bin"
            return (file, set.method, bytes(file))
        }
    }

    /// Every packet of a capture's readable `.txt` decode (more than the six `.bin` files), rebuilt
    /// byte-exact from its escaped payload lines.
    static func textCapturePackets(_ name: String) -> [[UInt8]] {
        let text = String(decoding: bytes("captures/\(name).txt"), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var packets: [[UInt8]] = []
        for (index, line) in lines.enumerated() where line == "  |###|" && index + 2 < lines.count {
            let body = lines[index + 1].dropFirst(3).dropLast()
            let trailer = lines[index + 2].dropFirst(3).dropLast()
            packets.append(Array("###\n".utf8) + unescape(String(body)) + [0x0a] + unescape(String(trailer)))
        }
        return packets
    }

    /// Undoes Python's bytes repr escaping used by the capture decodes.
    static func unescape(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count else {
                out.append(bytes[index])
                index += 1
                continue
            }
            switch bytes[index + 1] {
            case UInt8(ascii: "x"):
                out.append(UInt8(String(decoding: bytes[(index + 2)..<(index + 4)], as: UTF8.self), radix: 16)!)
                index += 4
                continue
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "t"): out.append(0x09)
            default: out.append(bytes[index + 1])  // \\ and \'
            }
            index += 2
        }
        return out
    }
}

/// SplitMix64: a tiny, seeded, reproducible generator (no system randomness in tests).
struct SplitMix64: RandomNumberGenerator {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    // Non-generic helpers: the stdlib's generic `random(in:using:)` is slow in debug builds, and
    // these tests draw millions of numbers. (Modulo bias is irrelevant here.)

    /// Uniform in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }

    mutating func bool() -> Bool { next() & 1 == 1 }

    mutating func pick<T>(_ elements: [T]) -> T { elements[int(0...(elements.count - 1))] }
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
