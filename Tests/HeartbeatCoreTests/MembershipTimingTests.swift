import Testing
@testable import HeartbeatCore

/// Two active nodes a and b on the given links, started at 0 and 300 ms, run to 8 s.
func activePair(links: [String] = ["eth0"]) -> SimCluster {
    var cluster = SimCluster(["a", "b"], links: links)
    cluster.start("a", at: at(0))
    cluster.start("b", at: at(300))
    cluster.run(until: at(8000))
    return cluster
}

@Suite struct MembershipTimingTests {
    @Test func peerIsDeclaredDeadExactlyItsDeadIntervalAfterItsLastHeartbeat() throws {
        var cluster = activePair()
        // Cut b off completely (both directions) from 8 s on.
        cluster.fault = { from, to, _, _, _ in from == to ? [.milliseconds(1)] : [] }
        let lastHeard = try #require(cluster.members["a"]!.node("b")?.lastHeard)
        // b advertises its own dt (deadtime 10 s, past its first 5 s).
        #expect(cluster.members["a"]!.node("b")?.deadInterval == .seconds(10))
        #expect(cluster.members["a"]!.node("b")?.deadAt == lastHeard + .seconds(10))
        cluster.run(until: at(30_000))
        let deathTime = cluster.firstTime("a") { $0 == .nodeStatusChanged(node: "b", from: .active, to: .dead, why: .timedOut) }
        #expect(deathTime == lastHeard + .seconds(10))
        #expect(cluster.effects("a").logLines.filter { $0 == "WARN: node b: is dead" }.count == 1)
        #expect(cluster.effects("a").logged("info: Link b:eth0 dead."))
        #expect(cluster.members["a"]!.node("b")?.links.map(\.status) == [.dead])
        // Our own link never times out.
        #expect(cluster.members["a"]!.node("a")?.links.map(\.status) == [.up])
    }

    @Test func deadlineFollowsThePeersAdvertisedDeadtime() {
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 1, dt: 4321), at: at(500))
        a.advance(to: at(1000))  // links up: b's own dt now rules
        #expect(a.membership.node("b")?.deadAt == at(500 + 4321))
        #expect(!a.advance(to: at(4820)).logged("is dead"))
        #expect(a.advance(to: at(4821)).logLines.contains("WARN: node b: is dead"))
    }

    @Test func lateHeartbeatIsWarnedWithTheMeasuredInterval() {
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 1, dt: 60_000), at: at(100))
        a.advance(to: at(1100))
        a.receive(peerStatus("b", seq: 2, dt: 60_000), at: at(1100))
        a.advance(to: at(7600))
        let effects = a.receive(peerStatus("b", seq: 3, dt: 60_000), at: at(7600))
        #expect(effects.logLines.contains("WARN: Late heartbeat: Node b: interval 6500 ms"))
        let stats = a.membership.node("b")!.heartbeats
        #expect(stats.samples == 2)
        #expect(stats.lateCount == 1)
        #expect(stats.maxInterval == .milliseconds(6500))
        #expect(stats.p99Interval == .milliseconds(6500))
    }

    @Test func heartbeatLaterThanDeadtimeDoesNotKillAndReviveThePeer() {
        // b advertises 60 s, so our timer rightly leaves it alive; its status 12 s later exceeds our
        // own deadtime (10 s). 3.0.6 would mark it dead and revive it here (spec §10 item 2).
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 1, dt: 60_000), at: at(100))
        a.advance(to: at(12_100))
        let effects = a.receive(peerStatus("b", seq: 2, dt: 60_000), at: at(12_100))
        #expect(effects.logLines.contains("CRIT: Late heartbeat: Node b: interval 12000 ms (> deadtime)"))
        #expect(effects.statusChanges.isEmpty)
        #expect(!effects.contains(.partitionHealed(node: "b")))
        #expect(a.membership.node("b")?.status == .active)
    }

    @Test func cuttingOneLinkOfTwoOnlyKillsThatLink() {
        var cluster = activePair(links: ["eth0", "eth1"])
        #expect(cluster.members["a"]!.node("b")?.links.map(\.status) == [.up, .up])
        cluster.fault = { from, to, link, _, _ in from != to && link == "eth1" ? [] : [.milliseconds(1)] }
        cluster.run(until: at(40_000))
        for (here, there) in [("a", "b"), ("b", "a")] {
            let view = cluster.members[here]!.node(there)!
            #expect(view.status == .active)
            #expect(view.links.map(\.status) == [.up, .dead])
            #expect(cluster.effects(here).logLines.filter { $0 == "info: Link \(there):eth1 dead." }.count == 1)
            #expect(!cluster.effects(here).logged("is dead"))
            #expect(cluster.effects(here).linkChanges.filter { $0.hasPrefix(there) } == ["\(there):eth0:up", "\(there):eth1:up", "\(there):eth1:dead"])
        }
        // Heal the link: it comes back up.
        cluster.fault = { _, _, _, _, _ in [.milliseconds(1)] }
        cluster.run(until: at(42_000))
        #expect(cluster.members["a"]!.node("b")?.links.map(\.status) == [.up, .up])
    }

    @Test func ownStallDoesNotKillPeers() {
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 1), at: at(100))
        a.advance(to: at(2000))
        a.receive(peerStatus("b", seq: 2), at: at(2000))
        a.advance(to: at(3000))
        // We stop for 30 s: the timer set for 4 s fires at 33 s. b's dt (10 s) ran out meanwhile.
        let wake = a.handle(.tick, at: at(33_000))
        #expect(wake.logged("WARN: Local heartbeat process stalled: woke up 29000 ms after its deadline"))
        #expect(!wake.logged("is dead"))
        #expect(a.membership.node("b")?.status == .active)
        #expect(a.membership.node("b")?.deadAt == at(33_000 + 1000 + 250))
        // b's queued heartbeat is read right after: it stays alive and on the normal schedule.
        let heard = a.receive(peerStatus("b", seq: 3), at: at(33_010))
        #expect(heard.statusChanges.isEmpty)
        #expect(a.membership.node("b")?.deadAt == at(43_010))
        // Only the heartbeat was sent on waking, not a burst of the 29 missed ones.
        #expect(wake.sent(type: .status).count == 1)
    }

    @Test func repeatedStallsAreLoggedOnceInTenSecondsWithACount() {
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 1), at: at(100))
        a.advance(to: at(3000))
        // An overloaded loop: every wake-up is more than warntime late.
        var lines: [String] = []
        for second in stride(from: 33_000, through: 54_000, by: 7000) {
            lines += a.handle(.tick, at: at(Int64(second))).logLines.filter { $0.contains("stalled") }
            a.receive(peerStatus("b", seq: UInt64(second)), at: at(Int64(second) + 1))
        }
        // Stalls at 33, 40, 47 and 54 s: logged at 33 s and 47 s.
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix("for the next 1250 ms") == true)
        #expect(lines.last?.hasSuffix("(1 more stall since the last such line)") == true)
        // The grace still follows every stall, logged or not.
        #expect(a.membership.node("b")?.status == .active)
    }

    @Test func afterAStallASilentPeerDiesWhenTheGraceEnds() {
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 1), at: at(100))
        a.advance(to: at(3000))
        a.handle(.tick, at: at(33_000))
        #expect(!a.advance(to: at(34_249)).logged("is dead"))
        #expect(a.advance(to: at(34_250)).logLines.contains("WARN: node b: is dead"))
    }

    @Test func partitionHealIsReportedWithoutDoubleDeathOrRestart() {
        var cluster = activePair()
        cluster.fault = { from, to, _, _, _ in from == to ? [.milliseconds(1)] : [] }
        cluster.run(until: at(25_000))
        #expect(cluster.members["a"]!.node("b")?.status == .dead)
        #expect(cluster.members["b"]!.node("a")?.status == .dead)
        let healedAt = cluster.now
        cluster.fault = { _, _, _, _, _ in [.milliseconds(1)] }
        cluster.run(until: at(30_000))
        for (here, there) in [("a", "b"), ("b", "a")] {
            let effects = cluster.effects(here)
            let after = cluster.effects(here, after: healedAt)
            #expect(after.contains(.partitionHealed(node: there)), "\(here)")
            #expect(after.logLines.contains("CRIT: Cluster node \(there) returning after partition."))
            #expect(after.logLines.contains("WARN: Deadtime value may be too small."))
            #expect(!after.contains(.peerRestarted(node: there)))
            // Dead once, alive again once: never dead twice.
            #expect(effects.statusChanges.filter { $0.hasPrefix("\(there):") }.suffix(2) == ["\(there):active->dead", "\(there):dead->active"])
            #expect(effects.statusChanges.filter { $0 == "\(there):active->dead" }.count == 1)
            #expect(cluster.members[here]!.node(there)?.status == .active)
            #expect(cluster.members[here]!.localStatus == .active)
        }
    }

    @Test func restartedPeerAfterDeathIsARestartNotAHeal() {
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 1, hg: 5), at: at(100))
        a.advance(to: at(11_100))
        #expect(a.membership.node("b")?.status == .dead)
        let effects = a.receive(peerStatus("b", seq: 1, hg: 6, st: "init"), at: at(12_000))
        #expect(effects.contains(.peerRestarted(node: "b")))
        #expect(!effects.contains(.partitionHealed(node: "b")))
        #expect(effects.statusChanges == ["b:dead->init"])
    }

    @Test func statusFromADeadPeerNotNewerThanItsLastIsDropped() {
        var a = Driver(testConfig("a"))
        a.handle(.start, at: at(0))
        a.receive(peerStatus("b", seq: 4, hg: 5), at: at(100))
        a.advance(to: at(11_100))
        let effects = a.receive(peerStatus("b", seq: 4, hg: 5), at: at(12_000))
        #expect(effects.statusChanges.isEmpty)
        #expect(a.membership.rejectedCounts[.staleStatus] == 1)
        #expect(a.membership.node("b")?.status == .dead)
    }
}
