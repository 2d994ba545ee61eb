import Testing
@testable import HeartbeatCore

@Suite struct ConfigHaResourcesTests {
    func parse(_ text: String) -> HaResources { HaResourcesParser.parse(text, file: haResourcesPath) }

    @Test func groupsWithContinuationCommentsAndArguments() {
        let result = parse("""
            # comment line
            NODE1 10.0.0.5/24/eth0 \\
                Filesystem::/dev/sda1::/data::ext3 \\
                apache2

            node2 IPaddr::10.0.0.6 Dummy::db   # trailing comment
            """)
        #expect(result.diagnostics == [])
        #expect(result.groups == [
            ResourceGroup(preferredNode: "node1", key: "10.0.0.5/24/eth0", resources: [
                Resource(script: "IPaddr", arguments: ["10.0.0.5/24/eth0"], token: "10.0.0.5/24/eth0"),
                Resource(script: "Filesystem", arguments: ["/dev/sda1", "/data", "ext3"],
                         token: "Filesystem::/dev/sda1::/data::ext3"),
                Resource(script: "apache2", arguments: [], token: "apache2"),
            ], line: 2),
            ResourceGroup(preferredNode: "node2", key: "IPaddr::10.0.0.6", resources: [
                Resource(script: "IPaddr", arguments: ["10.0.0.6"], token: "IPaddr::10.0.0.6"),
                Resource(script: "Dummy", arguments: ["db"], token: "Dummy::db"),
            ], line: 6),
        ])
        #expect(result.resourceLines == [[2, 3, 4], [6, 6]])
    }

    @Test(arguments: [
        ("10.0.0.5", true), ("10.0.0.5/24", true), ("1.2.3.4.5", true), ("10.0.0", false), ("a10.0.0.5", false),
        ("1...2", false), ("1.a.2.3.4", true), ("192.168.1.1::x", true),
    ])
    func ipShorthand(token: String, isShorthand: Bool) {
        #expect(HaResourcesParser.isIPShorthand(token) == isShorthand)
    }

    @Test func argumentsDropEmptyPieces() {
        #expect(HaResourcesParser.resource(from: "Dummy::::x::") == Resource(script: "Dummy", arguments: ["x"], token: "Dummy::::x::"))
        #expect(HaResourcesParser.resource(from: "::x") == nil)
        #expect(HaResourcesParser.resource(from: "../evil") == nil)
    }

    @Test func commentOnAContinuationLineIsStrippedWithAWarning() {
        let result = parse("node1 Dummy::a \\\n  Dummy::b # not a resource\n")
        #expect(result.groups.first?.resources.map(\.token) == ["Dummy::a", "Dummy::b"])
        #expect(result.diagnostics.has(.warning, haResourcesPath, 2, "3.0.6 node would treat"))
    }

    @Test func duplicateKeysAreCaseInsensitive() {
        let result = parse("node1 Dummy::web\nnode2 dummy::WEB other\n")
        #expect(result.groups.count == 1)
        #expect(result.diagnostics.has(.error, haResourcesPath, 2, "used twice (also on line 1)"))
    }

    @Test func keyInsideAnotherGroupWarns() {
        let result = parse("node1 Dummy::a\nnode2 Dummy::b Dummy::a2 Dummy::A\n")
        #expect(result.diagnostics.has(.warning, haResourcesPath, 2, "group key [Dummy::a] (line 1)"))
    }

    @Test func nodeWithoutResourcesAndTrailingBackslash() {
        let result = parse("node1\nnode2 Dummy \\\n")
        #expect(result.diagnostics.has(.error, haResourcesPath, 1, "lists no resources"))
        #expect(result.diagnostics.has(.warning, haResourcesPath, 2, "ends inside a continued group"))
        #expect(result.groups.map(\.key) == ["Dummy"])
    }

    @Test func preferredNodeMustBeConfiguredAndScriptsFound() {
        let (config, diagnostics) = validate(haResources: """
            node1 Dummy::a apache2
            node9 Dummy::b
            node2 Missing::x \\
               AlsoMissing Missing::y

            """)
        #expect(config == nil)
        #expect(diagnostics.has(.error, haResourcesPath, 2, "Bad nodename in /etc/ha.d/haresources [node9]"))
        #expect(diagnostics.has(.error, haResourcesPath, 3, "Cannot locate resource script Missing"))
        #expect(diagnostics.has(.error, haResourcesPath, 4, "Cannot locate resource script AlsoMissing"))
        #expect(diagnostics.errors.count == 3)  // Missing is reported once
    }

    @Test func scriptsAreFoundInResourceDThenInitD() throws {
        let (config, _) = validate(haResources: "node1 Dummy apache2 IPaddr::10.0.0.9\n")
        let paths = try #require(config).resourceGroups[0].resources.map(\.path)
        #expect(paths == ["/etc/ha.d/resource.d/Dummy", "/etc/init.d/apache2", "/etc/ha.d/resource.d/IPaddr"])
    }

    @Test func emptyFileMeansNoGroups() throws {
        let (config, diagnostics) = validate(haResources: "# nothing here\n")
        #expect(try #require(config).resourceGroups == [])
        #expect(diagnostics.errors == [])
    }
}
