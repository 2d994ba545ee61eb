@testable import HeartbeatCore
import Testing

/// When checks run: every interval while the group runs here, never two of a line at once, after
/// `start_delay`, paused while the group is stopped, restarted or moved.
@Suite struct HealthScheduleTests {
    @Test func withoutMonitorsNothingChanges() {
        var plain = HealthHarness([])
        plain.advance(by: .seconds(600))
        #expect(plain.state == .running)
        #expect(plain.pending.isEmpty)
        #expect(plain.manager.nextDeadline == nil)
        #expect(plain.manager.unfitGroupKeys.isEmpty)
        #expect(!plain.effects.contains { if case .runCheck = $0 { true } else { false } })
    }

    @Test func aCheckEveryIntervalWhileTheGroupRuns() {
        var node = HealthHarness([HealthHarness.spec(interval: .seconds(10))])
        #expect(node.state == .running)
        #expect(node.pending.count == 1, "the first check runs as soon as the group is up")
        let first = node.pending[0]
        #expect(first.group == HealthHarness.db.key)
        #expect(first.check == .status)
        #expect(first.resources == HealthHarness.db.resources, "a status check asks each resource in order")
        #expect(first.timeout == .seconds(5))
        node.pass()
        #expect(node.pending.isEmpty)
        #expect(node.manager.nextDeadline == .zero + .seconds(10))
        node.advance(by: .seconds(9))
        #expect(node.pending.isEmpty)
        node.advance(by: .seconds(1))
        #expect(node.pending.count == 1)
        #expect(node.pending[0].id != first.id)
    }

    @Test func atMostOneRunPerLineInFlight() {
        var node = HealthHarness([HealthHarness.spec(interval: .seconds(1), timeout: .seconds(30))])
        node.advance(by: .seconds(20))
        #expect(node.pending.count == 1, "a slow check is not joined by another of the same line")
        node.pass()
        #expect(node.pending.count == 1, "the next one was overdue and starts at once")
    }

    @Test func linesRunIndependently() {
        var node = HealthHarness([HealthHarness.spec(interval: .seconds(2), line: 1),
                                  HealthHarness.spec(.tcp(host: "127.0.0.1", port: 3306), interval: .seconds(5), line: 2)])
        #expect(node.pending.map(\.monitor) == [0, 1])
        #expect(node.pending[1].resources.isEmpty)
        node.pass()
        node.pass()
        node.advance(by: .seconds(4))
        #expect(node.pending.map(\.monitor) == [0])
    }

    @Test func startDelayIsAGraceAfterTheStart() {
        var node = HealthHarness([HealthHarness.spec(interval: .seconds(2), startDelay: .seconds(30))])
        #expect(node.pending.isEmpty)
        node.advance(by: .seconds(29))
        #expect(node.pending.isEmpty)
        node.advance(by: .seconds(1))
        #expect(node.pending.count == 1)
    }

    @Test func aTimedOutCheckCountsAsAFailure() {
        var node = HealthHarness([HealthHarness.spec(fall: 2)])
        node.answer(.timedOut)
        #expect(node.logs(.warning).contains("Monitor IPaddr::10.0.0.5 (status, line 1) failed: timed out after 5s (1 of fall 2)"))
        node.advance(by: .seconds(10))
        node.answer(.timedOut)
        #expect(node.scripts.contains("mysql stop"), "two timeouts in a row reach fall 2")
    }

    @Test func aCancelledChecksLateAnswerIsIgnored() {
        var node = HealthHarness([HealthHarness.spec(line: 1), HealthHarness.spec(.tcp(host: "::1", port: 1), line: 2)])
        let tcp = node.pending[1]
        node.fail()
        #expect(node.effects.contains(.cancelCheck(tcp.id)), "the restart pauses the group's other line")
        node.clearRecord()
        node.handle(.checkFinished(tcp.id, .failed(latency: .zero, detail: "connection refused")))
        #expect(node.logs.isEmpty)
    }

    @Test func checksPauseWhileTheGroupIsReleased() {
        var node = HealthHarness([HealthHarness.spec()])
        let id = node.pending[0].id
        node.handle(.shutdown)
        #expect(node.effects.contains(.cancelCheck(id)))
        #expect(node.pending.isEmpty)
        node.advance(by: .seconds(60))
        #expect(node.pending.isEmpty)
    }
}
