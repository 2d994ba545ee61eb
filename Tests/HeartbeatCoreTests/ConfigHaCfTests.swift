import Testing
@testable import HeartbeatCore

@Suite struct ConfigHaCfTests {
    /// Every directive we implement, each with a non-default value.
    static let everyDirective = """
        # every directive, in an order 3.0.6 would read differently
        bcast eth0 eth1            # two media from one line
        udp eth2
        ucast eth0 10.0.0.2
        ucast6 eth1 fe80::2%eth1
        mcast eth0 239.0.0.1 694 1 0
        mcast6 eth1 ff12::1:2:3:4 695 2 1
        serial /dev/ttyS0
        ping 10.0.0.254 GW.Example
        ping6 fe80::fe
        ping_group Routers 10.0.0.253 10.0.0.252
        udpport 7000
        baud 38400
        node NODE1, node2
        node node3
        keepalive 500ms
        deadtime 20
        warntime 5
        initdead 60
        deadping 40
        auto_failback off
        hopfudge 3
        watchdog /dev/watchdog
        stonith baytech /etc/ha.d/conf/stonith.baytech
        stonith_host * rps10 /dev/ttyS1 node1 0
        respawn hacluster /usr/lib/heartbeat/ipfail -x
        failfast root /usr/lib/heartbeat/ipfail
        apiauth ipfail uid=root,hacluster gid=haclient
        apiauth mytool gid=admins
        logfile /var/log/ha-log
        debugfile /var/log/ha-debug
        logfacility local7
        use_logd no
        conn_logd_time 30
        syslogmsgfmt false
        debug 2
        log_badpack off
        realtime no
        rtprio 20
        memreserve 8000
        hbgenmethod time
        msgfmt netstring
        compression bz2
        compression_threshold 4
        traditional_compression no
        max_rexmit_delay 500
        autojoin none
        uuidfrom file
        cluster prod
        coredumps false
        coreroot /var/lib/heartbeat/cores
        env FOO=bar=baz
        pacemaker off
        use_apphbd no

        """

    @Test func everyDirectiveIsParsedIntoTheModel() throws {
        let (config, diagnostics) = validate(haCf: Self.everyDirective, haResources: "node1 Dummy\n")
        #expect(diagnostics.errors == [])
        let c = try #require(config)
        #expect(c.nodes == ["node1", "node2", "node3"])
        #expect(c.localNode == "node1")
        #expect(c.media == [
            .bcast(interface: "eth0"), .bcast(interface: "eth1"), .bcast(interface: "eth2"),
            .ucast(interface: "eth0", peer: "10.0.0.2"), .ucast6(interface: "eth1", peer: "fe80::2%eth1"),
            .mcast(interface: "eth0", group: "239.0.0.1", port: 694, ttl: 1, loop: false),
            .mcast6(interface: "eth1", group: "ff12::1:2:3:4", port: 695, hops: 2, loop: true),
            .serial(device: "/dev/ttyS0"),
        ])
        #expect(c.media.map(\.linkName) == ["eth0", "eth1", "eth2", "eth0", "eth1", "eth0", "eth1", "/dev/ttyS0"])
        #expect(c.pingNodes == [
            PingNode(name: "10.0.0.254", family: .ipv4), PingNode(name: "gw.example", family: .ipv4),
            PingNode(name: "fe80::fe", family: .ipv6),
        ])
        #expect(c.pingGroups == [PingGroup(name: "routers", hosts: ["10.0.0.253", "10.0.0.252"])])
        #expect(c.allNodeNames == ["node1", "node2", "node3", "10.0.0.254", "gw.example", "fe80::fe", "routers"])
        #expect(c.udpport == 7000)
        #expect(c.baud == 38400)
        #expect(c.keepalive == .milliseconds(500))
        #expect(c.deadtime == .seconds(20))
        #expect(c.warntime == .seconds(5))
        #expect(c.initdead == .seconds(60))
        #expect(c.deadping == .seconds(40))
        #expect(c.autoFailback == .off)
        #expect(c.hopfudge == 3)
        #expect(c.watchdog == "/dev/watchdog")
        #expect(c.stonith == [
            StonithDirective(host: nil, type: "baytech", parameters: "/etc/ha.d/conf/stonith.baytech", line: 24),
            StonithDirective(host: "*", type: "rps10", parameters: "/dev/ttyS1 node1 0", line: 25),
        ])
        #expect(c.activeStonith?.type == "rps10")
        #expect(c.respawn == [
            RespawnEntry(user: "hacluster", command: "/usr/lib/heartbeat/ipfail -x", path: "/usr/lib/heartbeat/ipfail",
                         failfast: false),
            RespawnEntry(user: "root", command: "/usr/lib/heartbeat/ipfail", path: "/usr/lib/heartbeat/ipfail", failfast: true),
        ])
        #expect(c.apiAuth == [
            APIAuth(client: "ipfail", uids: ["root", "hacluster"], gids: ["haclient"]),
            APIAuth(client: "mytool", uids: [], gids: ["admins"]),
            APIAuth(client: "ccm", uids: ["hacluster"], gids: []),
            APIAuth(client: "ping", uids: [], gids: ["haclient"]),
            APIAuth(client: "lha-snmpagent", uids: ["root"], gids: []),
            APIAuth(client: "anon", uids: ["root"], gids: ["haclient"]),
        ])
        #expect(c.logging == LoggingSettings(
            logfile: "/var/log/ha-log", debugfile: "/var/log/ha-debug", facility: "local7", useLogd: false,
            connLogdTime: .seconds(30), syslogFormat: false))
        #expect(c.debug == 2)
        #expect(c.logBadPackets == false)
        #expect(c.realtime == false)
        #expect(c.rtprio == 20)
        #expect(c.memreserve == 8000)
        #expect(c.hbgenmethod == .time)
        #expect(c.msgfmt == .netstring)
        #expect(c.compression == "bz2")
        #expect(c.compressionThreshold == 4)
        #expect(c.maxRexmitDelay == .milliseconds(500))
        #expect(c.cluster == "prod")
        #expect(c.coredumps == false)
        #expect(c.coreroot == "/var/lib/heartbeat/cores")
        #expect(c.environment == [EnvironmentSetting(name: "FOO", value: "bar=baz")])
        #expect(c.environment.first?.variableName == "HA_FOO")
        #expect(c.authKeys == AuthKeys(AuthKey(slot: 1, method: .sha1, secret: Array("secret".utf8))))
        // Recorded as written, for cl_status hbparameter.
        #expect(c.parameter("keepalive") == "500ms")
        #expect(c.parameter("deadtime") == "20")
        #expect(c.parameter("warntime") == "5")
        #expect(c.parameter("udpport") == "7000")
        #expect(c.parameter("auto_failback") == "off")
        #expect(c.parameter("logfacility") == "local7")
        #expect(c.parameter("use_logd") == "no")
        #expect(c.parameter("debug") == "2")
        #expect(c.parameter("pacemaker") == "off")
        #expect(c.parameter("node") == nil)
        #expect(c.parameter("env") == nil)
    }

    @Test func defaultsOfEveryDirective() throws {
        let (config, diagnostics) = validate(haCf: "node node1\nbcast eth0\n")
        #expect(diagnostics.errors == [])
        let c = try #require(config)
        #expect(c.udpport == 694)
        #expect(c.baud == 19200)
        #expect(c.keepalive == .seconds(1))
        #expect(c.deadtime == .seconds(30))
        #expect(c.warntime == .seconds(15))
        #expect(c.initdead == .seconds(30))
        #expect(c.deadping == .seconds(30))
        #expect(c.autoFailback == .legacy)
        #expect(c.hopfudge == 1)
        #expect(c.watchdog == nil)
        #expect(c.stonith == [])
        #expect(c.activeStonith == nil)
        #expect(c.respawn == [])
        #expect(c.apiAuth == APIAuth.builtIn)
        #expect(c.logging == LoggingSettings(useLogd: true))
        #expect(c.debug == 0)
        #expect(c.logBadPackets == true)
        #expect(c.realtime == true)
        #expect(c.rtprio == 50)
        #expect(c.memreserve == 6500)
        #expect(c.hbgenmethod == .file)
        #expect(c.msgfmt == .classic)
        #expect(c.maxRexmitDelay == .milliseconds(250))
        #expect(c.compression == "zlib")
        #expect(c.compressionThreshold == 2)
        #expect(c.coredumps == true)
        #expect(c.coreroot == nil)
        #expect(c.environment == [])
        #expect(c.cluster == "linux-ha")
        #expect(c.pingNodes == [] && c.pingGroups == [])
        // 3.0.6's recorded defaults and derived values (heartbeat -D, spec §9).
        var expected: [String: String] = [:]
        for entry in HeartbeatDefaults.table { expected[entry.directive] = entry.value }
        expected["warntime"] = "15000ms"
        expected["initdead"] = "30000ms"
        expected["deadping"] = "30000ms"
        expected["udpport"] = "694"
        expected["debug"] = "0"
        expected["use_logd"] = "yes"
        #expect(c.parameters == expected)
        #expect(c.parameter("watchdog") == nil)
        #expect(c.parameter("nice_failback") == nil)
    }

    @Test(arguments: [
        ("deadtime 5", 12000), ("deadtime 8", 16000), ("deadtime 10", 20000), ("deadtime 11", 11000),
        ("deadtime 60", 60000),
    ])
    func initdeadIsDerivedFromDeadtime(line: String, initdead: Int64) throws {
        let (config, _) = validate(adding: line + "\n")
        let c = try #require(config)
        #expect(c.initdead == .milliseconds(initdead))
        #expect(c.parameter("initdead") == "\(initdead)ms")
        #expect(c.parameter("warntime") == "\(c.deadtime.milliseconds / 2)ms")
    }

    @Test func directiveOrderDoesNotMatter() throws {
        let lines = Self.everyDirective.split(separator: "\n").map(String.init)
        let (forward, _) = validate(haCf: lines.joined(separator: "\n"), haResources: "node1 Dummy\n")
        let (backward, _) = validate(haCf: lines.reversed().joined(separator: "\n"), haResources: "node1 Dummy\n")
        var a = try #require(forward)
        var b = try #require(backward)
        // Only the order of list-valued directives and their recorded lines may differ.
        #expect(Set(a.media) == Set(b.media))
        #expect(Set(a.nodes) == Set(b.nodes))
        #expect(Set(a.respawn) == Set(b.respawn))
        a.media = []; b.media = []
        a.nodes = []; b.nodes = []
        a.respawn = []; b.respawn = []
        a.pingNodes = []; b.pingNodes = []
        a.stonith = []; b.stonith = []
        a.apiAuth = []; b.apiAuth = []
        #expect(a == b)
        #expect(a.udpport == 7000)
    }

    @Test func optionDirectivesSplitOnSpaceTabAndComma() throws {
        let (config, _) = validate(haCf: "node node1,node2\tnode3 , node4\nbcast eth0,eth1\nping a,b\n")
        let c = try #require(config)
        #expect(c.nodes == ["node1", "node2", "node3", "node4"])
        #expect(c.media == [.bcast(interface: "eth0"), .bcast(interface: "eth1")])
        #expect(c.pingNodes.map(\.name) == ["a", "b"])
    }

    @Test func commentsAnywhereAndBlankLines() throws {
        let text = "# top\n\n   \nnode node1 # node2\nbcast eth0#eth1\r\nmcast eth1 239.0.0.1 694 1 0 # loop\n"
        let (config, diagnostics) = validate(haCf: text)
        #expect(diagnostics.errors == [])
        let c = try #require(config)
        #expect(c.nodes == ["node1"])
        #expect(c.media.count == 2)
    }

    @Test func udpIsAnAliasOfBcastWithAWarning() {
        let (config, diagnostics) = validate(adding: "udp eth1\n")
        #expect(config?.media.last == .bcast(interface: "eth1"))
        #expect(diagnostics.has(.warning, haCfPath, 5, "'udp'"))
    }

    @Test func crmIsAnAliasOfPacemaker() {
        let (config, diagnostics) = validate(adding: "crm no\n")
        #expect(config?.parameter("pacemaker") == "no")
        #expect(diagnostics.errors == [])
    }

    /// Each of our extensions, with a valid value: a 3.0.6 node would refuse the file, so we warn.
    @Test func extensionsWarnThatA306NodeRefusesTheFile() throws {
        let extensions = ["arbitration on", "isolation_guard off", "metrics_listen 127.0.0.1:9873"]
        #expect(Set(extensions.map { String($0.prefix { $0 != " " }) })
            == Set(HaCfDirective.all.filter { !$0.knownTo306 }.map(\.name)))
        for line in extensions {
            let (config, diagnostics) = validate(adding: line + "\n")
            #expect(config != nil, "\(line)")
            #expect(diagnostics.has(.warning, haCfPath, 5, "is an extension of this implementation; a 3.0.6 node refuses to start with it"),
                    "\(line)")
        }
        // A refused value is an error alone; a directive 3.0.6 knows gets no such warning.
        let (_, refused) = validate(adding: "arbitration maybe\nkeepalive 2\n")
        #expect(refused.has(.error, haCfPath, 5, "invalid arbitration value [maybe]"))
        #expect(refused.filter { $0.message.contains("extension") } == [])
    }

    @Test func lenientOrderIsAcceptedWithWarnings() throws {
        let (config, diagnostics) = validate(haCf: """
            node node1
            bcast eth0
            serial /dev/ttyS0
            mcast eth1 239.0.0.1 694 1 0
            udpport 700
            baud 9600

            """)
        let c = try #require(config)
        #expect(c.udpport == 700)
        #expect(c.baud == 9600)
        #expect(diagnostics.has(.warning, haCfPath, 2, "port 694"))
        #expect(diagnostics.has(.warning, haCfPath, 3, "19200"))
        #expect(diagnostics.at(haCfPath, 4, "").isEmpty)  // mcast names its own port
    }

    @Test func lenientValuesAreAcceptedWithWarnings() throws {
        let (config, diagnostics) = validate(adding: "keepalive 2s\nmcast eth1 239.0.0.1 694 8 0\n")
        let c = try #require(config)
        #expect(c.keepalive == .seconds(2))
        #expect(diagnostics.has(.warning, haCfPath, 5, "'s' suffix"))
        #expect(diagnostics.has(.warning, haCfPath, 6, "above 4"))
        #expect(c.media.last == .mcast(interface: "eth1", group: "239.0.0.1", port: 694, ttl: 8, loop: false))
    }

    @Test func repeatedScalarsWarnAndTheLastWins() throws {
        let (config, diagnostics) = validate(adding: "keepalive 2\nkeepalive 3\ndebug 1 2\n")
        let c = try #require(config)
        #expect(c.keepalive == .seconds(3))
        #expect(c.debug == 2)
        #expect(c.parameter("keepalive") == "3")
        #expect(diagnostics.has(.warning, haCfPath, 6, "already set on line 5"))
        #expect(diagnostics.has(.warning, haCfPath, 7, "2 values"))
    }

    @Test func niceFailbackIsMappedAsIn306() throws {
        let (legacy, d1) = validate(haCf: "node node1\nbcast eth0\nlogfile /x\nnice_failback on\n")
        #expect(legacy?.autoFailback == .legacy)
        #expect(d1.has(.warning, haCfPath, 4, "obsolete"))
        #expect(d1.has(.warning, haCfPath, 0, "Deprecated 'legacy' auto_failback"))
        let (off, d2) = validate(adding: "nice_failback on\n")
        #expect(off?.autoFailback == .off)
        #expect(d2.has(.warning, haCfPath, 5, "'auto_failback off'"))
        let (_, d3) = validate(adding: "auto_failback legacy\n")
        #expect(d3.has(.warning, haCfPath, 5, "Deprecated 'legacy' auto_failback option selected."))
    }

    @Test func loggingDefaultsFollow306() throws {
        let (facilityOnly, _) = validate()
        #expect(facilityOnly?.logging == LoggingSettings(
            logfile: "/dev/null", debugfile: "/dev/null", facility: "daemon", useLogd: false))
        let (noneFacility, _) = validate(haCf: "node node1\nbcast eth0\nlogfacility none\n")
        #expect(noneFacility?.logging.useLogd == true)
        let (_, diagnostics) = validate(haCf: "node node1\nbcast eth0\nuse_logd off\n")
        #expect(diagnostics.has(.error, haCfPath, 3, "use_logd is set to off"))
    }

    @Test func stonithHostForAnotherNodeIsNotActive() throws {
        let (config, diagnostics) = validate(adding: "stonith_host node2 rps10 /dev/ttyS1\nstonith_host elsewhere x y\n")
        let c = try #require(config)
        #expect(c.stonith.count == 2)
        #expect(c.activeStonith == nil)
        #expect(diagnostics.has(.warning, haCfPath, 6, "not a cluster node"))
    }

    @Test func ucastToALocalAddressIsOnlyAWarning() throws {
        let (config, diagnostics) = validate(adding: "ucast eth0 10.0.0.1\nucast eth0 10.0.0.2\nucast6 eth0 fe80::1%eth0\n")
        let c = try #require(config)
        #expect(c.media.count == 4)
        #expect(diagnostics.has(.warning, haCfPath, 5, "address of this machine"))
        #expect(diagnostics.at(haCfPath, 6, "").isEmpty)
        #expect(diagnostics.has(.warning, haCfPath, 7, "address of this machine"))
    }

    @Test func pacemakerOnlyDirectivesWarn() throws {
        let (config, diagnostics) = validate(adding: """
            record_config_changes off
            record_pengine_inputs on
            enable_config_writes on
            crmd_spawns_pengine off
            crm_daemon_dir /usr/lib/pacemaker

            """)
        #expect(config != nil)
        for line in 5...9 { #expect(diagnostics.has(.warning, haCfPath, line, "Pacemaker")) }
        #expect(config?.parameter("record_config_changes") == "off")
    }
}
