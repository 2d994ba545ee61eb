import Testing
@testable import HeartbeatCore

/// Seeded property tests: random messages round-trip, and corrupted real packets never crash
/// the decoder nor get accepted as anything but what was sent. Failures print the seed.
@Suite struct WirePropertyTests {
    // MARK: Generators

    static let commonNames = ["t", "st", "src", "srcuuid", "dest", "seq", "hg", "ts", "ld", "ttl", "auth", "info"]
    static let nameAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.".utf8)

    /// Up to `maxCount` random bytes; an excluded byte is replaced by 0x41.
    static func randomBytes(_ rng: inout SplitMix64, maxCount: Int, excluding excluded: UInt8? = nil) -> [UInt8] {
        let count = rng.int(0...maxCount)
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            let byte = rng.byte()
            bytes[index] = byte == excluded ? 0x41 : byte
        }
        return bytes
    }

    static func randomName(_ rng: inout SplitMix64) -> String {
        if rng.bool() { return rng.pick(commonNames) }
        var name: [UInt8] = []
        for _ in 0..<rng.int(1...12) { name.append(rng.pick(nameAlphabet)) }
        return String(decoding: name, as: UTF8.self)
    }

    /// A random message. With `classic`, only what classic text carries without loss: no 0x13 in
    /// strings (it stands for a newline), no newline in packed lists, no struct fields.
    static func randomMessage(_ rng: inout SplitMix64, classic: Bool, depth: Int = 0) -> Message {
        var fields: [Field] = []
        for _ in 0..<rng.int(0...14) {
            let name = randomName(&rng)
            let value: Field.Value
            switch rng.int(0...19) {
            case 0..<11: value = .string(randomBytes(&rng, maxCount: 40, excluding: classic ? 0x13 : nil))
            case 11..<16: value = .binary(randomBytes(&rng, maxCount: 40))
            case 16, 17: value = .other(type: 3, raw: randomBytes(&rng, maxCount: 20, excluding: 0x0a))
            case 18: value = .other(type: 4, raw: randomBytes(&rng, maxCount: 30))
            default:
                if classic || depth >= 2 {
                    value = .string(Array("plain".utf8))
                } else {
                    let nested = randomMessage(&rng, classic: false, depth: depth + 1)
                    value = .other(type: rng.bool() ? 2 : 5, raw: Wire.encodeNetstring(nested))
                }
            }
            fields.append(Field(name: name, value: value))
        }
        return Message(fields)
    }

    static func randomKeys(_ rng: inout SplitMix64) -> AuthKeys {
        let method = rng.pick(AuthMethod.allCases)
        let secret = method.needsKey ? randomBytes(&rng, maxCount: 80, excluding: 0x20) : []
        return AuthKeys(AuthKey(slot: rng.int(AuthKeys.slotRange), method: method, secret: secret))
    }

    // MARK: Round trip

    @Test func randomMessagesRoundTrip() throws {
        let seed: UInt64 = 0x4842_5F57_4952_4531  // "HB_WIRE1"
        var rng = SplitMix64(seed: seed)
        for iteration in 0..<10_000 {
            let classicOnly = iteration % 2 == 0
            let message = Self.randomMessage(&rng, classic: classicOnly)
            let keys = Self.randomKeys(&rng)
            let context: Comment = "seed \(seed) iteration \(iteration) keys \(keys.active.method) slot \(keys.activeSlot)"

            // Network: what is decoded is the message plus the inner auth §2.4 adds.
            var expected = message
            Wire.addInnerAuth(to: &expected, key: keys.active)
            let packet = try Wire.encodeNetstring(message, signedWith: keys)
            let decoded = try Wire.decode(packet, keys: keys)
            #expect(decoded.message == expected, context)
            #expect(decoded.authSlot == keys.activeSlot, context)
            if iteration % 8 == 1 {
                #expect(try Wire.decodeUnauthenticated(packet).message == expected, context)
                // Without the inner field the message comes back exactly.
                let bare = try Wire.decode(Wire.encodeNetstring(message, signedWith: keys, innerAuth: false), keys: keys)
                #expect(bare.message == message, context)
            }

            // Serial and FIFO: classic text, signed and unsigned.
            if classicOnly {
                let text = try Wire.encodeClassic(message, signedWith: keys)
                let fromSerial = try Wire.decode(text, keys: keys)
                #expect(fromSerial.format == .classic && fromSerial.message == expected, context)
                if iteration % 8 == 0 {
                    #expect(try Wire.decodeUnauthenticated(Wire.encodeClassic(message)).message == message, context)
                }
            }
        }
    }

    // MARK: Mutation

    enum Mutation: CaseIterable {
        case flipBit, setByte, insertBytes, deleteRange, truncate, duplicateRange, rewriteLength, swapBytes
    }

    /// One random corruption. Never returns the input unchanged by construction, except when a
    /// rewritten length happens to equal the old one, which the caller tolerates.
    static func mutate(_ packet: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var packet = packet
        guard !packet.isEmpty else { return [rng.byte()] }
        let position = rng.int(0...(packet.count - 1))
        switch rng.pick(Mutation.allCases) {
        case .flipBit:
            packet[position] ^= 1 << UInt8(rng.int(0...7))
        case .setByte:
            packet[position] ^= UInt8(rng.int(1...255))
        case .insertBytes:
            let interesting: [UInt8] = Array("0123456789:,()=%#\n>< ".utf8) + [0, 0x13, 0xff]
            var bytes: [UInt8] = []
            for _ in 0..<rng.int(1...4) { bytes.append(rng.bool() ? rng.pick(interesting) : rng.byte()) }
            packet.insert(contentsOf: bytes, at: rng.int(0...packet.count))
        case .deleteRange:
            let count = rng.int(1...min(8, packet.count - position))
            packet.removeSubrange(position..<(position + count))
        case .truncate:
            packet.removeSubrange(position...)
        case .duplicateRange:
            let count = rng.int(1...min(32, packet.count - position))
            packet.insert(contentsOf: packet[position..<(position + count)], at: position + count)
        case .rewriteLength:
            // Replace a `<digits>:` length field by a nearby, zero-padded, zero, or huge value.
            var lengths: [Int] = []
            for index in 1..<max(1, packet.count)
            where packet[index] == UInt8(ascii: ":") && Netstring.decimalDigit(packet[index - 1]) != nil {
                lengths.append(index)
            }
            guard !lengths.isEmpty else { return mutate(packet, &rng) }
            let colon = rng.pick(lengths)
            var start = colon
            while start > 0, Netstring.decimalDigit(packet[start - 1]) != nil { start -= 1 }
            let old = Int(String(decoding: packet[start..<colon], as: UTF8.self)) ?? 0
            let replacement = [String(old + 1), String(max(0, old - 1)), "0" + String(old), "0", "",
                               String(old + rng.int(2...300)), "262145", "99999999999999999999",
                               "-" + String(old)][rng.int(0...8)]
            packet.replaceSubrange(start..<colon, with: Array(replacement.utf8))
        case .swapBytes:
            let other = rng.int(0...(packet.count - 1))
            packet.swapAt(position, other)
        }
        return packet
    }

    /// Real packets (captures and vectors) and their classic (serial) renderings, each with its keys.
    static func corpus() throws -> [(packet: [UInt8], keys: AuthKeys, message: Message)] {
        var corpus: [(packet: [UInt8], keys: AuthKeys, message: Message)] = []
        let network = WireFixtures.captureFiles.map { ($0.packet, WireFixtures.keys($0.method)) }
            + WireFixtures.vectors.map { (WireFixtures.bytes($0.file), WireFixtures.keys($0.method)) }
        for (packet, keys) in network {
            let message = try Wire.decode(packet, keys: keys).message
            corpus.append((packet, keys, message))
            let classic = try Wire.encodeClassic(message, signedWith: keys)
            corpus.append((classic, keys, try Wire.decode(classic, keys: keys).message))
        }
        return corpus
    }

    /// ≥ 100,000 corrupted packets. Each must be rejected with a `WireError`, or verify and decode
    /// to exactly the original message (a corruption 3.0.6 also ignores, such as an extra blank
    /// line in classic text). Body corruption behind a valid trailer (re-signed) reaches the field
    /// parser after authentication; a quarter also go through the unauthenticated parser.
    @Test func corruptedPacketsAreRejectedOrUnchanged() throws {
        let seed: UInt64 = 0x4842_5F4D_5554_4154  // "HB_MUTAT"
        var rng = SplitMix64(seed: seed)
        let corpus = try Self.corpus()
        var rejectedByReason: [String: Int] = [:]
        var parserRejectedByReason: [String: Int] = [:]
        var acceptedUnchanged = 0
        var forged: [String] = []
        for iteration in 0..<100_000 {
            let original = corpus[iteration % corpus.count]
            var packet = original.packet
            for _ in 0..<rng.int(1...3) { packet = Self.mutate(packet, &rng) }
            let resigned = iteration % 4 == 3 && packet.starts(with: Netstring.startMarker)
            if resigned, let (bodyEnd, _) = try? Netstring.split(packet) {
                // Keep the corrupted body, give it a valid trailer: the field parser must cope alone.
                packet.removeSubrange((bodyEnd + 4)...)
                Netstring.appendTrailer(signedWith: original.keys.active, to: &packet)
            }

            do {
                let decoded = try Wire.decode(packet, keys: original.keys)
                if resigned {
                    // Authentic by construction; then the fields must be exactly what the body says.
                    let body = Wire.encodeNetstring(decoded.message)
                    if !packet.starts(with: body) { forged.append("seed \(seed) iteration \(iteration): non-canonical body accepted") }
                } else if decoded.message == original.message {
                    acceptedUnchanged += 1
                } else {
                    forged.append("seed \(seed) iteration \(iteration): \(packet.text.debugDescription)")
                }
            } catch {
                rejectedByReason[error.reason, default: 0] += 1
            }

            // A quarter of the packets also go through the parser without the auth gate.
            if iteration % 4 == 1 {
                do {
                    let loose = try Wire.decodeUnauthenticated(packet)
                    // Whatever the unauthenticated parser accepts as netstring is canonical.
                    if loose.format == .netstring, !packet.starts(with: Wire.encodeNetstring(loose.message)) {
                        forged.append("seed \(seed) iteration \(iteration): unauthenticated non-canonical")
                    }
                } catch {
                    parserRejectedByReason[error.reason, default: 0] += 1
                }
            }
        }
        print("wire mutation seed \(seed): \(acceptedUnchanged) harmless accepted, rejected by reason \(rejectedByReason.sorted { $0.key < $1.key }), unauthenticated parser \(parserRejectedByReason.sorted { $0.key < $1.key })")
        #expect(forged.isEmpty, "\(forged.prefix(5))")
        // The corruptions reach many distinct rejection paths, not one early exit.
        #expect(rejectedByReason.count >= 12, "\(rejectedByReason)")
        #expect(Set(rejectedByReason.keys).union(parserRejectedByReason.keys).count >= 18)
        #expect(acceptedUnchanged < 5_000, "\(acceptedUnchanged)")
    }
}
