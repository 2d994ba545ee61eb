import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

@Suite struct FifoReaderTests {
    @Test func readsClassicMessagesAndSurvivesGarbage() throws {
        var template = Array("/tmp/hb-fifo-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let path = directory + "/fifo"
        let loop = try EventLoop()
        let logger = Logger(destinations: .init(logFile: directory + "/log"))
        var received: [Message] = []
        let reader = try FifoReader(path: path, loop: loop, logger: logger) { received.append($0) }
        // What hb_standby writes (spec §6.5), split across writes, after some noise and a broken message.
        let writer = open(path, O_WRONLY | O_NONBLOCK)
        try #require(writer >= 0)
        writeAll("noise\n>>>\nbroken line without equals\n<<<\n>>>\nt=ask_resources\nrsc_hold=", to: writer)
        writeAll("all\ninfo=me\n<<<\n", to: writer)
        close(writer)
        loop.setDeadline(EventLoop.now() + .milliseconds(50)) { loop.stop() }
        loop.run()
        withExtendedLifetime(reader) {}
        #expect(received.count == 1)
        #expect(received.first?.fields.map(\.name) == ["t", "rsc_hold", "info"])
        #expect(received.first?["rsc_hold"] == "all")
        let log = String(decoding: readSmallFile(directory + "/log") ?? [], as: UTF8.self)
        #expect(log.contains("Bad message on the FIFO"))
    }
}
