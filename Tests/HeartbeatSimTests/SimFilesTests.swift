import HeartbeatCore
import HeartbeatSim
import Testing

/// Simulated nodes are built from ha.cf, authkeys and haresources text, parsed, validated and
/// constructed as the daemon's are.
@Suite struct SimFilesTests {
    @Test func nodesAreBuiltFromTheirFiles() {
        let config = SimConfig(nodeCount: 3, links: ["eth0", "eth1"], keepalive: .milliseconds(100), deadtime: .seconds(1))
        let cluster = config.cluster(node: 2)
        #expect(cluster.localNode == "node3")
        #expect(cluster.nodes == ["node1", "node2", "node3"])
        #expect(cluster.media.map(\.linkName) == ["eth0", "eth1"])
        // Not written in the generated ha.cf: derived by the validator.
        #expect(config.warntime == nil)
        #expect(cluster.warntime == .milliseconds(500))
        #expect(cluster.resourceGroups.map(\.key) == config.groups.map(\.key))
        var sim = Simulator(config: config, seed: 1)
        sim.start(0)
        #expect(sim.node(0)?.membership.config.warntime == cluster.warntime)
        #expect(sim.node(0)?.membership.config.configDigest == cluster.agreementDigest)
        #expect(sim.groups == cluster.resourceGroups)
    }

    /// `hbctl simulate`'s way: a directory's own files, with their node names and media.
    @Test func realFilesKeepTheirNamesAndMedia() {
        let web = Resource(script: "Dummy", arguments: ["web"], token: "Dummy::web")
        var config = SimConfig(nodeCount: 2, links: ["eth1"],
                               groups: [ResourceGroup(preferredNode: "alpha", key: web.token, resources: [web], line: 1)])
        config.nodeNames = ["alpha", "beta"]
        config.realFiles = SimFiles(haCf: "node alpha beta\nucast eth1 10.0.0.2\nkeepalive 200ms\ndeadtime 1\ninitdead 2\n",
                                    authKeys: "auth 1\n1 sha1 real\n", haResources: "alpha Dummy::web\n")
        config.authKeys = AuthKeys(AuthKey(slot: 1, method: .sha1, secret: Array("real".utf8)))
        var sim = Simulator(config: config, seed: 1)
        sim.start(0)
        sim.start(1)
        sim.run(for: config.initdead + config.settleTime)
        #expect(sim.statusReport(1)?.localNode == "beta")
        #expect(sim.statusReport(1)?.nodes.map(\.name) == ["alpha", "beta"])
        #expect(sim.statusReport(1)?.nodes.first?.links.map(\.name) == ["eth1"])
        #expect(sim.owners(ofGroup: 0) == [0])
        #expect(sim.rejectedPackets.isEmpty)
        #expect(sim.violation == nil)
    }
}
