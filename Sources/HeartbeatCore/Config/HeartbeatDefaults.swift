/// The ha.cf directives that have a fixed default, as 3.0.6 lists them with `heartbeat -D`.
public enum HeartbeatDefaults {
    public struct Entry: Sendable, Hashable {
        public var directive: String
        public var value: String
        public var description: String
    }

    /// In 3.0.6's order: the directives of `HaCfDirective.all` that have a `heartbeat -D` row.
    public static let table: [Entry] = HaCfDirective.all.compactMap { directive in
        directive.dashD.map { Entry(directive: directive.name, value: $0.value, description: $0.description) }
    }

    /// Exactly what `heartbeat -D` prints: a header, a rule of dashes, one padded row per directive.
    /// Columns are as wide as their longest entry plus two spaces; the rule is capped at 80 dashes.
    public static var text: String {
        let nameWidth = max("Directive".count, table.map(\.directive.count).max() ?? 0)
        let valueWidth = max("Default".count, table.map(\.value.count).max() ?? 0)
        let descriptionWidth = max("Description".count, table.map(\.description.count).max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: width - text.count) }
        var lines = [pad("Directive", nameWidth) + "  " + pad("Default", valueWidth) + "  Description"]
        lines.append(String(repeating: "-", count: min(80, nameWidth + valueWidth + descriptionWidth + 4)))
        for entry in table {
            lines.append(pad(entry.directive, nameWidth) + "  " + pad(entry.value, valueWidth) + "  " + entry.description)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
