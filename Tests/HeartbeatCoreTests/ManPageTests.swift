import Foundation
import Testing
@testable import HeartbeatCore

/// man/ha.cf.5 documents every directive the parser accepts, each as a `.TP` entry.
@Suite struct ManPageTests {
    static let manDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("man")

    /// The first word of the line after each `.TP`: `.B name` or `.BI name " args"`.
    static func entries(_ page: String) throws -> Set<String> {
        let text = try String(contentsOf: manDirectory.appendingPathComponent(page), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var names: Set<String> = []
        for (index, line) in lines.enumerated() where line == ".TP" && index + 1 < lines.count {
            let words = lines[index + 1].split(separator: " ")
            // Directive names only: the FILES section's paths are entries too.
            if words.count > 1, words[0] == ".B" || words[0] == ".BI", !words[1].hasPrefix("/") { names.insert(String(words[1])) }
        }
        return names
    }

    @Test func everyHaCfDirectiveIsDocumented() throws {
        let documented = try Self.entries("ha.cf.5")
        let accepted = Set(HaCfParser.directives.keys)
        #expect(accepted.subtracting(documented).sorted() == [], "directives missing from man/ha.cf.5")
        #expect(documented.subtracting(accepted).sorted() == [], "man/ha.cf.5 documents directives the parser rejects")
    }
}
