import Testing
@testable import HeartbeatCore

@Suite struct ConfigAuthKeysTests {
    func parse(_ text: String, mode: UInt32? = 0o600) -> (AuthKeys?, [Diagnostic]) {
        AuthKeysParser.parse(text, file: authKeysPath, mode: mode)
    }

    @Test func slotsAndActiveKey() throws {
        let (keys, diagnostics) = parse("""
            # comment
            auth 2

            1 crc
            2 sha1 HI!
            3 md5 Hello!
            15 sha1 last
            0 md5 zero

            """)
        let k = try #require(keys)
        #expect(k.activeSlot == 2)
        #expect(k.active == AuthKey(slot: 2, method: .sha1, secret: Array("HI!".utf8)))
        #expect(k.slots[1] == AuthKey(slot: 1, method: .crc))
        #expect(k.slots[3]?.method == .md5)
        #expect(k.slots.keys.sorted() == [0, 1, 2, 3, 15])
        #expect(diagnostics.has(.warning, authKeysPath, 4, "crc"))
        #expect(diagnostics.errors == [])
    }

    @Test func authMayComeAfterItsKeyWithAWarning() throws {
        let (keys, diagnostics) = parse("1 sha1 secret\nauth 1\n")
        #expect(try #require(keys).activeSlot == 1)
        #expect(diagnostics.has(.warning, authKeysPath, 2, "comes after key 1"))
    }

    @Test(arguments: [0o644 as UInt32, 0o640, 0o604, 0o444])
    func groupOrOtherReadableIsRefused(mode: UInt32) {
        let (keys, diagnostics) = parse(Sample.authKeys, mode: mode)
        #expect(keys == nil)
        let error = diagnostics.at(authKeysPath, 0, "Bad permissions on keyfile [/etc/ha.d/authkeys], 600 recommended.")
        #expect(error.first?.severity == .error)
        #expect(error.first?.hint == "chmod 600 /etc/ha.d/authkeys")
    }

    @Test func writableButNotReadableIsOnlyAWarning() {
        let (keys, diagnostics) = parse(Sample.authKeys, mode: 0o620)
        #expect(keys != nil)
        #expect(diagnostics.has(.warning, authKeysPath, 0, "writable"))
        let (ok, none) = parse(Sample.authKeys, mode: 0o400)
        #expect(ok != nil && none.isEmpty)
    }

    @Test func sha256IsOurExtension() throws {
        let (keys, diagnostics) = parse("auth 1\n1 sha256 secret\n")
        #expect(try #require(keys).active.method == .sha256)
        #expect(diagnostics.has(.warning, authKeysPath, 2, "3.0.6 peers cannot verify"))
    }

    @Test func everyMistakeIsReportedWithItsLine() {
        let (keys, diagnostics) = parse("""
            auth 7
            1 crc secret
            2 sha1
            16 sha1 x
            3 blowfish x
            4 md5 a b
            x sha1 y
            2 md5 again
             # indented
            auth

            """)
        #expect(keys == nil)
        #expect(diagnostics.has(.error, authKeysPath, 1, "Auth Key [7] not found"))
        #expect(diagnostics.has(.error, authKeysPath, 2, "doesn't use a key"))
        #expect(diagnostics.has(.error, authKeysPath, 3, "requires a key"))
        #expect(diagnostics.has(.error, authKeysPath, 4, "Invalid authnum [16]"))
        #expect(diagnostics.has(.error, authKeysPath, 5, "Invalid authtype [blowfish]"))
        #expect(diagnostics.has(.warning, authKeysPath, 6, "single word"))
        #expect(diagnostics.has(.error, authKeysPath, 7, "Invalid authkeys line"))
        #expect(diagnostics.has(.error, authKeysPath, 8, "defined twice"))
        #expect(diagnostics.has(.warning, authKeysPath, 9, "whitespace"))
        #expect(diagnostics.has(.error, authKeysPath, 10, "Invalid auth line"))
    }

    @Test func missingAuthLine() {
        let (keys, diagnostics) = parse("1 sha1 secret\n")
        #expect(keys == nil)
        #expect(diagnostics.has(.error, authKeysPath, 0, "No authentication specified."))
    }

    @Test func outOfRangeAuthSlot() {
        let (_, diagnostics) = parse("auth 16\n1 sha1 s\n")
        #expect(diagnostics.has(.error, authKeysPath, 1, "out of range"))
    }

    @Test func secondAuthLineWins() throws {
        let (keys, diagnostics) = parse("auth 1\nauth 2\n1 sha1 a\n2 sha1 b\n")
        #expect(try #require(keys).activeSlot == 2)
        #expect(diagnostics.has(.warning, authKeysPath, 2, "auth given again"))
    }
}
