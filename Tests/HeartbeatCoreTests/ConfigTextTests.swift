import Testing
@testable import HeartbeatCore

/// Files edited on Windows: a BOM and CRLF line ends are accepted with a warning naming the line.
struct ConfigTextTests {
    @Test func byteOrderMarkIsDroppedWithAWarning() {
        let haCf = HaCfParser.parse("\u{FEFF}keepalive 2\nnode a b\n", file: "ha.cf")
        #expect(haCf.keepalive == .seconds(2))
        #expect(haCf.diagnostics.filter { $0.severity == .error }.isEmpty)
        #expect(haCf.diagnostics.contains { $0.line == 1 && $0.severity == .warning && $0.message.contains("byte-order mark") })
    }

    @Test func crlfIsReadAsNewlinesWithAWarningOnTheFirstSuchLine() {
        let (keys, diagnostics) = AuthKeysParser.parse("auth 1\n1 sha1 secret\r\n", file: "authkeys", mode: 0o600)
        // The CR must not become part of the secret, or no peer would verify our packets.
        #expect(keys?.active.secret == Array("secret".utf8))
        #expect(diagnostics.map(\.description) == [
            "authkeys:2: warning: Windows (CRLF) line ends, read as plain newlines\n  hint: convert the file with dos2unix or sed -i 's/\\r$//'",
        ])
        let resources = HaResourcesParser.parse("node1 Dummy::a\r\nnode2 Dummy::b\r\n", file: "haresources")
        #expect(resources.groups.count == 2)
        #expect(resources.diagnostics.map(\.line) == [1])
    }

    @Test func plainFilesGetNoNote() {
        #expect(ConfigText.normalized("a\nb\n", file: "f").1.isEmpty)
        #expect(ConfigText.normalized("", file: "f").1.isEmpty)
        #expect(ConfigText.normalized("\r", file: "f").1.isEmpty)
    }
}
