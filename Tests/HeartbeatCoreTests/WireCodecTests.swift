import Testing
@testable import HeartbeatCore

/// The codec's rules one at a time: classic text, base64, the sending procedure, key slots,
/// and one test per malformed-input error.
@Suite struct WireCodecTests {
    static let sha1 = WireFixtures.keys(.sha1)

    /// `###\n` + body + `%%%\n` + a valid trailer, so that body errors are reached after authentication.
    static func signedNetstring(_ body: String, keys: AuthKeys = sha1) -> [UInt8] {
        signedNetstring(Array(body.utf8), keys: keys)
    }

    static func signedNetstring(_ body: [UInt8], keys: AuthKeys = sha1) -> [UInt8] {
        var packet = Array("###\n".utf8) + body + Array("%%%\n".utf8)
        Netstring.appendTrailer(signedWith: keys.active, to: &packet)
        return packet
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    // MARK: Base64

    @Test func base64MatchesRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==",
                       "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Self.bytes(plain)).text == encoded)
            #expect(Base64.decode(ArraySlice(Self.bytes(encoded))) == Self.bytes(plain))
        }
        let all = (0...255).map(UInt8.init)
        #expect(Base64.decode(ArraySlice(Base64.encode(all))) == all)
    }

    @Test func base64RejectsNonCanonicalText() {
        for bad in ["Zg=", "Zg", "Zh==", "Zm9=", "Zm9v!===", "Zg==Zg==", "=Zg=", "Zm 9", "Zg=a"] {
            #expect(Base64.decode(ArraySlice(Self.bytes(bad))) == nil, "\(bad)")
        }
    }

    // MARK: Classic text

    @Test func classicRendersTypesAndEscapesNewlines() throws {
        let message = Message([
            Field("t", "note"), Field("text", "two\nlines"), Field("eq", "a=b"), Field("empty", ""),
            Field(name: "uuid", value: .binary([0xff, 0x00, 0x10])),
            Field(name: "list", value: .other(type: 3, raw: Self.bytes("1:a,2:bc,"))),
            Field(name: "z", value: .other(type: 4, raw: [1, 2, 3, 4])),
        ])
        let text = try Wire.encodeClassic(message)
        #expect(text == Self.bytes(">>>\nt=note\ntext=two\u{13}lines\neq=a=b\nempty=\n(1)uuid=/wAQ\n(3)list=1:a,2:bc,\n(4)z=AQIDBA==\n<<<\n"))
        let decoded = try Wire.decodeUnauthenticated(text)
        #expect(decoded.format == .classic && decoded.authSlot == nil)
        #expect(decoded.message == message)
    }

    @Test func classicFIFOInputIsLenient() throws {
        // What `ha_clustermsg` writes, with blank lines (skipped) and the NUL of the in-memory form.
        let fifo = Self.bytes(">>>\n\nt=ask_resources\n\n\nrsc_hold=foreign\ninfo=me\n\n<<<\n\0")
        let message = try Wire.decodeUnauthenticated(fifo).message
        #expect(message == Message(("t", "ask_resources"), ("rsc_hold", "foreign"), ("info", "me")))
    }

    @Test func classicSignedRoundTripAndKeyChecks() throws {
        let message = Message(("t", "ip-request"), ("ipaddr", "10.0.0.1\nx"), ("src", "alice"))
        for method in AuthMethod.allCases {
            let keys = WireFixtures.keys(method)
            let text = try Wire.encodeClassic(message, signedWith: keys)
            let decoded = try Wire.decode(text, keys: keys)
            #expect(decoded.format == .classic && decoded.authSlot == 1)
            #expect(decoded.message.fields.dropLast() == message.fields[...])
            #expect(decoded.message.fields.last?.name == "auth")
            if method.needsKey {
                #expect(throws: WireError.authFailed(slot: 1)) {
                    try Wire.decode(text, keys: WireFixtures.keys(method, secret: "other"))
                }
            }
            #expect(throws: WireError.unknownAuthSlot(1)) { try Wire.decode(text, keys: WireFixtures.keys(method, slot: 4)) }
            // A changed value fails; an unchanged position of `auth` does not matter.
            var altered = text
            altered[altered.firstIndex(of: UInt8(ascii: "1"))!] = UInt8(ascii: "2")
            #expect(throws: WireError.authFailed(slot: 1)) { try Wire.decode(altered, keys: keys) }
        }
    }

    @Test func classicAuthFieldMayComeFirst() throws {
        // 3.0.6 replaces `auth` in place, so it need not be last; the digest skips it wherever it is.
        let keys = Self.sha1
        var message = Message(("auth", "placeholder"), ("t", "x"), ("a", "1"))
        let text = try Wire.encodeClassic(message, signedWith: keys)
        #expect(text.text.hasPrefix(">>>\nauth=1 "))
        message = try Wire.decode(text, keys: keys).message
        #expect(message.fields.map(\.name) == ["auth", "t", "a"])
    }

    // MARK: Sending procedure (spec §2.4)

    @Test func innerAuthIsSkippedForStructsAndOnRequest() throws {
        let keys = Self.sha1
        let nested = Wire.encodeNetstring(Message(("x", "1")))
        let withStruct = Message([Field("t", "s"), Field(name: "sub", value: .other(type: 2, raw: nested))])
        let packet = try Wire.encodeNetstring(withStruct, signedWith: keys)
        let decoded = try Wire.decode(packet, keys: keys).message
        #expect(decoded == withStruct)
        #expect(throws: WireError.unsupportedInClassic(type: 2)) { try Wire.encodeClassic(withStruct, signedWith: keys) }

        let plain = Message(("t", "status"))
        let noInner = try Wire.decode(Wire.encodeNetstring(plain, signedWith: keys, innerAuth: false), keys: keys)
        #expect(noInner.message == plain)
        let inner = try Wire.decode(Wire.encodeNetstring(plain, signedWith: keys), keys: keys)
        #expect(inner.message["auth"]?.hasPrefix("1 ") == true)
    }

    @Test func existingAuthFieldIsReplacedInPlace() throws {
        let keys = Self.sha1
        let message = Message(("t", "x"), ("auth", "9 stale"), ("y", "z"))
        let decoded = try Wire.decode(Wire.encodeNetstring(message, signedWith: keys), keys: keys).message
        #expect(decoded.fields.map(\.name) == ["t", "auth", "y"])
        #expect(decoded["auth"] != "9 stale")
    }

    @Test func verificationUsesTheNamedSlotsMethodAndKey() throws {
        // Sender rolled to slot 2 (sha256); the receiver still signs with slot 1 but knows slot 2.
        let sender = AuthKeys(AuthKey(slot: 2, method: .sha256, secret: Self.bytes("new")))
        let receiver = AuthKeys(slots: [1: AuthKey(slot: 1, method: .md5, secret: Self.bytes("old")),
                                        2: AuthKey(slot: 2, method: .sha256, secret: Self.bytes("new"))],
                                activeSlot: 1)
        let packet = try Wire.encodeNetstring(Message(("t", "status")), signedWith: sender)
        #expect(packet.text.hasSuffix(",") && packet.text.contains("%%%\n66:2 "))
        #expect(try Wire.decode(packet, keys: receiver).authSlot == 2)
        // Slot 2 with a different secret on the receiver fails.
        let mismatched = AuthKeys(AuthKey(slot: 2, method: .sha256, secret: Self.bytes("old")))
        #expect(throws: WireError.authFailed(slot: 2)) { try Wire.decode(packet, keys: mismatched) }
        // Slot 0 and slot 15 are usable.
        for slot in [0, 15] {
            let keys = WireFixtures.keys(.md5, slot: slot)
            #expect(try Wire.decode(Wire.encodeNetstring(Message(("t", "x")), signedWith: keys), keys: keys).authSlot == slot)
        }
    }

    @Test func netstringValuesMayContainTheEndMarker() throws {
        // A binary value holding "%%%\n" must not confuse framing: the trailer is found from the end.
        let message = Message([Field(name: "blob", value: .binary(Self.bytes("%%%\n12:1 ab,%%%\n"))), Field("t", "x")])
        let keys = Self.sha1
        #expect(try Wire.decode(Wire.encodeNetstring(message, signedWith: keys, innerAuth: false), keys: keys).message == message)
    }

    @Test func oversizedMessagesAreNotEncoded() {
        let big = Message([Field(name: "blob", value: .binary(.init(repeating: 0, count: Wire.maxMessageSize)))])
        let netstringError = #expect(throws: WireError.self) {
            try Wire.encodeNetstring(big, signedWith: Self.sha1, innerAuth: false)
        }
        #expect(netstringError?.reason == "too-large")
        let classicError = #expect(throws: WireError.self) { try Wire.encodeClassic(big) }
        #expect(classicError?.reason == "too-large")
    }

    // MARK: Malformed input: each case and its error

    struct Malformed: Sendable, CustomTestStringConvertible {
        var label: String
        var packet: [UInt8]
        var error: WireError
        var authenticated = true
        var testDescription: String { label }
    }

    static let malformed: [Malformed] = {
        let valid = signedNetstring("11:(0)t=status,")
        let body = 4  // where netstring items start
        var cases: [Malformed] = [
            // Framing.
            Malformed(label: "too large", packet: Self.bytes("###\n") + .init(repeating: 0x41, count: Wire.maxMessageSize - 3),
                      error: .tooLarge(size: Wire.maxMessageSize + 1)),
            Malformed(label: "empty", packet: [], error: .truncated(at: 0)),
            Malformed(label: "marker prefix", packet: Self.bytes("##"), error: .truncated(at: 2)),
            Malformed(label: "unknown format", packet: Self.bytes("GET / HTTP/1.0\r\n"), error: .unknownFormat),
            Malformed(label: "no %%% marker", packet: Self.bytes("###\n11:(0)t=status,"), error: .missingEndMarker(.netstring)),
            Malformed(label: "no trailer", packet: Self.bytes("###\n11:(0)t=status,%%%\n"), error: .missingAuth),
            Malformed(label: "trailer without length", packet: Self.bytes("###\n%%%\n:1 ab,"), error: .badLength(at: 8)),
            Malformed(label: "trailer cut short", packet: Self.bytes("###\n%%%\n42:1 ab,"), error: .truncated(at: 16)),
            Malformed(label: "trailer cut before colon", packet: Self.bytes("###\n%%%\n42"), error: .truncated(at: 10)),
            Malformed(label: "trailer without comma", packet: Self.bytes("###\n%%%\n4:1 ab;"), error: .missingComma(at: 14)),
            Malformed(label: "trailing newline", packet: valid + [0x0a], error: .trailingBytes(at: valid.count)),
            Malformed(label: "trailing NUL", packet: valid + [0], error: .trailingBytes(at: valid.count)),
            Malformed(label: "token without space", packet: Self.bytes("###\n%%%\n3:1ab,"), error: .badAuthToken),
            Malformed(label: "token with leading zero slot", packet: Self.bytes("###\n%%%\n5:01 ab,"), error: .badAuthToken),
            Malformed(label: "token slot 16", packet: Self.bytes("###\n%%%\n5:16 ab,"), error: .badAuthToken),
            Malformed(label: "token negative slot", packet: Self.bytes("###\n%%%\n5:-1 ab,"), error: .badAuthToken),
            Malformed(label: "token empty digest", packet: Self.bytes("###\n%%%\n2:1 ,"), error: .badAuthToken),
            Malformed(label: "token two spaces", packet: Self.bytes("###\n%%%\n6:1 ab c,"), error: .badAuthToken),
            Malformed(label: "unknown slot", packet: Self.bytes("###\n%%%\n4:7 ab,"), error: .unknownAuthSlot(7)),
            Malformed(label: "wrong digest", packet: Self.bytes("###\n%%%\n4:1 ab,"), error: .authFailed(slot: 1)),
            // Items, reached only after the trailer verified.
            Malformed(label: "length not digits", packet: signedNetstring("x:(0)a=b,"), error: .badLength(at: body)),
            Malformed(label: "length missing", packet: signedNetstring(":(0)a=b,"), error: .badLength(at: body)),
            Malformed(label: "length with sign", packet: signedNetstring("+5:(0)a=b,"), error: .badLength(at: body)),
            Malformed(label: "length leading zero", packet: signedNetstring("06:(0)a=b,"), error: .lengthLeadingZero(at: body)),
            Malformed(label: "length seven digits", packet: signedNetstring("1000000:(0)a=b,"), error: .lengthTooLarge(at: body)),
            Malformed(label: "length over MAXMSG", packet: signedNetstring("262145:(0)a=b,"), error: .lengthTooLarge(at: body)),
            Malformed(label: "length past the body", packet: signedNetstring("60:(0)a=b,"), error: .truncated(at: body + 10)),
            Malformed(label: "length one short of comma", packet: signedNetstring("7:(0)a=b,"), error: .truncated(at: body + 9)),
            Malformed(label: "length too short", packet: signedNetstring("5:(0)a=b,"), error: .missingComma(at: body + 7)),
            Malformed(label: "item cut at end of body", packet: signedNetstring("6:(0)a=b,12"), error: .truncated(at: body + 11)),
            Malformed(label: "missing (T)", packet: signedNetstring("3:a=b,"), error: .missingTypePrefix(at: body + 2)),
            Malformed(label: "short (T)", packet: signedNetstring("2:(0,"), error: .missingTypePrefix(at: body + 2)),
            Malformed(label: "unclosed (T)", packet: signedNetstring("5:(0a=b,"), error: .missingTypePrefix(at: body + 2)),
            Malformed(label: "(T) without )", packet: signedNetstring("7:(0]a=bc,"), error: .missingTypePrefix(at: body + 2)),
            Malformed(label: "unknown type 7", packet: signedNetstring("6:(7)a=b,"), error: .unknownType(digit: UInt8(ascii: "7"), at: body + 3)),
            Malformed(label: "type letter", packet: signedNetstring("6:(x)a=b,"), error: .unknownType(digit: UInt8(ascii: "x"), at: body + 3)),
            Malformed(label: "no equals", packet: signedNetstring("5:(0)ab,"), error: .missingEquals(at: body + 5)),
            Malformed(label: "empty name", packet: signedNetstring("5:(0)=b,"), error: .emptyName(at: body + 5)),
            Malformed(label: "name not UTF-8", packet: signedNetstring(Self.bytes("6:(0)") + [0xff] + Self.bytes("=b,")),
                      error: .invalidName(at: body + 5)),
            Malformed(label: "struct not a block", packet: signedNetstring("8:(2)s=abc,"), error: .badNestedMessage(at: body + 7)),
            Malformed(label: "struct with bad item", packet: signedNetstring("19:(2)s=###\n3:a=b,%%%\n,"),
                      error: .missingTypePrefix(at: body + 14)),
            // Classic.
            Malformed(label: "classic without end", packet: Self.bytes(">>>\nt=x\n"), error: .missingEndMarker(.classic)),
            Malformed(label: "classic end without newline", packet: Self.bytes(">>>\nt=x\n<<<"), error: .missingEndMarker(.classic)),
            Malformed(label: "classic trailing junk", packet: Self.bytes(">>>\nt=x\n<<<\nextra"), error: .trailingBytes(at: 12),
                      authenticated: false),
            Malformed(label: "classic two NULs", packet: Self.bytes(">>>\nt=x\n<<<\n\0\0"), error: .trailingBytes(at: 12),
                      authenticated: false),
            Malformed(label: "classic without auth", packet: Self.bytes(">>>\nt=x\n<<<\n"), error: .missingAuth),
            Malformed(label: "classic garbled auth", packet: Self.bytes(">>>\nt=x\nauth=1\n<<<\n"), error: .badAuthToken),
            Malformed(label: "classic two auth fields", packet: Self.bytes(">>>\nt=x\nauth=1 ab\nauth=1 ab\n<<<\n"),
                      error: .duplicateAuth),
            Malformed(label: "classic typed auth field", packet: Self.bytes(">>>\nt=x\n(1)auth=AAAA\n<<<\n"), error: .badAuthToken),
            Malformed(label: "classic unknown slot", packet: Self.bytes(">>>\nt=x\nauth=3 ab\n<<<\n"), error: .unknownAuthSlot(3)),
            Malformed(label: "classic wrong digest", packet: Self.bytes(">>>\nt=x\nauth=1 ab\n<<<\n"), error: .authFailed(slot: 1)),
            Malformed(label: "classic (0) prefix", packet: Self.bytes(">>>\n(0)t=x\n<<<\n"), error: .stringTypePrefix(at: 4),
                      authenticated: false),
            Malformed(label: "classic unknown type", packet: Self.bytes(">>>\n(9)t=x\n<<<\n"),
                      error: .unknownType(digit: UInt8(ascii: "9"), at: 5), authenticated: false),
            Malformed(label: "classic bad prefix", packet: Self.bytes(">>>\n(1t=x\n<<<\n"), error: .missingTypePrefix(at: 4),
                      authenticated: false),
            Malformed(label: "classic struct", packet: Self.bytes(">>>\n(2)s=x\n<<<\n"), error: .unsupportedInClassic(type: 2),
                      authenticated: false),
            Malformed(label: "classic bad base64", packet: Self.bytes(">>>\n(1)u=abc\n<<<\n"), error: .badBase64(at: 9),
                      authenticated: false),
            Malformed(label: "classic no equals", packet: Self.bytes(">>>\ntx\n<<<\n"), error: .missingEquals(at: 4),
                      authenticated: false),
            Malformed(label: "classic empty name", packet: Self.bytes(">>>\n=x\n<<<\n"), error: .emptyName(at: 4),
                      authenticated: false),
        ]
        // Nesting: depth 4 is accepted (checked elsewhere), depth 5 is not.
        var nested = Wire.encodeNetstring(Message(("x", "1")))
        for _ in 0..<4 { nested = Wire.encodeNetstring(Message([Field(name: "s", value: .other(type: 2, raw: nested))])) }
        let tooDeep = Wire.encodeNetstring(Message([Field(name: "s", value: .other(type: 5, raw: nested))]))
        let packet = signedNetstring(Array(tooDeep.dropFirst(4).dropLast(4)))
        // The rejected value is the sixth `###\n` block: the message itself, then five nested levels.
        let blockStarts = packet.indices.filter { packet[$0...].starts(with: Self.bytes("###\n")) }
        cases.append(Malformed(label: "nesting too deep", packet: packet, error: .nestingTooDeep(at: blockStarts[5])))
        return cases
    }()

    @Test(arguments: malformed) func malformedInputGivesItsError(_ testCase: Malformed) {
        #expect(throws: testCase.error) {
            if testCase.authenticated {
                try Wire.decode(testCase.packet, keys: Self.sha1)
            } else {
                try Wire.decodeUnauthenticated(testCase.packet)
            }
        }
        #expect(!testCase.error.description.isEmpty && !testCase.error.reason.contains(" "))
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        var nested = Wire.encodeNetstring(Message(("x", "1")))
        for _ in 0..<3 { nested = Wire.encodeNetstring(Message([Field(name: "s", value: .other(type: 2, raw: nested))])) }
        let message = Message([Field(name: "s", value: .other(type: 2, raw: nested))])
        let decoded = try Wire.decode(Wire.encodeNetstring(message, signedWith: Self.sha1), keys: Self.sha1)
        #expect(decoded.message == message)
    }

    @Test func unauthenticatedNetstringSkipsTheTrailer() throws {
        let packet = try Wire.encodeNetstring(Message(("t", "x")), signedWith: Self.sha1, innerAuth: false)
        #expect(try Wire.decodeUnauthenticated(packet).message == Message(("t", "x")))
        #expect(try Wire.decodeUnauthenticated(Self.bytes("###\n6:(0)t=x,%%%\n")).message == Message(("t", "x")))
    }

    @Test func errorReasonsAreDistinct() {
        let reasons = Self.malformed.map(\.error.reason)
        #expect(Set(reasons).count >= 20)
        #expect(WireError.authFailed(slot: 1).isAuthenticationFailure && !WireError.badLength(at: 0).isAuthenticationFailure)
    }
}
