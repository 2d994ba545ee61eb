@testable import HeartbeatCore
import Testing

/// Health as people and programs see it: the projection's states, the control socket's records,
/// the JSON, the table and the metrics.
@Suite struct HealthReportTests {
    static let key = HealthHarness.db.key

    @Test func statesFollowTheChecks() {
        var node = HealthHarness([HealthHarness.spec(fall: 2, rise: 2, startDelay: .seconds(5), onFail: .alert)])
        #expect(node.manager.healthReport(ofGroup: 0, now: node.now).state == .unknown, "start_delay: no result yet")
        node.advance(by: .seconds(5))
        node.pass()
        var report = node.manager.healthReport(ofGroup: 0, now: node.now)
        #expect(report.state == .healthy)
        #expect(report.checks.first?.nextInMs == 10_000)
        node.advance(by: .seconds(10))
        node.fail("HTTP 503")
        report = node.manager.healthReport(ofGroup: 0, now: node.now + .seconds(1))
        #expect(report.state == .failing)
        #expect(report.consecutiveFailures == 1)
        #expect(report.checks.first?.lastResult == "failed")
        #expect(report.checks.first?.lastDetail == "HTTP 503")
        #expect(report.checks.first?.lastLatencyMs == 3)
        #expect(report.checks.first?.lastAgeMs == 1000)
        node.advance(by: .seconds(10))
        node.fail()
        node.advance(by: .seconds(10))
        node.pass()
        #expect(node.manager.healthReport(ofGroup: 0, now: node.now).state == .recovering)
        #expect(node.manager.healthReport(ofGroup: 0, now: node.now).checks.first?.counts == CheckCounts(
            passed: 2, failed: 2, timedOut: 0, latencies: {
                var histogram = IntervalHistogram()
                for _ in 0..<4 { histogram.record(.milliseconds(3)) }
                return histogram
            }()))
    }

    @Test func unmonitoredPausedAndEligibility() {
        let plain = HealthHarness([])
        #expect(plain.manager.healthReport(ofGroup: 0, now: plain.now) == .unmonitored)
        var node = HealthHarness([HealthHarness.spec(restarts: 2, window: .seconds(600), holddown: .seconds(60))])
        node.handle(.peerUnfit("b", groups: [Self.key]))
        var report = node.manager.healthReport(ofGroup: 0, now: node.now)
        #expect(report.eligibility == [StatusReport.Eligibility(node: "a", eligible: true), StatusReport.Eligibility(node: "b", eligible: false)])
        #expect(report.restartsLeft == 2)
        node.handle(.peerUnfit("b", groups: []))
        node.fail()
        report = node.manager.healthReport(ofGroup: 0, now: node.now)
        #expect(report.failCount == 1)
        #expect(report.restartsLeft == 1)
        #expect(report.restarts == 1)
        node.fail()
        node.fail()
        #expect(node.standbyRequests.count == 1)
        #expect(node.manager.healthReport(ofGroup: 0, now: node.now).state == .failing, "the failure that moves it")
        node.peerSays("other", "local")
        #expect(node.manager.healthReport(ofGroup: 0, now: node.now).state == .unknown, "released: not checked here")
        report = node.manager.healthReport(ofGroup: 0, now: node.now + .seconds(10))
        #expect(report.moves == 1)
        #expect(report.holddownLeftMs == 50_000)
        #expect(report.eligibility.first == StatusReport.Eligibility(node: "a", eligible: false))
    }

    static func monitoredReport() -> StatusReport {
        var report = sampleReport()
        var latencies = IntervalHistogram()
        latencies.record(.milliseconds(12))
        latencies.record(.seconds(5))
        report.groups = [
            StatusReport.Group(key: "db", preferredNode: "alice", owner: "alice", state: "running", reason: "local group",
                               health: StatusReport.Health(
                                   state: .failing, consecutiveFailures: 2, failCount: 1, restartsLeft: 0, holddownLeftMs: 4000,
                                   restarts: 1, moves: 0,
                                   eligibility: [.init(node: "alice", eligible: false), .init(node: "bob", eligible: true)],
                                   checks: [StatusReport.Check(line: 2, check: "http://10.0.0.5/health", lastResult: "failed",
                                                               lastDetail: "HTTP 503\tbad", lastLatencyMs: 12, lastAgeMs: 300,
                                                               nextInMs: 1700,
                                                               counts: CheckCounts(passed: 7, failed: 1, timedOut: 1, latencies: latencies)),
                                            StatusReport.Check(line: 3, check: "status")])),
            StatusReport.Group(key: "web", preferredNode: "bob", owner: nil, state: "stopped", reason: ""),
        ]
        return report
    }

    @Test func healthRoundTripsOnTheControlSocket() throws {
        let report = Self.monitoredReport()
        let text = report.encoded()
        #expect(text.contains("\nhealth\tfailing\t2\t1\t0\t4000\t1\t0\neligible\talice\t0\neligible\tbob\t1\ncheck\t2\t"))
        #expect(try StatusReport(decoding: text) == report)
        #expect(!sampleReport().encoded().contains("health"), "an unmonitored group adds nothing")
        func decode(_ text: String) -> StatusReportDecodingError? {
            do { _ = try StatusReport(decoding: text); return nil } catch { return error }
        }
        #expect(decode(text.replacingOccurrences(of: "health\tfailing", with: "health\tunmonitored"))
            .map { "\($0)".contains("health of an unmonitored group") } == true)
        #expect(decode(text.replacingOccurrences(of: "\teligible\tbob\t1", with: "")) == nil)
        #expect(decode(text.replacingOccurrences(of: "eligible\tbob\t1", with: "eligible\tbob\tyes"))
            .map { "\($0)".contains("bad value \"yes\"") } == true)
        #expect(decode(text.replacingOccurrences(of: "\tfailed\tHTTP", with: "\tbroken\tHTTP"))
            .map { "\($0)".contains("bad value \"broken\"") } == true)
    }

    @Test func jsonAndTableShowHealth() {
        let report = Self.monitoredReport()
        let json = report.json()
        #expect(json.hasPrefix("{\"schema\":2,\"schema_version\":2,"))
        #expect(json.contains("\"health\":{\"state\":\"failing\",\"consecutiveFailures\":2,\"failCount\":1,\"restartsLeft\":0,"
            + "\"holddownLeftMs\":4000,\"restarts\":1,\"moves\":0,\"eligibility\":[{\"node\":\"alice\",\"eligible\":false},"
            + "{\"node\":\"bob\",\"eligible\":true}],\"checks\":[{\"line\":2,\"check\":\"http://10.0.0.5/health\","
            + "\"lastResult\":\"failed\",\"lastDetail\":\"HTTP 503\\tbad\",\"lastLatencyMs\":12,\"lastAgeMs\":300,\"nextInMs\":1700,"
            + "\"passed\":7,\"failed\":1,\"timedOut\":1},"))
        #expect(json.contains("\"health\":{\"state\":\"unmonitored\",\"consecutiveFailures\":0,\"failCount\":0,\"restartsLeft\":null,"
            + "\"holddownLeftMs\":null,\"restarts\":0,\"moves\":0,\"eligibility\":[],\"checks\":[]}"))
        let table = report.humanTable()
        #expect(table.contains("""

            MONITORED  HEALTH   IN A ROW  FAIL COUNT  RESTARTS LEFT  ELIGIBLE          HOLD-DOWN
            db         failing  2         1           0              alice:no bob:yes  4000 ms left

            Checks:
              db line 2  http://10.0.0.5/health  failed (HTTP 503\\tbad)  took 12 ms, 300 ms ago, next in 1700 ms
              db line 3  status                  not run yet

            """))
        #expect(!sampleReport().humanTable().contains("MONITORED"))
    }

    @Test func metricsOfMonitoredGroups() {
        let text = MetricsState().text(Self.monitoredReport(), heartbeats: [:])
        #expect(text.contains("heartbeat_monitor_checks_total{check=\"http://10.0.0.5/health\",group=\"db\",result=\"passed\"} 7\n"))
        #expect(text.contains("heartbeat_monitor_checks_total{check=\"http://10.0.0.5/health\",group=\"db\",result=\"timedOut\"} 1\n"))
        #expect(text.contains("heartbeat_monitor_check_duration_seconds_bucket{check=\"http://10.0.0.5/health\",group=\"db\",le=\"0.05\"} 1\n"))
        #expect(text.contains("heartbeat_monitor_check_duration_seconds_count{check=\"http://10.0.0.5/health\",group=\"db\"} 2\n"))
        #expect(text.contains("heartbeat_monitor_fail_count{group=\"db\"} 1\n"))
        #expect(text.contains("heartbeat_monitor_restarts_total{group=\"db\"} 1\n"))
        #expect(text.contains("heartbeat_monitor_moves_total{group=\"db\"} 0\n"))
        #expect(text.contains("heartbeat_group_healthy{group=\"db\"} 0\n"))
        #expect(!text.contains("group=\"web\"}"), "web has no monitor")
        #expect(!MetricsState().text(sampleReport(), heartbeats: [:]).contains("heartbeat_monitor"))
    }
}
