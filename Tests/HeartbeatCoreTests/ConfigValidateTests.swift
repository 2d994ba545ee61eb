import Foundation
import Testing
@testable import HeartbeatCore

@Suite struct ConfigValidateTests {
    @Test func aConfigWithFiveDifferentMistakesReportsAllFiveWithCorrectLineNumbers() {
        let (config, diagnostics) = validate(haCf: """
            node node1 node2
            bcast eth0
            keepalive 2
            deadtime 3
            mcast eth0 10.0.0.1 694 1 0
            auto_failback maybe
            logfacility daemon
            frobnicate yes
            udpport 70000

            """)
        #expect(config == nil)
        #expect(diagnostics.has(.error, haCfPath, 4, "Dead time [3000ms] is too small compared to keepalive [2000ms]"))
        #expect(diagnostics.has(.error, haCfPath, 5, "not a multicast address"))
        #expect(diagnostics.has(.error, haCfPath, 6, "invalid auto_failback value [maybe]"))
        #expect(diagnostics.has(.error, haCfPath, 8, "Illegal directive [frobnicate] in /etc/ha.d/ha.cf"))
        #expect(diagnostics.has(.error, haCfPath, 9, "invalid port [70000]"))
        // deadtime 3 also makes the derived warntime (1.5 s) not greater than keepalive.
        #expect(diagnostics.errors.map(\.line).sorted() == [4, 4, 5, 6, 8, 9])
    }

    @Test func errorsInEveryFileAreReportedTogether() {
        let (config, diagnostics) = validate(
            haCf: "node node1\nbcast eth0\nkeepalive x\n", authKeys: "auth 1\n1 md5\n", haResources: "ghost Dummy\n",
            mode: 0o644)
        #expect(config == nil)
        #expect(diagnostics.has(.error, haCfPath, 3, "invalid time [x]"))
        #expect(diagnostics.has(.error, authKeysPath, 0, "Bad permissions"))
        #expect(diagnostics.has(.error, authKeysPath, 2, "requires a key"))
        #expect(diagnostics.has(.error, haResourcesPath, 1, "Bad nodename"))
        // Ordered by file, then line.
        #expect(diagnostics.map(\.file) == diagnostics.map(\.file).sorted {
            [haCfPath, authKeysPath, haResourcesPath].firstIndex(of: $0)! < [haCfPath, authKeysPath, haResourcesPath].firstIndex(of: $1)!
        })
    }

    @Test func missingFiles() {
        let (config, diagnostics) = ClusterConfig.validate(
            ConfigInput(configDirectory: "/etc/ha.d", haCf: .missing, authKeys: .unreadable("Permission denied"),
                        authKeysMode: nil, haResources: .missing),
            machine: FakeMachine())
        #expect(config == nil)
        #expect(diagnostics.has(.error, haCfPath, 0, "Cannot open config file [/etc/ha.d/ha.cf]"))
        #expect(diagnostics.has(.error, authKeysPath, 0, "Permission denied"))
        let haresources = diagnostics.at(haResourcesPath, 0, "Cannot open resources file")
        #expect(haresources.first?.hint?.contains("touch /etc/ha.d/haresources") == true)
    }

    @Test func timingRelations() {
        func errors(_ lines: String) -> [Diagnostic] { validate(adding: lines).1.errors }
        #expect(errors("keepalive 1\ndeadtime 2\n").has(.error, haCfPath, 6, "too small compared to keepalive"))
        #expect(errors("keepalive 0\n").has(.error, haCfPath, 5, "greater than zero"))
        #expect(errors("warntime 0\n").has(.error, haCfPath, 5, "greater than zero"))
        #expect(errors("keepalive 2\nwarntime 2\n").has(.error, haCfPath, 6, "must be greater than keepalive"))
        #expect(errors("warntime 30\n").has(.error, haCfPath, 5, "must be less than deadtime"))
        #expect(errors("initdead 20\n").has(.error, haCfPath, 5, "Initial dead time [20000ms] is smaller than deadtime"))
        #expect(errors("deadping 2\n").has(.error, haCfPath, 5, "Ping dead time [2000ms] is too small"))
        #expect(errors("deadtime 60\nwarntime 20\ninitdead 120\ndeadping 10\n").isEmpty)
        let (_, warnings) = validate(adding: "initdead 40\n")
        #expect(warnings.has(.warning, haCfPath, 5, "less than twice deadtime"))
        let (_, small) = validate(adding: "keepalive 100ms\ndeadtime 2\ninitdead 5\n")
        #expect(small.has(.warning, haCfPath, 7, "may be too small"))
    }

    @Test func membershipRelations() {
        let (_, noNode) = validate(haCf: "bcast eth0\nlogfacility daemon\n", haResources: "")
        #expect(noNode.has(.error, haCfPath, 0, "no nodes defined"))
        let (_, noMedia) = validate(haCf: "node node1\nlogfacility daemon\n")
        #expect(noMedia.has(.error, haCfPath, 0, "No heartbeat media defined"))
        let (_, notMe) = validate(haCf: "node node2 node3\nbcast eth0\n", haResources: "")
        let current = notMe.at(haCfPath, 1, "Current node [node1] not in configuration!")
        #expect(current.first?.hint?.contains("node node1") == true)
        #expect(current.first?.hint?.contains("/etc/ha.d/nodeinfo") == true)
        let (_, autojoin) = validate(adding: "autojoin any\n")
        #expect(autojoin.has(.error, haCfPath, 5, "R1 style resource management conflicts with autojoin set"))
    }

    @Test func nodeNamesAreLowerCased() throws {
        var machine = FakeMachine()
        machine.localNodeName = "node1"
        let (config, _) = validate(haCf: "node Node1 NODE2\nbcast eth0\n", haResources: "NODE2 Dummy\n", machine: machine)
        let c = try #require(config)
        #expect(c.nodes == ["node1", "node2"])
        #expect(c.resourceGroups.first?.preferredNode == "node2")
    }

    @Test func respawnChecks() {
        let (_, diagnostics) = validate(adding: """
            respawn nobody /usr/lib/heartbeat/ipfail
            respawn hacluster /usr/lib/heartbeat/missing
            respawn hacluster ipfail
            failfast root

            """)
        #expect(diagnostics.has(.error, haCfPath, 5, "Invalid uid [nobody]"))
        #expect(diagnostics.has(.error, haCfPath, 6, "is not executable"))
        #expect(diagnostics.has(.error, haCfPath, 7, "is not full pathname"))
        #expect(diagnostics.has(.error, haCfPath, 8, "needs a user and a command"))
    }

    @Test func unsupportedDirectivesSaySo() {
        let (_, diagnostics) = validate(adding: """
            pacemaker respawn
            crm yes
            quorum_server qs.example
            use_apphbd yes
            traditional_compression yes
            uuidfrom nodename

            """)
        for line in 5...10 {
            #expect(diagnostics.has(.error, haCfPath, line, "not supported by this implementation"))
        }
    }

    @Test(arguments: ["normalpoll", "hbaping", "tipc", "rds", "Node"])
    func unknownDirectives(name: String) {
        let (_, diagnostics) = validate(adding: "\(name) x\n")
        #expect(diagnostics.has(.error, haCfPath, 5, "Illegal directive [\(name)]"))
    }

    @Test func badValuesOfEveryKind() {
        let cases: [(String, String)] = [
            ("baud 1234", "invalid baudrate"), ("hopfudge 256", "invalid hopfudge"), ("debug -1", "invalid debug"),
            ("rtprio 100", "invalid rtprio"), ("memreserve x", "invalid memreserve"),
            ("compression_threshold 0", "invalid compression_threshold"), ("max_rexmit_delay 0", "invalid max_rexmit_delay"),
            ("realtime maybe", "invalid realtime value"), ("hbgenmethod clock", "Illegal hb generation method"),
            ("msgfmt xml", "invalid msgfmt"), ("compression lzma", "unknown compression module"),
            ("autojoin some", "invalid autojoin"), ("uuidfrom disk", "invalid uuidfrom"),
            ("logfacility local9", "Log facility(local9) not valid"), ("env =x", "invalid env"),
            ("watchdog watchdog", "not an absolute path"), ("coreroot cores", "not an absolute path"),
            ("serial ttyS0", "not an absolute path"), ("bcast eth0123456789012", "invalid interface name"),
            ("ucast eth0", "needs an interface and a peer"), ("ucast eth0 fe80::1", "is an IPv6 address"),
            ("ucast6 eth0 10.0.0.1", "invalid IPv6 address"), ("ucast6 eth0 fe80::1%eth1", "does not match interface"),
            ("mcast eth0 239.0.0.1 694 1", "needs five values"), ("mcast eth0 239.0.0.1 0 1 0", "invalid mcast port"),
            ("mcast eth0 239.0.0.1 694 256 0", "invalid mcast ttl"), ("mcast eth0 239.0.0.1 694 1 2", "invalid mcast loop"),
            ("mcast6 eth0 fe80::1 694 1 0", "not an IPv6 multicast address"), ("ping_group g", "at least one host"),
            ("stonith baytech", "needs a device type"), ("stonith_host *", "needs a host"),
            ("apiauth x", "neither uid= nor gid="), ("apiauth x uid=a uid=b", "unexpected [uid=b]"),
            ("pacemaker perhaps", "invalid pacemaker value"), ("nice_failback perhaps", "invalid nice_failback"),
            ("node", "has no value"), ("ping node1", "also a node"), ("auto_failback", "has no value"),
        ]
        for (line, message) in cases {
            let (_, diagnostics) = validate(adding: line + "\n")
            #expect(diagnostics.has(.error, haCfPath, 5, message), "\(line)")
        }
    }

    @Test func duplicatesThat306Refuses() {
        let (_, diagnostics) = validate(adding: "baud 9600\nbaud 19200\nwatchdog /dev/a\nwatchdog /dev/b\napiauth x uid=a\napiauth x gid=b\n")
        #expect(diagnostics.has(.error, haCfPath, 6, "baud rate given twice"))
        #expect(diagnostics.has(.error, haCfPath, 8, "Watchdog device multiply specified"))
        #expect(diagnostics.has(.error, haCfPath, 10, "Duplicate apiauth directive for API client x"))
    }

    @Test func diagnosticsPrintFileLineAndHint() {
        let (_, diagnostics) = validate(adding: "keepalive x\n")
        #expect(diagnostics.errors.first?.description.hasPrefix("/etc/ha.d/ha.cf:5: error: invalid time [x] for keepalive\n  hint: ") == true)
    }

    /// The shipped `ha.d/` example: read from the repository and checked against this machine's files,
    /// as node1. (The runtime's ConfigLoader adds only the system calls around the same validation.)
    @Test func shippedSampleHasNoErrors() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let directory = root.appendingPathComponent("ha.d").path
        func read(_ name: String) throws -> ConfigInput.Contents {
            .text(try String(contentsOfFile: directory + "/" + name, encoding: .utf8))
        }
        struct Disk: MachineFacts {
            var localNodeName: String { "node1" }
            func isLocalAddress(_ address: String) -> Bool { false }
            func isExecutableFile(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }
            func userExists(_ name: String) -> Bool { true }
        }
        let input = ConfigInput(
            configDirectory: directory, initDirectory: "/nonexistent", haCf: try read("ha.cf"), authKeys: try read("authkeys"),
            // Git does not keep mode 0600, so a fresh checkout's authkeys may be 0644; the mode check
            // has its own tests (ConfigAuthKeysTests).
            authKeysMode: nil, haResources: try read("haresources"), monitors: try read("monitors"))
        let (config, diagnostics) = ClusterConfig.validate(input, machine: Disk())
        #expect(diagnostics.errors == [], "\(diagnostics)")
        let c = try #require(config)
        #expect(c.nodes == ["node1", "node2"])
        #expect(c.resourceGroups.map(\.key) == ["Dummy::web", "Dummy::db"])
        #expect(c.resourceGroups[0].resources[0].path == directory + "/resource.d/Dummy")
        #expect(c.authKeys.active.method == .sha1)
        #expect(c.monitors.map(\.group) == ["Dummy::web", "Dummy::db"])
        #expect(c.monitors.map(\.alias) == ["web", nil])
    }
}

@Suite struct ConfigMoreDiagnosticsTests {
    @Test func warningsAndErrorsOfMediaAndNodes() {
        let (_, diagnostics) = validate(adding: """
            ucast eth0 10.0.0.2 10.0.0.3
            mcast eth1 239.0.0.1 694 1 0 extra
            node node1
            ping 10.0.0.254 10.0.0.254
            ping_group node2 10.0.0.1
            mcast eth1 224.1 694 1 0
            mcast6 eth1 ff12::zz 694 1 0
            node \(String(repeating: "n", count: 100))
            conn_logd_time 0
            udpport 0

            """)
        #expect(diagnostics.has(.warning, haCfPath, 5, "one peer per line"))
        #expect(diagnostics.has(.warning, haCfPath, 6, "extra values"))
        #expect(diagnostics.has(.warning, haCfPath, 7, "listed twice"))
        #expect(diagnostics.has(.warning, haCfPath, 8, "ping node [10.0.0.254] is listed twice"))
        #expect(diagnostics.has(.error, haCfPath, 9, "already used by a node"))
        #expect(diagnostics.has(.error, haCfPath, 10, "invalid multicast group [224.1]"))
        #expect(diagnostics.has(.error, haCfPath, 11, "invalid IPv6 multicast group"))
        #expect(diagnostics.has(.error, haCfPath, 12, "too long"))
        #expect(diagnostics.has(.error, haCfPath, 13, "greater than zero"))
        #expect(diagnostics.has(.error, haCfPath, 14, "invalid port [0]"))
    }

    @Test func authTrailingTextIsIgnoredWithAWarning() throws {
        let (keys, diagnostics) = AuthKeysParser.parse("auth 1 # main key\n1 sha1 s\n", file: authKeysPath, mode: 0o600)
        #expect(try #require(keys).activeSlot == 1)
        #expect(diagnostics.has(.warning, authKeysPath, 1, "ignored"))
    }
}

@Suite struct ConfigAgreementDigestTests {
    private func digest(authKeys: String = Sample.authKeys, haResources: String = Sample.haResources) throws -> String {
        try #require(validate(authKeys: authKeys, haResources: haResources).0).agreementDigest
    }

    @Test func coversGroupsAndAuthMethodButNeverTheKey() throws {
        let base = try digest()
        #expect(base.count == 8)
        #expect(try digest(authKeys: "auth 1\n1 sha1 another-secret\n") == base)
        #expect(try digest(authKeys: "auth 1\n1 md5 secret\n") != base)
        #expect(try digest(authKeys: "auth 2\n2 sha1 secret\n") != base)
        #expect(try digest(haResources: "node2 Dummy::web\n") != base)
        #expect(try digest(haResources: "node1 Dummy::web\nnode2 Dummy::db\n") != base)
        // Comments and layout do not matter, only the groups.
        #expect(try digest(haResources: "# web\nnode1   Dummy::web   \n") == base)
    }
}

@Suite struct ConfigThreeNodeResourcesTests {
    @Test func moreThanTwoNodesWithGroupsWarns() {
        let (config, diagnostics) = validate(haCf: Sample.haCf.replacingOccurrences(of: "node node1 node2", with: "node node1 node2 node3"))
        #expect(config != nil)
        #expect(diagnostics.warnings.contains { $0.file == haResourcesPath && $0.line == 1 && $0.message.contains("haresources resource management is for two nodes") })
        let (_, twoNodes) = validate()
        #expect(!twoNodes.contains { $0.message.contains("is for two nodes") })
    }
}
