import Testing
@testable import HeartbeatCore

/// `hbctl check` warns about a heartbeat-only partition when groups run over one medium without
/// STONITH (spec §10.1, §10.3); the daemon logs the same line at start (`hasPartitionRisk`).
@Suite struct ConfigPartitionRiskTests {
    static let text = "one heartbeat medium and no STONITH"

    @Test func oneMediumGroupsAndNoStonithWarnsOnTheMediumLine() {
        let (config, diagnostics) = validate()
        #expect(diagnostics.has(.warning, haCfPath, 2, Self.text))
        #expect(config?.hasPartitionRisk == true)
    }

    @Test(arguments: [
        "bcast eth1\n",                              // a second medium
        "stonith_host * external/ipmi ip=10.0.0.9\n", // a STONITH device for every node
        "stonith_host node1 meatware\n",             // for this node
    ])
    func noWarningWithASecondMediumOrStonith(extra: String) {
        let (config, diagnostics) = validate(adding: extra)
        #expect(!diagnostics.contains { $0.message.contains(Self.text) })
        #expect(config?.hasPartitionRisk == false)
    }

    @Test func stonithForAnotherNodeOnlyStillWarns() {
        let (_, diagnostics) = validate(adding: "stonith_host node2 meatware\n")
        #expect(diagnostics.has(.warning, haCfPath, 2, Self.text))
    }

    @Test func noGroupsNoWarning() {
        let (_, diagnostics) = validate(haResources: "")
        #expect(!diagnostics.contains { $0.message.contains(Self.text) })
    }
}
