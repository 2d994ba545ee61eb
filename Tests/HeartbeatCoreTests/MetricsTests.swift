import Testing
@testable import HeartbeatCore

@Suite struct MetricsTests {
    @Test func endpointIsLoopbackOrASocketPath() throws {
        #expect(try MetricsEndpoint.parse("127.0.0.1:9873").get() == .tcp(address: "127.0.0.1", port: 9873))
        #expect(try MetricsEndpoint.parse("127.1.2.3:80").get() == .tcp(address: "127.1.2.3", port: 80))
        #expect(try MetricsEndpoint.parse("/run/heartbeat/metrics.sock").get() == .unix(path: "/run/heartbeat/metrics.sock"))
        for bad in ["10.0.0.1:9873", "0.0.0.0:9873", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "localhost:9873", "metrics.sock"] {
            #expect(throws: MetricsEndpointError.self, "\(bad)") { try MetricsEndpoint.parse(bad).get() }
        }
        if case .failure(let error) = MetricsEndpoint.parse("10.0.0.1:9873") { #expect(error.reason.contains("loopback")) }
    }

    @Test func haCfDirectiveWarnsThat306RejectsIt() {
        let parsed = HaCfParser.parse("metrics_listen 127.0.0.1:9873\n", file: "ha.cf")
        #expect(parsed.metricsEndpoint == .tcp(address: "127.0.0.1", port: 9873))
        #expect(parsed.diagnostics.map(\.severity) == [.warning])
        let wrong = HaCfParser.parse("metrics_listen 192.168.1.1:9873\n", file: "ha.cf")
        #expect(wrong.metricsEndpoint == nil)
        #expect(wrong.diagnostics.first?.severity == .error && wrong.diagnostics.first?.line == 1)
    }

    func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    @Test func httpAnswersOneGetAndRefusesTheRest() {
        var scrapes = 0
        let body = { () -> String in scrapes += 1; return "m 1\n" }
        #expect(MetricsHTTP.response(to: Array("GET /metrics HTTP/1.1\r\nHost: x\r\n".utf8), body: body) == nil)
        let ok = text(MetricsHTTP.response(to: Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8), body: body))
        #expect(ok == "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 4\r\nConnection: close\r\n\r\nm 1\n")
        let head = text(MetricsHTTP.response(to: Array("HEAD / HTTP/1.0\n\n".utf8), body: body))
        #expect(head?.hasSuffix("Connection: close\r\n\r\n") == true)
        #expect(text(MetricsHTTP.response(to: Array("GET /other HTTP/1.0\r\n\r\n".utf8), body: body))?.hasPrefix("HTTP/1.0 404 ") == true)
        #expect(text(MetricsHTTP.response(to: Array("POST /metrics HTTP/1.0\r\n\r\n".utf8), body: body))?.hasPrefix("HTTP/1.0 405 ") == true)
        #expect(text(MetricsHTTP.response(to: Array("garbage\r\n\r\n".utf8), body: body))?.hasPrefix("HTTP/1.0 400 ") == true)
        let huge = [UInt8](repeating: UInt8(ascii: "a"), count: MetricsHTTP.maxRequestBytes + 1)
        #expect(text(MetricsHTTP.response(to: huge, body: body))?.hasPrefix("HTTP/1.0 431 ") == true)
        #expect(scrapes == 2)
    }

    @Test func histogramBucketsAreCumulativeInTheText() {
        var histogram = IntervalHistogram()
        for milliseconds in [40, 200, 200, 900, 70000] { histogram.record(.milliseconds(milliseconds)) }
        var out = MetricsText()
        out.histogram("h", ["node": "b"], histogram)
        #expect(out.text.contains("h_bucket{node=\"b\",le=\"0.05\"} 1\n"))
        #expect(out.text.contains("h_bucket{node=\"b\",le=\"0.25\"} 3\n"))
        #expect(out.text.contains("h_bucket{node=\"b\",le=\"1\"} 4\n"))
        #expect(out.text.contains("h_bucket{node=\"b\",le=\"60\"} 4\n"))
        #expect(out.text.contains("h_bucket{node=\"b\",le=\"+Inf\"} 5\n"))
        #expect(out.text.contains("h_sum{node=\"b\"} 71.34\n"))
        #expect(out.text.contains("h_count{node=\"b\"} 5\n"))
        #expect(MetricsText.labels(["group": "a\"b\\c\nd"]) == "{group=\"a\\\"b\\\\c\\nd\"}")
    }

    @Test func aGroupChangingHandsIsOneFailover() {
        var state = MetricsState()
        func report(owner: String?) -> StatusReport {
            var report = StatusReport(localNode: "alice", nodes: [], resources: .all, parameters: [:])
            report.groups = [.init(key: "IPaddr::10.0.0.5", preferredNode: "alice", owner: owner, state: "", reason: "")]
            return report
        }
        for owner in ["alice", "alice", nil, "bob", "bob", nil, "alice"] { state.observe(report(owner: owner)) }
        #expect(state.failovers == ["IPaddr::10.0.0.5": 2])
        state.scriptFinished(operation: "start", duration: .milliseconds(120))
        let text = state.text(report(owner: "alice"), heartbeats: [:])
        #expect(text.contains("heartbeat_failovers_total{group=\"IPaddr::10.0.0.5\"} 2\n"))
        #expect(text.contains("heartbeat_script_duration_seconds_count{operation=\"start\"} 1\n"))
        #expect(text.contains("# TYPE heartbeat_script_duration_seconds histogram\n"))
    }
}
