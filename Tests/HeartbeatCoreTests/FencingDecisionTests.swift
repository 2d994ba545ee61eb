import Testing
@testable import HeartbeatCore

/// Who waits in a fence race (ResourceManager+Fencing.swift). The full sequences (fence before
/// takeover, 5 s retries, no takeover on failure, escalation) are golden scenarios:
/// dead-node-fencing, fence-priority-delay, fence-race-survivor, stop-failure-fenced,
/// stop-failure-watchdog, partition-heal.
@Suite struct FencingDecisionTests {
    static func group(_ node: String, _ key: String) -> ResourceGroup {
        ResourceGroup(preferredNode: node, key: key, resources: [Resource(script: "s", arguments: [], token: "s")], line: 1)
    }

    /// A manager that sees the peer's holdings report `peerHolds` and holds `ours` itself.
    static func manager(local: String, groups: [ResourceGroup], peerHolds: HoldSet, ours: Set<String>) -> ResourceManager {
        var manager = ResourceManager(config: ResourceManagerConfig(
            localNode: local, nodes: ["n1", "n2"], groups: groups, autoFailback: .off, fencingConfigured: true))
        let peer = local == "n1" ? "n2" : "n1"
        manager.peers[peer]?.alive = true
        manager.peers[peer]?.holds = peerHolds
        for index in manager.records.indices where ours.contains(manager.records[index].group.key) {
            manager.records[index].ownedHere = true
            manager.records[index].state = .running
        }
        return manager
    }

    @Test func theNodeRunningMoreGroupsSurvives() {
        let groups = [Self.group("n1", "a"), Self.group("n2", "b")]
        // n2 runs both groups (n1's too, after a failover): n2 survives, n1 waits.
        let n1 = Self.manager(local: "n1", groups: groups, peerHolds: .all, ours: [])
        let n2 = Self.manager(local: "n2", groups: groups, peerHolds: .none, ours: ["a", "b"])
        #expect(!n1.survivesFenceRace(against: "n2"))
        #expect(n2.survivesFenceRace(against: "n1"))
    }

    @Test func onEqualHoldingsThePreferredNodeOfMoreGroupsSurvives() {
        let groups = [Self.group("n2", "a"), Self.group("n2", "b")]
        let n1 = Self.manager(local: "n1", groups: groups, peerHolds: .none, ours: [])
        let n2 = Self.manager(local: "n2", groups: groups, peerHolds: .none, ours: [])
        #expect(!n1.survivesFenceRace(against: "n2"))
        #expect(n2.survivesFenceRace(against: "n1"))
    }

    @Test func onAFullTieTheFirstNodeInHaCfSurvives() {
        let groups = [Self.group("n1", "a"), Self.group("n2", "b")]
        let n1 = Self.manager(local: "n1", groups: groups, peerHolds: .local, ours: ["a"])
        let n2 = Self.manager(local: "n2", groups: groups, peerHolds: .local, ours: ["b"])
        #expect(n1.survivesFenceRace(against: "n2"))
        #expect(!n2.survivesFenceRace(against: "n1"))
    }

    @Test func exactlyOneNodeWinsEveryRace() {
        let groups = [Self.group("n1", "a"), Self.group("n2", "b"), Self.group("n1", "c")]
        /// The keys a node holds when it reports `holds` (local = the groups it is preferred for).
        func keys(_ node: String, _ holds: HoldSet) -> Set<String> {
            Set(groups.filter { holds.contains($0.preferredNode == node ? .local : .foreign) }.map(\.key))
        }
        let sets: [HoldSet] = [.none, .local, .foreign, .all]
        for n1Holds in sets {
            for n2Holds in sets where keys("n1", n1Holds).isDisjoint(with: keys("n2", n2Holds)) {
                let n1 = Self.manager(local: "n1", groups: groups, peerHolds: n2Holds, ours: keys("n1", n1Holds))
                let n2 = Self.manager(local: "n2", groups: groups, peerHolds: n1Holds, ours: keys("n2", n2Holds))
                #expect(n1.survivesFenceRace(against: "n2") != n2.survivesFenceRace(against: "n1"),
                        "n1 holds \(n1Holds), n2 holds \(n2Holds)")
            }
        }
    }

    @Test func withAFencingDeviceOnlyShutdoneMakesFencingUnneeded() {
        var peer = ResourceManager.PeerRecord()
        peer.holds = .none
        let fenced = ResourceManager(config: ResourceManagerConfig(localNode: "n1", nodes: ["n1", "n2"], groups: [],
                                                                   autoFailback: .on, fencingConfigured: true))
        let unfenced = ResourceManager(config: ResourceManagerConfig(localNode: "n1", nodes: ["n1", "n2"], groups: [],
                                                                     autoFailback: .on))
        #expect(!fenced.gaveUpResources(peer))
        #expect(unfenced.gaveUpResources(peer))
        peer.gaveUp = true
        #expect(fenced.gaveUpResources(peer))
    }
}
