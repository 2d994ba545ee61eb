import Foundation
import Testing
@testable import HeartbeatCore

/// Replays every golden scenario (`Fixtures/resources/*.golden`) and compares the whole transcript.
@Suite struct ResourceScenarioTests {
    @Test(arguments: ResourceScenario.fileNames())
    func scenario(_ name: String) throws {
        let url = ResourceScenario.directory.appendingPathComponent(name)
        let expected = try String(contentsOf: url, encoding: .utf8)
        let actual = try ResourceScenario.transcript(of: expected)
        if actual != expected, ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(actual == expected, "\(name) differs:\n\(ResourceScenario.diff(expected: expected, actual: actual))")
    }

    @Test func thereAreScenarios() {
        #expect(ResourceScenario.fileNames().count >= 20)
    }
}
