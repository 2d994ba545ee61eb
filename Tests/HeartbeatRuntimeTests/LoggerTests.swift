import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

@Suite struct LoggerTests {
    @Test func floodsCollapseIntoOneLineWithACountButStateChangesAreNeverHeldBack() throws {
        var template = Array("/tmp/hb-log-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let logger = Logger(destinations: .init(logFile: directory + "/ha-log", debugFile: directory + "/ha-debug"))
        for _ in 0..<500 { logger.log(.error, "Rejected packet on eth0: auth-failed", rateLimited: true) }
        logger.log(.warning, "node node2: is dead")
        logger.log(.warning, "node node2: is dead")
        logger.flushRepeats(force: true)
        logger.toDebugFile("Dummy web start: started")
        let log = String(decoding: readSmallFile(directory + "/ha-log") ?? [], as: UTF8.self)
        let lines = log.split(separator: "\n")
        #expect(lines.count == 4, "\(log)")
        #expect(lines.filter { $0.hasSuffix("ERROR: Rejected packet on eth0: auth-failed") }.count == 1)
        #expect(lines.filter { $0.hasSuffix("WARN: node node2: is dead") }.count == 2)
        #expect(lines.last?.hasSuffix("ERROR: last message repeated 499 times: Rejected packet on eth0: auth-failed") == true)
        // 3.0.6's line format: "Mon DD HH:MM:SS host heartbeat: [pid]: LEVEL: text".
        #expect(lines.first?.contains(" heartbeat: [\(getpid())]: ERROR: ") == true)
        let debug = String(decoding: readSmallFile(directory + "/ha-debug") ?? [], as: UTF8.self)
        #expect(debug.contains("debug: Dummy web start: started"))
    }
}
