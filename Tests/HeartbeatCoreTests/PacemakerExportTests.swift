import Testing
@testable import HeartbeatCore

@Suite struct PacemakerExportTests {
    func export(
        haCf: String = "node alpha beta\n", haResources: String,
        locate: @escaping (String) -> PacemakerExport.ScriptLocation = { _ in .initD }
    ) -> PacemakerConfig {
        let parsedCf = HaCfParser.parse(haCf, file: "ha.cf")
        let parsedResources = HaResourcesParser.parse(haResources, file: "haresources")
        #expect(!parsedCf.diagnostics.hasErrors)
        #expect(!parsedResources.diagnostics.hasErrors)
        return PacemakerExport.export(
            haCf: parsedCf, haResources: parsedResources, haCfFile: "ha.cf", haResourcesFile: "haresources", locate: locate)
    }

    func members(_ config: PacemakerConfig) -> [Primitive] {
        config.resources.flatMap { resource -> [Primitive] in
            if case .group(_, let members) = resource { return members }
            return []
        }
    }

    @Test func addressArgumentsSplitLikeTheIPaddrWrappers() {
        func parameters(_ argument: String) -> [String] {
            guard case .success(let values) = PacemakerExport.addressParameters(argument, addressName: "ip") else { return ["failure"] }
            return values.map { "\($0.name)=\($0.value)" }
        }
        #expect(parameters("10.0.0.5") == ["ip=10.0.0.5"])
        #expect(parameters("10.0.0.5/24/eth0/10.0.0.255") == ["ip=10.0.0.5", "cidr_netmask=24", "nic=eth0", "broadcast=10.0.0.255"])
        // A numeric third part is a broadcast address (3.0.6's IPaddr wrapper reads it so).
        #expect(parameters("10.0.0.5/24/10.0.0.255") == ["ip=10.0.0.5", "cidr_netmask=24", "broadcast=10.0.0.255"])
        #expect(parameters("10.0.0.5/255.255.240.0/eth1") == ["ip=10.0.0.5", "cidr_netmask=20", "nic=eth1"])
        #expect(parameters("10.0.0.5/255.0.255.0") == ["failure"])
        #expect(parameters("10.0.0.5/24/eth0/10.0.0.255/extra") == ["failure"])
    }

    @Test func netmasksBecomePrefixLengths() {
        #expect(PacemakerExport.prefixLength("255.255.255.255") == "32")
        #expect(PacemakerExport.prefixLength("255.255.255.0") == "24")
        #expect(PacemakerExport.prefixLength("0.0.0.0") == "0")
        #expect(PacemakerExport.prefixLength("16") == "16")
        #expect(PacemakerExport.prefixLength("255.255.0.255") == nil)
        #expect(PacemakerExport.prefixLength("255.255.256.0") == nil)
        #expect(PacemakerExport.prefixLength("eth0") == nil)
    }

    @Test func groupsKeepOrderAndPreferTheirNode() {
        let config = export(haResources: """
            alpha 10.0.0.10 Filesystem::/dev/sdb1::/srv/www::ext4::noatime apache::/etc/apache2/apache2.conf
            beta MailTo::root@example.com::failover Delay::5 IPsrcaddr::10.0.0.10
            """)
        #expect(config.resources.map(\.id) == ["grp_ip_10.0.0.10", "grp_mailto"])
        let primitives = members(config)
        #expect(primitives.map(\.agent) == [
            "ocf:heartbeat:IPaddr2", "ocf:heartbeat:Filesystem", "ocf:heartbeat:apache", "ocf:heartbeat:MailTo",
            "ocf:heartbeat:Delay", "ocf:heartbeat:IPsrcaddr",
        ])
        #expect(primitives[1].parameters == [
            NameValue("device", "/dev/sdb1"), NameValue("directory", "/srv/www"), NameValue("fstype", "ext4"),
            NameValue("options", "noatime"),
        ])
        #expect(primitives[3].parameters == [NameValue("email", "root@example.com"), NameValue("subject", "failover")])
        #expect(primitives[4].parameters == [NameValue("startdelay", "5")])
        #expect(config.constraints == [
            .location(id: "loc_grp_ip_10.0.0.10_prefers_alpha", resource: "grp_ip_10.0.0.10", node: "alpha", score: "100"),
            .location(id: "loc_grp_mailto_prefers_beta", resource: "grp_mailto", node: "beta", score: "100"),
        ])
        #expect(config.unmapped == [])
        #expect(config.properties == [NameValue("stonith-enabled", "false"), NameValue("no-quorum-policy", "ignore")])
    }

    @Test func autoFailbackBecomesStickiness() {
        func stickiness(_ line: String) -> String? {
            export(haCf: "node alpha beta\n" + line, haResources: "alpha 10.0.0.1\n").resourceDefaults.first?.value
        }
        #expect(stickiness("auto_failback on\n") == "0")
        #expect(stickiness("auto_failback off\n") == "INFINITY")
        // legacy (3.0.6's default) also moves groups home.
        #expect(stickiness("") == "0")
        // nice_failback after auto_failback on means off, as 3.0.6 reads it.
        #expect(stickiness("auto_failback on\nnice_failback on\n") == "INFINITY")
    }

    @Test func scriptsWithoutAKnownAgentAreListedNotGuessed() {
        let config = export(
            haResources: """
                alpha myapp::8080 exim4 ntp::-g MailTo
                """,
            locate: { $0 == "myapp" ? .resourceD : .initD })
        #expect(members(config).map(\.agent) == ["lsb:exim4"])
        #expect(config.unmapped.map(\.text) == ["myapp::8080", "ntp::-g", "MailTo"])
        #expect(config.unmapped.allSatisfy { $0.file == "haresources" && $0.line == 1 })
        #expect(config.unmapped[2].reason.contains("email"))
    }

    @Test func compressedIPv6AddressesAreExplained() {
        let config = export(haResources: "alpha IPv6addr::2001:db8::10/64\nbeta IPv6addr::2001:db8:0:0:0:0:0:20/64/eth0\n")
        #expect(config.unmapped.count == 1)
        #expect(config.unmapped[0].reason.contains("uncompressed"))
        #expect(members(config)[0].parameters == [
            NameValue("ipv6addr", "2001:db8:0:0:0:0:0:20"), NameValue("cidr_netmask", "64"), NameValue("nic", "eth0"),
        ])
    }

    @Test func drbddiskBecomesAPromotableCloneTheGroupFollows() {
        let config = export(haResources: "alpha drbddisk::r0 Filesystem::/dev/drbd0::/srv\n")
        guard case .clone(let cloneID, let drbd, let promotable) = config.resources[0] else {
            Issue.record("no clone first: \(config.resources)")
            return
        }
        #expect(promotable)
        #expect(drbd.agent == "ocf:linbit:drbd" && drbd.parameters == [NameValue("drbd_resource", "r0")])
        #expect(config.resources[1].id == "grp_fs_srv")
        #expect(config.constraints.contains(.colocateWithPromoted(id: "col_grp_fs_srv_with_\(cloneID)", resource: "grp_fs_srv", withResource: cloneID)))
        #expect(config.constraints.contains(.startAfterPromote(id: "ord_\(cloneID)_before_grp_fs_srv", first: cloneID, then: "grp_fs_srv")))
    }

    @Test func pingNodesBecomeAConnectivityRuleAndIpfailIsCovered() {
        let config = export(
            haCf: "node alpha beta\nping 10.0.0.1\nping_group gw 10.0.0.2 10.0.0.3\nrespawn hacluster /usr/lib/heartbeat/ipfail\n",
            haResources: "alpha 10.0.0.9\n")
        guard case .clone("ping_clone", let ping, false) = config.resources[0] else {
            Issue.record("no ping clone: \(config.resources)")
            return
        }
        #expect(ping.parameters.first == NameValue("host_list", "10.0.0.1 10.0.0.2 10.0.0.3"))
        #expect(config.constraints.contains(.requireAttribute(id: "loc_grp_ip_10.0.0.9_connected", resource: "grp_ip_10.0.0.9", attribute: "pingd")))
        // ipfail's job is the rule's now; only the ping_group semantics change is reported.
        #expect(config.unmapped.map(\.text) == ["ping_group"])
    }

    @Test func stonithHostLinesBecomeFencingDevices() {
        let config = export(
            haCf: """
                node alpha beta
                stonith_host * external/ssh alpha beta
                stonith_host alpha baytech 10.0.0.100 admin secret
                stonith_host beta rps10 /dev/ttyS1 alpha 0
                stonith external/ipmi /etc/ha.d/ipmi.cfg
                stonith_host alpha apcmaster 10.0.0.7
                """,
            haResources: "alpha 10.0.0.9\n")
        let devices = config.resources.compactMap { resource -> Primitive? in
            if case .primitive(let primitive) = resource { return primitive }
            return nil
        }
        #expect(devices.map(\.id) == ["fence_external_ssh", "fence_baytech_alpha"])
        #expect(devices[0].parameters == [NameValue("hostlist", "alpha beta")])
        #expect(devices[1].parameters == [NameValue("ipaddr", "10.0.0.100"), NameValue("login", "admin"), NameValue("password", "secret")])
        #expect(config.constraints.contains(.onlyOn(id: "loc_fence_baytech_alpha_on_alpha", resource: "fence_baytech_alpha", node: "alpha")))
        #expect(config.unmapped.map(\.line) == [4, 5, 6])
        #expect(config.properties.first == NameValue("stonith-enabled", "true"))
    }

    @Test func identifiersAreValidAndUnique() {
        #expect(PacemakerExport.identifier("fs_/srv/www data") == "fs_srv_www_data")
        #expect(PacemakerExport.identifier("10.0.0.5") == "r_10.0.0.5")
        let config = export(haResources: "alpha Delay::1\nbeta Delay::2\n")
        #expect(members(config).map(\.id) == ["delay", "delay-2"])
    }

    @Test func renderingEscapesValues() {
        var config = PacemakerConfig()
        config.resources = [.group(id: "g", members: [Primitive(
            id: "m", agentClass: .ocf, provider: "heartbeat", type: "MailTo",
            parameters: [NameValue("subject", "a \"b\" <c> & it's")], operations: [])])]
        config.unmapped = [UnmappedItem(file: "ha.cf", line: 3, text: "respawn root /x --y", reason: "r")]
        let xml = config.cibXML(source: "test")
        #expect(xml.contains("value=\"a &quot;b&quot; &lt;c&gt; &amp; it&apos;s\""))
        #expect(xml.contains("<!-- ha.cf:3: not mapped: respawn root /x - -y: r -->"))
        #expect(config.crmCommands(source: "test").contains("params subject=\"a \\\"b\\\" <c> & it's\""))
        #expect(config.pcsCommands(source: "test").contains(" 'subject=a \"b\" <c> & it'\\''s' --group g"))
    }
}
