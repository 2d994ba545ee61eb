@testable import HeartbeatCore
import Testing

/// What a failing group leads to: restart in place within the budget, then a move to an eligible
/// peer, ineligibility until the failures expire or are reset, hold-down, and backoff when no node
/// is fit for it.
@Suite struct HealthDecisionTests {
    static let key = HealthHarness.db.key

    @Test func fallFailuresInARowRestartTheGroupInPlace() {
        var node = HealthHarness([HealthHarness.spec(fall: 2)])
        node.clearRecord()
        node.fail("exit 1")
        #expect(node.scripts.isEmpty, "one failure of fall 2 does nothing yet")
        node.advance(by: .seconds(10))
        node.pass()
        node.advance(by: .seconds(10))
        node.fail()
        #expect(node.scripts.isEmpty, "a success in between starts the count again")
        node.advance(by: .seconds(10))
        node.fail()
        #expect(node.scripts == ["mysql stop", "IPaddr::10.0.0.5 stop", "IPaddr::10.0.0.5 status", "IPaddr::10.0.0.5 start",
                                 "mysql status", "mysql start"])
        #expect(node.logs(.warning).contains("Group \(Self.key) failed here (fail count 1 within 3600s, restarts 1): restarting it in place"))
        #expect(node.manager.groups[0].reason == "monitor restart")
        #expect(node.state == .running)
        let states = node.effects.compactMap { if case .groupStateChanged(_, _, let to) = $0 { to } else { nil } }
        #expect(states == [.stopping, .stopped, .starting, .running])
        #expect(node.standbyRequests.isEmpty, "no holdings change: the peer never sees the group as free")
        #expect(node.pending.count == 1, "checks resume after the restart")
    }

    @Test func theRestartBudgetSpentTheGroupMovesToThePeer() {
        var node = HealthHarness([HealthHarness.spec(restarts: 1)])
        node.fail()
        node.clearRecord()
        node.fail()
        #expect(node.standbyRequests.count == 1)
        #expect(node.standbyRequests.first?["rsc_hold"] == "local")
        #expect(node.standbyRequests.first?["svcmove"] == "1")
        #expect(node.logs(.warning).contains("Group \(Self.key) is unhealthy here (fail count 2 within 3600s): moving it to b"))
        #expect(node.manager.unfitGroupKeys == [Self.key], "unhealthy here: advertised at once")
        node.peerTakesOver()
        #expect(node.state == .stopped)
        #expect(node.manager.unfitGroupKeys == [Self.key], "ineligible after the move")
        #expect(node.pending.isEmpty)
    }

    /// A peer that turns stable while our move is under way hears that we hold nothing of the set:
    /// a 3.0.6 peer taking it logged "Both machines own foreign resources!" when we still claimed it.
    @Test func aReportDuringTheMoveDoesNotClaimTheSetGivenAway() {
        var node = HealthHarness([HealthHarness.spec(onFail: .failover)])
        node.fail()
        // b agrees; our stop scripts are left running (the manager is driven directly).
        let other = Message(("t", "ask_resources"), ("src", "b"), ("rsc_hold", "local"), ("info", "other"))
        let stopping = node.manager.handle(.message(other), now: node.now)
        #expect(stopping.contains { if case .runScript(let run) = $0 { run.operation == .stop } else { false } })
        let report = Message(("t", "resource"), ("src", "b"), ("rsc_hold", "foreign"), ("rtype", "full"), ("isstable", "1"), ("seq", "ff"))
        let reports = node.manager.handle(.message(report), now: node.now).compactMap { effect -> Message? in
            if case .send(let message) = effect, message.type == .resource { message } else { nil }
        }
        #expect(!reports.isEmpty, "the newly stable peer gets our report")
        #expect(reports.allSatisfy { $0["rsc_hold"] == "none" })
    }

    @Test func failoverMovesAtTheFirstFailure() {
        var node = HealthHarness([HealthHarness.spec(onFail: .failover)])
        node.fail()
        #expect(node.standbyRequests.count == 1)
        #expect(!node.scripts.contains("mysql stop"), "nothing stops before the peer agreed")
    }

    @Test func ineligibleUntilTheFailuresExpire() {
        var node = HealthHarness([HealthHarness.spec(window: .seconds(600), onFail: .failover)])
        node.fail()
        node.peerTakesOver()
        node.advance(by: .seconds(599))
        #expect(node.manager.unfitGroupKeys == [Self.key])
        node.advance(by: .seconds(1))
        #expect(node.manager.unfitGroupKeys.isEmpty)
        #expect(node.logs(.info).contains("Failures of group \(Self.key) expired: this node is eligible for it again"))
    }

    @Test func aResetMakesTheNodeEligibleAgain() {
        var node = HealthHarness([HealthHarness.spec(onFail: .failover)])
        node.fail()
        node.peerTakesOver()
        node.handle(.monitorReset(group: "mysql"))
        #expect(node.manager.unfitGroupKeys.isEmpty)
        #expect(node.logs(.info).contains("Monitor state of group \(Self.key) reset: failures, eligibility and hold-down cleared"))
        node.clearRecord()
        node.handle(.monitorReset(group: "nosuch"))
        #expect(node.logs(.warning) == ["Monitor reset: no monitored group nosuch"])
    }

    /// `hbctl monitor reset` reads a name as the `monitors` file does: any case, token or key.
    @Test func aResetNamesTheGroupAsTheMonitorsFileDoes() {
        let node = HealthHarness([HealthHarness.spec(onFail: .failover)])
        #expect(node.manager.monitoredGroupKey(named: "MySQL") == Self.key)
        #expect(node.manager.monitoredGroupKey(named: Self.key.uppercased()) == Self.key)
        #expect(node.manager.monitoredGroupKey(named: "nosuch") == nil)
    }

    @Test func failuresOlderThanTheWindowAreForgotten() {
        var node = HealthHarness([HealthHarness.spec(interval: .seconds(30), restarts: 1, window: .seconds(60))])
        node.fail()
        #expect(node.scripts.contains("mysql stop"))
        for _ in 0..<3 {
            node.advance(by: .seconds(30))
            node.pass()
        }
        node.advance(by: .seconds(30))
        node.clearRecord()
        node.fail()
        #expect(node.scripts.contains("mysql stop"), "the first failure expired: this is a first failure again")
        #expect(node.standbyRequests.isEmpty)
    }

    @Test func bothNodesUnhealthyTheGroupStaysAndIsRestartedWithABackoff() {
        var node = HealthHarness([HealthHarness.spec(interval: .seconds(5), onFail: .failover)])
        node.handle(.peerUnfit("b", groups: [Self.key]))
        node.clearRecord()
        node.fail()
        #expect(node.standbyRequests.isEmpty)
        #expect(node.logs(.critical) == ["Group \(Self.key) is unhealthy here and no other node can take it (b is unfit for \(Self.key)): restarting it again in 10s"])
        #expect(node.scripts.isEmpty)
        node.advance(by: .seconds(10))
        #expect(node.scripts.contains("mysql stop"), "restarted once the backoff is over")
        node.fail()
        #expect(node.logs(.warning).last == "Group \(Self.key) is still unhealthy here (b is unfit for \(Self.key)): restarting it again in 20s")
        #expect(node.logs(.critical).count == 1, "one CRIT line per episode")
        node.clearRecord()
        node.handle(.peerUnfit("b", groups: []))
        #expect(node.standbyRequests.count == 1, "a peer fit again takes it at once")
    }

    @Test func theBackoffIsCapped() {
        var node = HealthHarness([HealthHarness.spec(interval: .seconds(100), onFail: .failover)])
        node.handle(.peerUnfit("b", groups: [Self.key]))
        for _ in 0..<4 {
            node.fail()
            node.advance(by: .seconds(400))
        }
        #expect(node.logs(.warning).last?.hasSuffix("restarting it again in 300s") == true)
    }

    @Test func aDeadPeerTakesNothing() {
        var node = HealthHarness([HealthHarness.spec(onFail: .failover)])
        node.handle(.nodeDead("b"))
        node.clearRecord()
        node.fail()
        #expect(node.standbyRequests.isEmpty)
        #expect(node.logs(.critical).first?.contains("(b is dead)") == true)
    }

    @Test func aPeerShuttingDownTakesNothing() {
        var node = HealthHarness([HealthHarness.spec(onFail: .failover)])
        node.peerReport("none", extra: [("info", "shutdown")])
        node.clearRecord()
        node.fail()
        #expect(node.standbyRequests.isEmpty)
        #expect(node.logs(.critical).first?.contains("b is shutting down") == true)
    }

    /// A group that arrived by a monitor move may not move again within the hold-down.
    @Test func holdDownBetweenAutomaticMoves() {
        let web = HealthHarness.web.key
        var node = HealthHarness([HealthHarness.spec(interval: .seconds(10), holddown: .seconds(300), onFail: .failover, group: web)],
                                 groups: [HealthHarness.db, HealthHarness.web], peerHolds: "local")
        node.handle(.message(Message(("t", "ask_resources"), ("src", "b"), ("rsc_hold", "local"), ("info", "me"), ("svcmove", "1"))))
        node.peerSays("done", "local")
        #expect(node.manager.groups[1].state == .running)
        node.peerReport("none")
        node.clearRecord()
        node.fail()
        #expect(node.standbyRequests.isEmpty)
        #expect(node.logs(.critical).first?.contains("it moved 0s ago, hold-down 300s") == true)
        node.advance(by: .seconds(299))
        node.fail()
        #expect(node.standbyRequests.isEmpty, "restarted in place meanwhile, failing again within the hold-down")
        node.advance(by: .seconds(1))
        node.fail()
        #expect(node.standbyRequests.count == 1, "the hold-down is over: the next failure moves it")
    }

    @Test func alertAndIgnoreOnlyReport() {
        var node = HealthHarness([HealthHarness.spec(onFail: .alert, line: 1),
                                  HealthHarness.spec(.tcp(host: "127.0.0.1", port: 80), onFail: .ignore, line: 2)])
        node.clearRecord()
        node.fail()
        node.fail()
        #expect(node.logs(.critical) == ["Group \(Self.key) is unhealthy here (monitor line 1); on_fail=alert: nothing done"])
        #expect(node.logs(.info).contains("Group \(Self.key) failed its monitor (line 2); on_fail=ignore: nothing done"))
        #expect(node.scripts.isEmpty)
        #expect(node.standbyRequests.isEmpty)
        #expect(node.manager.unfitGroupKeys.isEmpty, "reporting lines do not make the node unfit")
    }

    @Test func riseSuccessesMakeALineHealthyAgain() {
        var node = HealthHarness([HealthHarness.spec(rise: 2, onFail: .failover)])
        node.handle(.peerUnfit("b", groups: [Self.key]))
        node.fail()
        #expect(node.manager.unfitGroupKeys == [Self.key])
        node.advance(by: .seconds(10))
        node.pass()
        #expect(node.manager.unfitGroupKeys == [Self.key], "one success of rise 2")
        node.advance(by: .seconds(10))
        node.pass()
        #expect(node.manager.unfitGroupKeys.isEmpty)
        #expect(node.logs(.info).contains("Monitor \(Self.key) (status, line 1) healthy again (2 of rise 2)"))
        #expect(node.logs(.info).contains("Group \(Self.key) is healthy again here"))
    }

    /// auto_failback on: a group we took over from b does not go home while b says it is unfit.
    @Test func autoFailbackDoesNotPullAGroupToAnUnfitNode() {
        let web = HealthHarness.web.key
        var node = HealthHarness([], groups: [HealthHarness.db, HealthHarness.web], autoFailback: .on, peerHolds: "local")
        node.handle(.nodeDead("b"))
        #expect(node.manager.groups[1].state == .running)
        node.handle(.nodeCameBack("b"))
        node.handle(.peerUnfit("b", groups: [web]))
        node.clearRecord()
        node.peerReport("none")
        #expect(node.standbyRequests.isEmpty)
        #expect(node.logs(.info).contains("Auto failback held back: b reports itself unfit for \(web)."))
        node.handle(.peerUnfit("b", groups: []))
        #expect(node.standbyRequests.first?["rsc_hold"] == "foreign")
    }

    /// A restart whose start fails leaves the group stopped here (as any failed start): it goes to
    /// a peer that may take it, which starts it with the rest of the half.
    @Test func aRestartThatCannotStartMovesTheGroup() {
        var node = HealthHarness([HealthHarness.spec(restarts: 1)])
        node.failingStarts = ["mysql"]
        node.fail()
        #expect(node.state == .failed)
        #expect(node.logs(.error).contains("Group \(Self.key) did not start again here after its monitor restart"))
        #expect(node.standbyRequests.count == 1)
        node.peerTakesOver()
        #expect(node.manager.unfitGroupKeys == [Self.key])
    }

    /// With nobody to take it, a group that did not start again is started again after the backoff.
    @Test func aRestartThatCannotStartIsRetriedWhenNobodyCanTakeIt() {
        var node = HealthHarness([HealthHarness.spec(interval: .seconds(5), restarts: 1)])
        node.handle(.peerUnfit("b", groups: [Self.key]))
        node.failingStarts = ["mysql"]
        node.fail()
        #expect(node.state == .failed)
        #expect(node.logs(.critical).last == "Group \(Self.key) is unhealthy here and no other node can take it (b is unfit for \(Self.key)): restarting it again in 10s")
        #expect(node.manager.unfitGroupKeys == [Self.key], "stopped here, but still unfit: it does not start")
        node.failingStarts = []
        node.clearRecord()
        node.advance(by: .seconds(10))
        #expect(node.scripts.contains("mysql start"))
        #expect(node.state == .running)
        #expect(node.pending.count == 1, "checked again once it runs")
        node.pass()
        #expect(node.manager.unfitGroupKeys.isEmpty, "the first success ends the episode")
    }
}
