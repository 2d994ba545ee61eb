import Testing
@testable import HeartbeatCore

/// Byte-exact interop with Heartbeat 3.0.6: the spec's vectors, real captures, and the
/// primitives underneath (CRC-32/POSIX, HMAC).
@Suite struct WireVectorTests {
    // MARK: Primitives

    @Test func crcCheckValue() {
        #expect(CRC32POSIX.checksum(Array("123456789".utf8)) == 0x765e_7680)
        let key = AuthKey(slot: 1, method: .crc)
        #expect(key.digestText(Array("123456789".utf8)).text == "765e7680")
        // init 0 and final XOR 0xffffffff: the empty input gives 0xffffffff.
        #expect(CRC32POSIX.checksum([]) == 0xffff_ffff)
    }

    @Test func crcDigestIsUnpaddedHex() throws {
        // Capture ucast-crc packet 12 carries trailer digest "970a4a" (six digits, no padding).
        let packets = WireFixtures.textCapturePackets("ucast-crc")
        let packet = try #require(packets.first { $0.text.hasSuffix(":1 970a4a,") })
        let decoded = try Wire.decode(packet, keys: WireFixtures.keys(.crc))
        #expect(decoded.authSlot == 1)
    }

    struct HMACVector: Sendable, CustomTestStringConvertible {
        var method: AuthMethod
        var key: [UInt8]
        var data: [UInt8]
        var expected: String
        var testDescription: String { "\(method) \(expected.prefix(8))" }
    }

    static let hmacVectors: [HMACVector] = {
        let hiThere = Array("Hi There".utf8)
        let jefe = Array("Jefe".utf8), whatDoYaWant = Array("what do ya want for nothing?".utf8)
        let dd50 = [UInt8](repeating: 0xdd, count: 50)
        let largeKeyText = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
        return [
            // RFC 2202 §2 (HMAC-MD5), cases 1, 2, 3, 6.
            HMACVector(method: .md5, key: .init(repeating: 0x0b, count: 16), data: hiThere,
                       expected: "9294727a3638bb1c13f48ef8158bfc9d"),
            HMACVector(method: .md5, key: jefe, data: whatDoYaWant, expected: "750c783e6ab0b503eaa86e310a5db738"),
            HMACVector(method: .md5, key: .init(repeating: 0xaa, count: 16), data: dd50,
                       expected: "56be34521d144c88dbb8c733f0e8b3f6"),
            HMACVector(method: .md5, key: .init(repeating: 0xaa, count: 80), data: largeKeyText,
                       expected: "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"),
            // RFC 2202 §3 (HMAC-SHA1), cases 1, 2, 3, 6.
            HMACVector(method: .sha1, key: .init(repeating: 0x0b, count: 20), data: hiThere,
                       expected: "b617318655057264e28bc0b6fb378c8ef146be00"),
            HMACVector(method: .sha1, key: jefe, data: whatDoYaWant, expected: "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
            HMACVector(method: .sha1, key: .init(repeating: 0xaa, count: 20), data: dd50,
                       expected: "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
            HMACVector(method: .sha1, key: .init(repeating: 0xaa, count: 80), data: largeKeyText,
                       expected: "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
            // RFC 4231 §4 (HMAC-SHA256), cases 1, 2, 3, 6.
            HMACVector(method: .sha256, key: .init(repeating: 0x0b, count: 20), data: hiThere,
                       expected: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            HMACVector(method: .sha256, key: jefe, data: whatDoYaWant,
                       expected: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            HMACVector(method: .sha256, key: .init(repeating: 0xaa, count: 20), data: dd50,
                       expected: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            HMACVector(method: .sha256, key: .init(repeating: 0xaa, count: 131), data: largeKeyText,
                       expected: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ]
    }()

    @Test(arguments: hmacVectors) func hmacMatchesRFCVectors(_ vector: HMACVector) {
        #expect(Hex.encode(HMACDigest.hmac(vector.method, key: vector.key, data: vector.data)).text == vector.expected)
        let key = AuthKey(slot: 3, method: vector.method, secret: vector.key)
        #expect(key.signatureText(vector.data).text == "3 " + vector.expected)
    }

    @Test func hmacAcceptsEmptyKeyAndData() {
        // HMAC-SHA256 with an empty key over empty data (a well-known value).
        #expect(Hex.encode(HMACDigest.hmac(.sha256, key: [], data: [])).text
                    == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    // MARK: The hash functions under the HMACs

    /// Digests of `(i * 7 + 3) & 0xff` for i in 0..<length, from Python's hashlib: the lengths
    /// around 56 and 64 bytes are where the padding spills into a second block.
    static let hashVectors: [(length: Int, md5: String, sha1: String, sha256: String)] = [
        (0, "d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (3, "c9aee4810523ef8658121b8d492c6b41", "4201de9f98cb0a9b8cf52398be7802b55d45266a",
         "6ab0dba1f4f1dfbb37b4f9eeb092c09fca4900ad32bdcd147d8dde35d6c87c35"),
        (55, "52c0e574e1198de5fe3f8f11440dcb1b", "ddf57317ef34bfee3b6df83d359098930eb278bc",
         "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"),
        (56, "46c9907fc908ee68b1e7b8e71286a518", "a0d492bb0fc889d0eca3bc137066ab6f4f74f369",
         "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"),
        (63, "a62f6d59e837867693f042f5b8f5a236", "c55856749bef509bdfe6bfebfc7bf4e793e82132",
         "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"),
        (64, "7160b8fb5e9e4023d549c3971fbaeead", "bede92be29c3874e1b54ddc77988d606fc857a8e",
         "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"),
        (65, "70bd662e7aefbda85a0f7244167b7897", "b05a80522b053d6dc7e0a517d0e70212c7dad11f",
         "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"),
        (119, "e84905d4214f4d1ca56c2cdcc152b143", "504e27376a6e0f0dba8295b85cb25dc4dfa17d23",
         "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"),
        (120, "e3eb5a6c8669ea01a8c185b8abc8a5dc", "82134b02fb3f702491be9bed581eeab59334acb2",
         "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"),
        (200, "4c79b81ac94bad7a875519ce6b964c66", "892b673ca3c696ab13ab8aab3cf3abfbc3aaeb3b",
         "2c7e18c942ef065b526a2d4e5546283749cd3ddfb51d8fc71f42717363685f46"),
    ]

    @Test func hashFunctionsMatchReferenceDigestsAtEveryPaddingBoundary() {
        for vector in Self.hashVectors {
            let data = (0..<vector.length).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
            data.withUnsafeBytes { bytes in
                #expect(Hex.encode(MD5.hash(bytes)).text == vector.md5, "MD5 of \(vector.length) bytes")
                #expect(Hex.encode(SHA1.hash(bytes)).text == vector.sha1, "SHA-1 of \(vector.length) bytes")
                #expect(Hex.encode(SHA256.hash(bytes)).text == vector.sha256, "SHA-256 of \(vector.length) bytes")
            }
        }
    }

    @Test func hexTextMatchesTheStandardLibrarysRadix16() {
        for value: UInt64 in [0, 1, 9, 10, 15, 16, 255, 256, 0x6571_2b3c, 1 << 63, .max] {
            #expect(Hex.text(value) == String(value, radix: 16))
        }
    }

    @Test func hashOfPartsIsTheHashOfTheirConcatenation() {
        let data = (0..<200).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
        data.withUnsafeBytes { bytes in
            let split = SHA1.hash(UnsafeRawBufferPointer(rebasing: bytes[..<70]), UnsafeRawBufferPointer(rebasing: bytes[70...]))
            #expect(Hex.encode(split).text == "892b673ca3c696ab13ab8aab3cf3abfbc3aaeb3b")
        }
    }

    // MARK: The §1.9 status vectors

    @Test(arguments: WireFixtures.vectors.indices) func statusVectorEncodesByteExact(_ index: Int) throws {
        let vector = WireFixtures.vectors[index]
        let expected = WireFixtures.bytes(vector.file)
        let encoded = try Wire.encodeNetstring(WireFixtures.statusMessage, signedWith: WireFixtures.keys(vector.method))
        #expect(encoded.count == expected.count)
        #expect(encoded == expected, "\(vector.file)\n got: \(encoded.text)\nwant: \(expected.text)")
    }

    @Test(arguments: WireFixtures.vectors.indices) func statusVectorDecodesAndVerifies(_ index: Int) throws {
        let vector = WireFixtures.vectors[index]
        let decoded = try Wire.decode(WireFixtures.bytes(vector.file), keys: WireFixtures.keys(vector.method))
        #expect(decoded.format == .netstring)
        #expect(decoded.authSlot == 1)
        var expected = WireFixtures.statusMessage
        expected.fields.append(Field("auth", "1 " + vector.inner))
        #expect(decoded.message == expected)
        #expect(decoded.message.type == .status)
        #expect(decoded.message.binary("srcuuid")?.count == 16)
        #expect(WireFixtures.bytes(vector.file).text.hasSuffix(":1 \(vector.trailer),"))
    }

    @Test(arguments: WireFixtures.vectors.indices) func statusVectorFailsWithWrongKey(_ index: Int) throws {
        let vector = WireFixtures.vectors[index]
        let packet = WireFixtures.bytes(vector.file)
        // Same slot, wrong secret (crc has none, so use a different method there).
        let wrong: AuthKeys = vector.method == .crc
            ? WireFixtures.keys(.md5) : WireFixtures.keys(vector.method, secret: "Secret")
        #expect(throws: WireError.authFailed(slot: 1)) { try Wire.decode(packet, keys: wrong) }
        // The right key in another slot only.
        #expect(throws: WireError.unknownAuthSlot(1)) {
            try Wire.decode(packet, keys: WireFixtures.keys(vector.method, slot: 2))
        }
    }

    /// Every single-byte change anywhere in a vector (each of the 8 bit flips and the full
    /// inversion) must fail: the trailer digest covers the body, and the trailer itself is strict.
    @Test(arguments: WireFixtures.vectors.indices) func everyFlippedByteFailsVerification(_ index: Int) {
        let vector = WireFixtures.vectors[index]
        let original = WireFixtures.bytes(vector.file)
        let keys = WireFixtures.keys(vector.method)
        var accepted: [String] = []
        for position in original.indices {
            for mask: UInt8 in [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff] {
                var packet = original
                packet[position] ^= mask
                if (try? Wire.decode(packet, keys: keys)) != nil { accepted.append("byte \(position) ^ \(mask)") }
            }
        }
        #expect(accepted.isEmpty, "\(vector.file): accepted \(accepted)")
    }

    @Test func serialEncodingOfTheVectorCarriesTheSameInnerAuth() throws {
        for vector in WireFixtures.vectors {
            let keys = WireFixtures.keys(vector.method)
            let text = try Wire.encodeClassic(WireFixtures.statusMessage, signedWith: keys)
            #expect(text.text.hasPrefix(">>>\nt=status\nst=active\n"))
            #expect(text.text.contains("\n(1)srcuuid=bxwqTpswTV6hBzMhXI2QEg==\n"))
            #expect(text.text.hasSuffix("\nauth=1 \(vector.inner)\n<<<\n"))
            let decoded = try Wire.decode(text, keys: keys)
            #expect(decoded.format == .classic)
            #expect(try decoded.message == Wire.decode(WireFixtures.bytes(vector.file), keys: keys).message)
        }
    }

    // MARK: Real captures

    @Test(arguments: WireFixtures.captureFiles.indices) func captureDecodesAndVerifies(_ index: Int) throws {
        let capture = WireFixtures.captureFiles[index]
        let decoded = try Wire.decode(capture.packet, keys: WireFixtures.keys(capture.method))
        let message = decoded.message
        #expect(decoded.format == .netstring && decoded.authSlot == 1)
        #expect(message.type == .status || message.type == .ack)
        #expect(["node1", "node2"].contains(message["src"] ?? ""))
        #expect(message.binary("srcuuid")?.count == 16)
        #expect(message["hg"] != nil && message["ts"] != nil && message["ttl"] == "3")
        if message.type == .status {
            #expect(["init", "up"].contains(message["st"] ?? "") && message["dt"] == "bb8" && message["seq"] != nil)
        } else {
            // NS_ types carry no seq and no ld (spec §1.7).
            #expect(message["seq"] == nil && message["ld"] == nil && message.binary("destuuid")?.count == 16)
        }
        // The fields are exact: re-encoding them gives the captured bytes, trailer included.
        #expect(try Wire.encodeNetstring(message, signedWith: WireFixtures.keys(capture.method), innerAuth: false)
                    == capture.packet)
        // And our inner auth is the one the real node computed.
        var resigned = message
        Wire.addInnerAuth(to: &resigned, key: WireFixtures.keys(capture.method).active)
        #expect(resigned == message)
    }

    @Test(arguments: WireFixtures.captureFiles.indices) func captureFailsWithWrongKey(_ index: Int) {
        let capture = WireFixtures.captureFiles[index]
        for method in AuthMethod.allCases {
            for secret in ["secret", "secreT", ""] where !(method == capture.method && secret == "secret") {
                let keys = WireFixtures.keys(method, secret: secret)
                if method == capture.method && !method.needsKey { continue }  // crc: same key by definition
                #expect(throws: WireError.authFailed(slot: 1)) { try Wire.decode(capture.packet, keys: keys) }
            }
        }
    }

    /// The readable decodes hold more packets than the six `.bin` files (reqnodes, repnodes, …).
    @Test(arguments: WireFixtures.captureSets.indices) func everyTextCapturePacketVerifies(_ index: Int) throws {
        let set = WireFixtures.captureSets[index]
        let packets = WireFixtures.textCapturePackets(set.name)
        #expect(packets.count >= 12)
        for (number, packet) in packets.enumerated() {
            if number < 6 { #expect(packet == WireFixtures.bytes("captures/\(set.name)-\(number + 1).bin")) }
            let decoded = try Wire.decode(packet, keys: WireFixtures.keys(set.method))
            #expect(Wire.encodeNetstring(decoded.message) == Array(packet.prefix(Wire.encodeNetstring(decoded.message).count)))
        }
    }

    @Test func everyFlippedCaptureByteFails() {
        for capture in WireFixtures.captureFiles {
            let keys = WireFixtures.keys(capture.method)
            for position in capture.packet.indices {
                var packet = capture.packet
                packet[position] ^= 0x5a
                #expect((try? Wire.decode(packet, keys: keys)) == nil, "\(capture.file) byte \(position)")
            }
        }
    }
}
