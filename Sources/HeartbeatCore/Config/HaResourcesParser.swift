/// `haresources` as read, before the preferred nodes and scripts are checked against ha.cf and the
/// machine (that happens in `ClusterConfig.validate`).
public struct HaResources: Sendable {
    public var groups: [ResourceGroup] = []
    /// For each group, the physical line of each resource (groups may span continuation lines).
    public var resourceLines: [[Int]] = []
    public var diagnostics: [Diagnostic] = []

    public init() {}
}

/// Reads `haresources` (spec §6.1): one resource group per logical line, `node res1 res2 …`,
/// continued with a trailing `\`.
public enum HaResourcesParser {
    public static func parse(_ text: String, file: String) -> HaResources {
        var result = HaResources()
        let (text, notes) = ConfigText.normalized(text, file: file)
        result.diagnostics += notes
        var tokens: [(text: String, line: Int)] = []
        var groupLine = 0
        var continuing = false

        for (index, raw) in HaCfParser.splitLines(text).enumerated() {
            let number = index + 1
            var content = raw
            if let hash = raw.firstIndex(of: "#") {
                content = raw[..<hash]
                if continuing {
                    // 3.0.6 strips comments only on a group's first line; on a continuation line the
                    // words after `#` become resources there (spec §6.1, §10.13).
                    result.diagnostics.append(Diagnostic(
                        .warning, file: file, line: number,
                        "comment inside a continued group: we ignore it, but a 3.0.6 node would treat the words after '#' as resources",
                        hint: "move the comment to its own line above the group"))
                }
            }
            var trimmed = content
            while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
            let continues = trimmed.hasSuffix("\\")
            if continues { trimmed = trimmed.dropLast() }

            let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if !continuing { groupLine = number }
            tokens += words.map { (String($0), number) }
            continuing = continues
            if !continuing, !tokens.isEmpty {
                finishGroup(tokens, line: groupLine, file: file, into: &result)
                tokens = []
            }
        }
        if continuing {
            result.diagnostics.append(Diagnostic(
                .warning, file: file, line: groupLine, "the file ends inside a continued group (last line ends with '\\')",
                hint: "remove the trailing backslash"))
            if !tokens.isEmpty { finishGroup(tokens, line: groupLine, file: file, into: &result) }
        }
        checkKeysAreDistinct(&result, file: file)
        return result
    }

    static func finishGroup(_ tokens: [(text: String, line: Int)], line: Int, file: String, into result: inout HaResources) {
        let node = NodeName(tokens[0].text).rawValue
        guard tokens.count >= 2 else {
            result.diagnostics.append(Diagnostic(
                .error, file: file, line: line, "resource group for node [\(node)] lists no resources",
                hint: "write '\(node) <resource> [<resource>…]' or remove the line"))
            return
        }
        var resources: [Resource] = []
        var lines: [Int] = []
        for token in tokens.dropFirst() {
            guard let resource = resource(from: token.text) else {
                result.diagnostics.append(Diagnostic(
                    .error, file: file, line: token.line, "invalid resource [\(token.text)]",
                    hint: "write 'script' or 'script::arg1::arg2' (the script name cannot be empty or contain '/')"))
                continue
            }
            resources.append(resource)
            lines.append(token.line)
        }
        let key = tokens[1].text
        if let twin = result.groups.first(where: { $0.key.lowercased() == key.lowercased() }) {
            result.diagnostics.append(Diagnostic(
                .error, file: file, line: line, "resource group key [\(key)] is used twice (also on line \(twin.line))",
                hint: "the first resource of each group names the group; make it unique, or merge the groups"))
            return
        }
        guard resources.count == tokens.count - 1 else { return }
        result.groups.append(ResourceGroup(preferredNode: node, key: key, resources: resources, line: line))
        result.resourceLines.append(lines)
    }

    /// `script::arg1::arg2`, or the IP shorthand: a token that starts with a digit and matches the
    /// glob `[0-9]*.[0-9]*.[0-9]*.[0-9]*` means `IPaddr::<token>` (spec §6.1).
    public static func resource(from token: String) -> Resource? {
        let expanded = isIPShorthand(token) ? "IPaddr::" + token : token
        var pieces = expanded.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        let script = pieces.removeFirst()
        guard !script.isEmpty, !script.contains("/") else { return nil }
        // Arguments are additionally word-split by the shell, so empty pieces vanish.
        let arguments = pieces.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
        return Resource(script: script, arguments: arguments, token: token)
    }

    static func isIPShorthand(_ token: String) -> Bool {
        let characters = Array(token)
        guard let first = characters.first, first.isASCII, first.isNumber else { return false }
        var dotsBeforeDigits = 0
        for index in characters.indices.dropLast() where characters[index] == "." {
            let next = characters[index + 1]
            if next.isASCII && next.isNumber { dotsBeforeDigits += 1 }
        }
        return dotsBeforeDigits >= 3
    }

    /// 3.0.6 finds a group by searching every line for its key as a word, so a key that also
    /// appears inside another group makes it act on the wrong group (spec §6.1).
    static func checkKeysAreDistinct(_ result: inout HaResources, file: String) {
        for group in result.groups {
            for other in result.groups where other.line != group.line {
                let words = [other.preferredNode] + other.resources.map(\.token)
                if words.contains(where: { $0.lowercased() == group.key.lowercased() }) {
                    result.diagnostics.append(Diagnostic(
                        .warning, file: file, line: other.line,
                        "group key [\(group.key)] (line \(group.line)) also appears in this group; 3.0.6 scripts would confuse the two groups",
                        hint: "don't repeat a group's first resource in another group"))
                }
            }
        }
    }
}
