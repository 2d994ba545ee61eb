import Testing
@testable import HeartbeatCore

/// `hbctl check` warns when a group mounts a block device and no STONITH device serves this node:
/// the peer may mount it while the old owner still has it (kill -9 of heartbeat, a cut link). The
/// daemon logs the same at start (`unfencedSharedDisks`).
@Suite struct ConfigSharedDiskTests {
    static let text = "no STONITH device is configured"
    static let machine = FakeMachine(executables: FakeMachine().executables.union([
        "/etc/ha.d/resource.d/Filesystem", "/etc/ha.d/resource.d/OCF", "/etc/ha.d/resource.d/IPaddr2",
    ]))

    static func check(_ haResources: String, adding extra: String = "") -> (ClusterConfig?, [Diagnostic]) {
        validate(haCf: Sample.haCf + "bcast eth1\n" + extra, haResources: haResources, machine: machine)
    }

    @Test(arguments: [
        "Filesystem::/dev/sdb1::/var/lib/mysql::ext4",
        "Filesystem::-LDATA::/data::xfs",
        "Filesystem::UUID=0c5f-11aa::/data",
        "OCF::Filesystem::device=/dev/mapper/san-db::directory=/data::fstype=ext4",
        "OCF::heartbeat/Filesystem::directory=/data::device=/dev/sdc",
    ])
    func blockDeviceWithoutStonithWarnsOnItsLine(resource: String) {
        let (config, diagnostics) = Self.check("node1 IPaddr2::10.0.0.5/24 \\\n  \(resource) Dummy::db\n")
        #expect(diagnostics.has(.warning, haResourcesPath, 2, Self.text))
        #expect(diagnostics.warnings.filter { $0.message.contains(Self.text) }.count == 1)
        #expect(diagnostics.errors.isEmpty)
        #expect(config?.unfencedSharedDisks.count == 1)
    }

    @Test func theWarningNamesTheDeviceTheDangerAndTheFix() throws {
        let (_, diagnostics) = Self.check("node1 Filesystem::/dev/loop3::/var/lib/mysql::ext4\n")
        let warning = try #require(diagnostics.at(haResourcesPath, 1, Self.text).first)
        #expect(warning.message.contains("[/dev/loop3]"))
        #expect(warning.message.contains("both nodes may mount it at once"))
        #expect(warning.hint?.contains("stonith_host") == true)
        #expect(warning.description.hasPrefix("\(haResourcesPath):1: warning: "))
    }

    @Test(arguments: [
        "stonith_host * external/nspower pdu=/run/pdu.sock\n",
        "stonith_host node1 meatware\n",
        "stonith external/ipmi /etc/ha.d/ipmi.cfg\n",
    ])
    func noWarningWithStonithForThisNode(extra: String) {
        let (config, diagnostics) = Self.check("node1 Filesystem::/dev/sdb1::/data::ext4\n", adding: extra)
        #expect(!diagnostics.contains { $0.message.contains(Self.text) })
        #expect(config?.unfencedSharedDisks == [])
    }

    @Test func stonithForAnotherNodeOnlyStillWarns() {
        let (_, diagnostics) = Self.check("node1 Filesystem::/dev/sdb1::/data::ext4\n", adding: "stonith_host node2 meatware\n")
        #expect(diagnostics.has(.warning, haResourcesPath, 1, Self.text))
    }

    @Test(arguments: [
        "Filesystem::tmpfs::/scratch::tmpfs::size=64m",
        "Filesystem::nfs1:/export::/mnt::nfs",
        "Filesystem:://files/share::/mnt::cifs",
        "OCF::Filesystem::device=nfs1:/export::directory=/mnt::fstype=nfs",
        "OCF::IPaddr2::ip=10.0.0.5",
        "Dummy::dev",
    ])
    func noWarningForSourcesThatAreNotBlockDevices(resource: String) {
        let (config, diagnostics) = Self.check("node1 \(resource)\n")
        #expect(!diagnostics.contains { $0.message.contains(Self.text) })
        #expect(config?.unfencedSharedDisks == [])
    }
}
