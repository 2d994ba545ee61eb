import Testing
@testable import HeartbeatCore

@Suite struct ControlCodecTests {
    @Test func reportRoundTripsWithAwkwardNames() throws {
        var report = sampleReport()
        report.localNode = "tab\there"
        report.nodes.append(.init(name: "new\nline\\back\r\n", type: .normal, status: .up, weight: -1,
                                  site: "sité 🚀 \u{301}", generation: UInt64.max,
                                  links: [.init(name: "\t", status: .dead), .init(name: "", status: .up)],
                                  lateHeartbeat: .init(maxIntervalMs: 0, p99IntervalMs: 0), lastHeardAgeMs: 0))
        report.parameters["odd\tkey"] = "value\nwith\\n"
        report.parameters["empty"] = ""
        report.rejectedPackets["ünïcode"] = UInt64.max
        report.clients.append(.init(node: "\\", client: "-", status: .offline))
        report.managedBy = "haresources"
        let text = report.encoded()
        #expect(text.hasPrefix("heartbeat-status 2\n"))
        #expect(text.hasSuffix("\nend\n"))
        #expect(try StatusReport(decoding: text) == report)
        #expect(try StatusReport(decoding: Array(text.utf8)) == report)
        // Every record is one line whatever the names hold.
        #expect(!text.contains("\r"))
    }

    @Test func minimalReportRoundTrips() throws {
        let report = StatusReport(localNode: "solo")
        #expect(try StatusReport(decoding: report.encoded()) == report)
    }

    @Test func decoderRejectsGarbageWithTypedErrors() {
        let good = sampleReport().encoded()
        func decode(_ text: String) -> StatusReportDecodingError? {
            do { _ = try StatusReport(decoding: text); return nil } catch { return error }
        }
        #expect(decode("") == .missingHeader)
        #expect(decode("hello\n") == .missingHeader)
        #expect(decode("GET / HTTP/1.0\r\n\r\n") == .truncated)
        #expect(decode("heartbeat-status 1\nend\n") == .unsupportedVersion("1"), "version 1 had no health records")
        #expect(decode(String(good.dropLast(4))) == .truncated)          // "end\n" cut off
        #expect(decode(String(good.dropLast())) == .truncated)           // no final newline
        #expect(decode(good + "end\n") == .malformedLine(line: good.split(separator: "\n").count, reason: "unknown record \"end\""))
        #expect(decode("heartbeat-status 2\nend\n") == .missingRecord("version"))
        let lines = good.split(separator: "\n").map(String.init)
        func replacing(_ index: Int, with line: String) -> String {
            var copy = lines
            copy[index] = line
            return copy.joined(separator: "\n") + "\n"
        }
        #expect(decode(replacing(1, with: "bogus\tx")) == .malformedLine(line: 2, reason: "unknown record \"bogus\""))
        #expect(decode(replacing(1, with: "version")) == .malformedLine(line: 2, reason: "version needs 1 fields, has 0"))
        #expect(decode(replacing(1, with: "version\tbad\\q")) == .malformedLine(line: 2, reason: "bad escape"))
        #expect(decode(replacing(1, with: "version\tdangling\\")) == .malformedLine(line: 2, reason: "bad escape"))
        #expect(decode(replacing(2, with: "version\tagain")) == .malformedLine(line: 3, reason: "repeated version record"))
        #expect(decode(replacing(5, with: "resources\tsome")) == .malformedLine(line: 6, reason: "bad value \"some\""))
        #expect(decode(replacing(4, with: "timing\t1000\tlots")) == .malformedLine(line: 5, reason: "bad number \"lots\""))
        #expect(decode(replacing(6, with: "link\teth0\tup")) == .malformedLine(line: 7, reason: "link before any node"))
        #expect(decode(replacing(6, with: "node\ta\tnormal\tactive\t100\t\t-\t5\t-\t-"))
            == .malformedLine(line: 7, reason: "late-heartbeat max and p99 must come together"))
        #expect(decode(replacing(6, with: "node\ta\tnormal\tzombie\t100\t\t-\t-\t-\t-"))
            == .malformedLine(line: 7, reason: "bad value \"zombie\""))
        #expect(throws: StatusReportDecodingError.notUTF8) { try StatusReport(decoding: [0x68, 0xff, 0x0a]) }
    }

    @Test func decoderRefusesOversizedInput() {
        let huge = [UInt8](repeating: 0x61, count: StatusReport.maxEncodedBytes + 1)
        #expect(throws: StatusReportDecodingError.tooLarge(bytes: StatusReport.maxEncodedBytes + 1)) {
            try StatusReport(decoding: huge)
        }
        #expect(throws: StatusReportDecodingError.tooLarge(bytes: StatusReport.maxEncodedBytes + 1)) {
            try StatusReport(decoding: String(decoding: huge, as: UTF8.self))
        }
    }

    @Test func requestParsing() throws {
        #expect(try ControlRequest(line: "status\n") == .status)
        #expect(try ControlRequest(line: "status") == .status)
        #expect(try ControlRequest(line: "standby\n") == .standby(.all))
        #expect(try ControlRequest(line: "standby foreign\n") == .standby(.foreign))
        #expect(try ControlRequest(line: "takeover  failback\n") == .takeover(.failback))
        #expect(try ControlRequest(line: "reload\n") == .reload)
        #expect(try ControlRequest(line: "monitor-reset\n") == .monitorReset(group: nil))
        #expect(try ControlRequest(line: "monitor-reset IPaddr2::10.0.0.5/24/eth0\n") == .monitorReset(group: "IPaddr2::10.0.0.5/24/eth0"))
        #expect(throws: ControlRequestError.unexpectedArgument(verb: "monitor-reset", argument: "web")) {
            try ControlRequest(line: "monitor-reset db web\n")
        }
        for request in [ControlRequest.status, .standby(.local), .takeover(.all), .reload, .monitorReset(group: nil), .monitorReset(group: "db")] {
            #expect(try ControlRequest(line: request.line) == request)
        }
        #expect(throws: ControlRequestError.empty) { try ControlRequest(line: "\n") }
        #expect(throws: ControlRequestError.unknownVerb("linkstatus")) { try ControlRequest(line: "linkstatus\n") }
        #expect(throws: ControlRequestError.badArgument(verb: "standby", argument: "some")) { try ControlRequest(line: "standby some\n") }
        #expect(throws: ControlRequestError.unexpectedArgument(verb: "standby", argument: "local")) {
            try ControlRequest(line: "standby all local\n")
        }
        #expect(throws: ControlRequestError.unexpectedArgument(verb: "status", argument: "x")) { try ControlRequest(line: "status x\n") }
        #expect(throws: ControlRequestError.malformed("more than one line")) { try ControlRequest(line: "status\nreload\n") }
        #expect(throws: ControlRequestError.malformed("not UTF-8")) { try ControlRequest(line: [0xff, 0x0a]) }
        let long = [UInt8](repeating: 0x61, count: ControlRequest.maxLineBytes + 1)
        #expect(throws: ControlRequestError.tooLong(bytes: ControlRequest.maxLineBytes + 1)) { try ControlRequest(line: long) }
    }

    @Test func onlyReadOnlyRequestsAreOpenToEveryone() {
        let nobody = ControlAuthorization.Peer(uid: 65534, gid: 65534)
        let root = ControlAuthorization.Peer(uid: 0, gid: 0)
        #expect(ControlRequest.status.isReadOnly)
        #expect(ControlAuthorization().permits(.status, from: nobody))
        for request in [ControlRequest.standby(.all), .takeover(.local), .reload, .monitorReset(group: nil)] {
            #expect(!request.isReadOnly)
            #expect(!ControlAuthorization().permits(request, from: nobody))
            #expect(ControlAuthorization().permits(request, from: root))
        }
    }

    @Test func responseFraming() throws {
        #expect(ControlResponse.ok("a\nb\n").encoded == "ok\na\nb\n")
        #expect(ControlResponse.error("permission denied").encoded == "error permission denied\n")
        #expect(ControlResponse.error("two\nlines").encoded == "error two lines\n")
        #expect(try ControlResponse(decoding: Array("ok\npayload".utf8)) == .ok("payload"))
        #expect(try ControlResponse(decoding: Array("ok\n".utf8)) == .ok(""))
        #expect(try ControlResponse(decoding: Array("error permission denied\n".utf8)) == .error("permission denied"))
        #expect(throws: ControlResponseError.malformed) { try ControlResponse(decoding: Array("okay".utf8)) }
        #expect(throws: ControlResponseError.malformed) { try ControlResponse(decoding: Array("error cut".utf8)) }
        #expect(throws: ControlResponseError.malformed) { try ControlResponse(decoding: []) }
    }
}
