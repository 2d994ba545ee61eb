import Foundation
import Testing
@testable import HeartbeatCore

/// `man/ha.cf.5` and `docs/configuration.md` document exactly the directives of `HaCfDirective.all`.
@Suite struct DirectiveDocsTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directives = Set(HaCfDirective.all.map(\.name))

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The first word of the line after each `.TP`: `.B name` or `.BI name " args"`.
    static func manEntries(_ text: String) -> Set<String> {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var names: Set<String> = []
        for (index, line) in lines.enumerated() where line == ".TP" && index + 1 < lines.count {
            let words = lines[index + 1].split(separator: " ")
            // Directive names only: the FILES section's paths are entries too.
            if words.count > 1, words[0] == ".B" || words[0] == ".BI", !words[1].hasPrefix("/") { names.insert(String(words[1])) }
        }
        return names
    }

    /// The directive index of `docs/configuration.md`, one row per directive in the table's order.
    static var index: String {
        HaCfDirective.all.map { directive in
            let known = directive.knownTo306 ? "yes" : "no (ours)"
            let dashD = directive.dashD.map { "`\($0.value)`" } ?? "—"
            return "| `\(directive.name)` | \(known) | \(dashD) | \(directive.summary) |\n"
        }.joined()
    }

    @Test func manPageHasAnEntryForEveryDirective() throws {
        let documented = Self.manEntries(try Self.read("man/ha.cf.5"))
        #expect(Self.directives.subtracting(documented).sorted() == [], "directives missing from man/ha.cf.5")
        #expect(documented.subtracting(Self.directives).sorted() == [], "man/ha.cf.5 documents directives the parser rejects")
    }

    /// The index rows must be the table's, in its order: no directive missing, none extra.
    @Test func configurationGuideIndexIsTheTable() throws {
        let guide = try Self.read("docs/configuration.md")
        let section = guide.components(separatedBy: "### Directive index\n").dropFirst().first?
            .components(separatedBy: "\n#").first ?? ""
        let rows = section.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { $0 + "\n" }.joined()
        #expect(rows == Self.index, "docs/configuration.md's directive index should have these rows:\n\(Self.index)")
    }

    @Test func extensionsAreMarkedAsSuchInTheManPage() throws {
        let page = try Self.read("man/ha.cf.5")
        for directive in HaCfDirective.all where !directive.knownTo306 {
            let entry = page.components(separatedBy: ".BI \(directive.name) ").dropFirst().first?.components(separatedBy: ".TP").first
            #expect(entry?.contains("This directive is an extension") == true, "\(directive.name) is not marked as an extension")
        }
    }
}
