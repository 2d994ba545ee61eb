/// Reads the `monitors` file (our extension, see monitors(5)): one check per line,
/// `GROUP CHECK [option=value …]`, `#` comments. Every problem is reported with its line and a hint;
/// a line with an error yields no check.
///
/// Groups are resolved against haresources here, so every `MonitorSpec.group` is a group key.
public enum MonitorsParser {
    public static func parse(_ text: String, file: String, groups: [ResourceGroup]) -> ([MonitorSpec], [Diagnostic]) {
        var reader = Reader(file: file, groups: groups)
        let (text, notes) = ConfigText.normalized(text, file: file)
        reader.diagnostics = notes
        for (index, raw) in HaCfParser.splitLines(text).enumerated() {
            reader.read(raw, line: index + 1)
        }
        return reader.resolve()
    }

    /// The option names a line may carry.
    static let optionNames = [
        "interval", "timeout", "fall", "rise", "start_delay", "restarts", "window", "holddown", "on_fail", "name",
        "args", "arg", "expect", "insecure",
    ]

    /// The longest a time option may be; longer is a typo (and keeps every sum of times far from overflow).
    static let longestTime = Duration.seconds(30 * 24 * 3600)
    /// Below this a check would start more than ten processes or connections a second.
    static let shortestInterval = Duration.milliseconds(100)
    /// `fall`, `rise` and `restarts` above this are surely typos.
    static let largestCount = 1000
    /// Above this they are legal, but the group waits very long before anything is done.
    static let sensibleCount = 10

    /// The `monitors` time syntax: ha.cf's (`10` = seconds, `500ms`, `2s`) plus `m`/`min` and `h`.
    public static func duration(_ text: String) -> Duration? {
        if let time = ConfigValues.time(text) { return time.duration }
        for (suffix, seconds) in [("min", 60), ("m", 60), ("h", 3600)] where text.lowercased().hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                let time = ConfigValues.time(String(number))
            else { return nil }
            return time.duration * seconds
        }
        return nil
    }

    /// Splits a line into words at spaces and tabs. Double quotes keep spaces inside a word and are
    /// removed (`args="-h db1"` is the word `args=-h db1`); there are no escapes. A `#` starting a
    /// word outside quotes starts a comment. Nil when a quote is not closed.
    static func words(_ line: Substring) -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quoted = false
        for character in line {
            if quoted {
                if character == "\"" { quoted = false } else { word.append(character) }
            } else if character == "\"" {
                quoted = true
                inWord = true
            } else if character == " " || character == "\t" || character == "\r" {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else if character == "#", !inWord {
                break
            } else {
                word.append(character)
                inWord = true
            }
        }
        if quoted { return nil }
        if inWord { words.append(word) }
        return words
    }

    /// The candidate closest to `word` by edit distance (ignoring case), if it is close enough to be
    /// a likely typo of it.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let target = Array(word.lowercased())
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(target, Array(candidate.lowercased()))
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best, best.distance <= max(2, target.count / 3) else { return nil }
        return best.candidate
    }

    /// Levenshtein distance: insertions, deletions and substitutions.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// How a group may be named in `monitors` and in `hbctl monitor reset`: its key, any resource token
/// that belongs to this group only, or an alias given with `name=`. Names match ignoring case, as
/// haresources keys must differ ignoring case.
public struct MonitorGroupNames: Sendable {
    public enum Resolution: Sendable, Hashable {
        case group(key: String)
        /// A resource token of several groups; their keys.
        case ambiguous([String])
        /// No such name; the closest known name if it looks like a typo of it.
        case unknown(suggestion: String?)
    }

    /// Keys in haresources order (the first suggestion wins a tie).
    let keys: [String]
    /// Lower-cased token → keys of the groups having it.
    let tokens: [String: [String]]
    /// Lower-cased alias → the alias as written and its group's key.
    var aliases: [String: (name: String, key: String)] = [:]

    public init(groups: [ResourceGroup]) {
        var tokens: [String: [String]] = [:]
        for group in groups {
            for token in Set(group.resources.map { $0.token.lowercased() }) { tokens[token, default: []].append(group.key) }
        }
        keys = groups.map(\.key)
        self.tokens = tokens
    }

    /// The groups and the aliases of `monitors`: `hbctl monitor reset NAME` resolves with these.
    public init(groups: [ResourceGroup], monitors: [MonitorSpec]) {
        self.init(groups: groups)
        for spec in monitors {
            if let alias = spec.alias { add(alias: alias, for: spec.group) }
        }
    }

    public func resolve(_ name: String) -> Resolution {
        let lower = name.lowercased()
        if let key = keys.first(where: { $0.lowercased() == lower }) { return .group(key: key) }
        if let groups = tokens[lower] { return groups.count == 1 ? .group(key: groups[0]) : .ambiguous(groups) }
        if let alias = aliases[lower] { return .group(key: alias.key) }
        let known = keys + tokens.keys.sorted() + aliases.values.map(\.name).sorted()
        return .unknown(suggestion: MonitorsParser.closest(to: name, in: known))
    }

    /// The group's alias as written, if it has one.
    public func alias(of key: String) -> String? { aliases.values.first { $0.key == key }?.name }

    /// Another group than `key` that `name` names as a key or resource: such an alias would be ambiguous.
    func otherGroup(named name: String, than key: String) -> String? {
        let lower = name.lowercased()
        if let other = keys.first(where: { $0.lowercased() == lower && $0 != key }) { return other }
        return tokens[lower]?.first { $0 != key }
    }

    mutating func add(alias: String, for key: String) { aliases[alias.lowercased()] = (alias, key) }
}

/// The line-by-line state of one parse.
private struct Reader {
    /// A line as read; its group is resolved once every alias is known, also for a line with
    /// errors (so an unknown group is reported with them).
    struct Pending {
        var groupName: String
        var line: Int
        var alias: String?
        /// Nil when the line has an error.
        var spec: MonitorSpec?
    }

    let file: String
    let groups: [ResourceGroup]
    var diagnostics: [Diagnostic] = []
    var pending: [Pending] = []

    init(file: String, groups: [ResourceGroup]) {
        self.file = file
        self.groups = groups
    }

    mutating func error(_ line: Int, _ message: String, _ hint: String) {
        diagnostics.append(Diagnostic(.error, file: file, line: line, message, hint: hint))
    }

    mutating func warning(_ line: Int, _ message: String, _ hint: String) {
        diagnostics.append(Diagnostic(.warning, file: file, line: line, message, hint: hint))
    }

    static let usage = "write 'GROUP CHECK [option=value …]', e.g. 'web http://10.0.0.5/health interval=5s'"

    mutating func read(_ raw: Substring, line: Int) {
        guard let words = MonitorsParser.words(raw) else {
            error(line, "a double quote is not closed", "close it: quotes surround a value with spaces, as in args=\"-h db1\"")
            return
        }
        guard let groupName = words.first else { return }
        guard words.count >= 2 else {
            error(line, "[\(groupName)] names no check", Self.usage)
            return
        }
        var alias: String?
        let spec = check(words[1], line: line).flatMap { options(words.dropFirst(2), check: $0, line: line, alias: &alias) }
        pending.append(Pending(groupName: groupName, line: line, alias: alias, spec: spec))
    }

    /// The line's options applied to the defaults; nil after an error.
    mutating func options(_ words: ArraySlice<String>, check: MonitorSpec.Check, line: Int, alias: inout String?) -> MonitorSpec? {
        var spec = MonitorSpec(group: "", check: check, line: line)
        var written: Set<String> = []
        var good = true
        var arguments: [String] = []
        for word in words {
            let name = String(word.prefix { $0 != "=" })
            let hasValue = name.count < word.count
            let value = String(word.dropFirst(name.count + 1))
            guard MonitorsParser.optionNames.contains(name) else {
                let suggestion = MonitorsParser.closest(to: name, in: MonitorsParser.optionNames).map { "did you mean \($0)? " } ?? ""
                error(line, "unknown option [\(word)]", suggestion + "options are " + MonitorsParser.optionNames.joined(separator: ", "))
                good = false
                continue
            }
            if name == "insecure" {
                if hasValue {
                    error(line, "option insecure takes no value", "write 'insecure' alone")
                    good = false
                    continue
                }
            } else if !hasValue || (value.isEmpty && name != "arg") {
                error(line, "option \(name) needs a value", "write \(name)=VALUE (see monitors(5))")
                good = false
                continue
            }
            if name != "arg", name != "args", !written.insert(name).inserted {
                error(line, "option \(name) is given twice", "keep one \(name)= on the line")
                good = false
                continue
            }
            switch name {
            case "interval": good = time(value, name, line, into: &spec.interval) && good
            case "timeout": good = time(value, name, line, into: &spec.timeout) && good
            case "start_delay": good = time(value, name, line, into: &spec.startDelay) && good
            case "window": good = time(value, name, line, into: &spec.window) && good
            case "holddown": good = time(value, name, line, into: &spec.holddown) && good
            case "fall": good = count(value, name, line, least: 1, into: &spec.fall) && good
            case "rise": good = count(value, name, line, least: 1, into: &spec.rise) && good
            case "restarts": good = count(value, name, line, least: 0, into: &spec.restarts) && good
            case "on_fail":
                if let onFail = MonitorSpec.OnFail(rawValue: value) {
                    spec.onFail = onFail
                } else {
                    error(line, "invalid on_fail [\(value)]",
                          "write on_fail=" + MonitorSpec.OnFail.allCases.map(\.rawValue).joined(separator: "|"))
                    good = false
                }
            case "name":
                if Self.isAlias(value) {
                    alias = value
                } else {
                    error(line, "invalid name [\(value)]",
                          "a name is letters, digits, '_', '-' and '.', starting with a letter or digit, at most 64 characters")
                    good = false
                }
            case "args": arguments += value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            case "arg": arguments.append(value)
            case "expect": good = expectation(value, line, into: &spec.check) && good
            default: good = insecure(line, into: &spec.check) && good
            }
        }
        if !arguments.isEmpty {
            if case .exec(let path, _) = spec.check {
                spec.check = .exec(path: path, arguments: arguments)
            } else {
                error(line, "args/arg apply to exec: checks only", "remove them, or use an exec:/path check")
                good = false
            }
        }
        guard good, checkRanges(spec, written) else { return nil }
        return spec
    }

    // MARK: checks

    mutating func check(_ word: String, line: Int) -> MonitorSpec.Check? {
        let checks = "write status, exec:/path, tcp:HOST:PORT, http://HOST[:PORT]/PATH or https://…"
        if word == "status" { return .status }
        if word.hasPrefix("exec:") {
            let path = String(word.dropFirst(5))
            guard path.hasPrefix("/") else {
                error(line, "exec: needs an absolute path, not [\(path)]", "write exec:/full/path/to/program")
                return nil
            }
            return .exec(path: path, arguments: [])
        }
        if word.hasPrefix("tcp:") {
            let target = word.dropFirst(4)
            guard let (host, port) = hostAndPort(target, line: line, word: word, needsPort: true) else { return nil }
            guard MonitorHost.isAddress(host) else {
                error(line, "tcp: needs an IP address, not the name [\(host)]",
                      "write the address (127.0.0.1 for this machine): the daemon does not wait for DNS")
                return nil
            }
            return .tcp(host: host, port: port ?? 0)
        }
        for scheme in ["http://", "https://"] where word.lowercased().hasPrefix(scheme) {
            guard url(word, scheme: scheme, line: line) else { return nil }
            return .http(url: word, expect: .success, verifyCertificate: true)
        }
        if word.hasPrefix("/") {
            error(line, "unknown check [\(word)]", "write exec:\(word) to run a program")
        } else {
            error(line, "unknown check [\(word)]", checks)
        }
        return nil
    }

    /// `HOST:PORT` or `[IPv6]:PORT`; the port is optional unless `needsPort`.
    mutating func hostAndPort(_ text: Substring, line: Int, word: String, needsPort: Bool) -> (String, UInt16?)? {
        var host: Substring
        var rest: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                error(line, "[\(word)]: an IPv6 address's '[' is not closed", "write [fd00::1]:80")
                return nil
            }
            host = text[text.index(after: text.startIndex)..<close]
            rest = text[text.index(after: close)...]
            guard ConfigValues.ipv6(String(host.prefix { $0 != "%" })) != nil else {
                error(line, "[\(word)]: invalid IPv6 address [\(host)]", "write an IPv6 address inside the brackets, e.g. [fd00::1]")
                return nil
            }
        } else {
            host = text.prefix { $0 != ":" }
            rest = text.dropFirst(host.count)
            if rest.dropFirst().contains(":") {
                error(line, "[\(word)]: an IPv6 address must be in brackets", "write it as [fd00::1]:80")
                return nil
            }
        }
        guard !host.isEmpty else {
            error(line, "[\(word)] names no host", needsPort ? "write tcp:HOST:PORT, e.g. tcp:127.0.0.1:3306" : "write http://HOST/PATH")
            return nil
        }
        if rest.isEmpty, !needsPort { return (String(host), nil) }
        guard rest.hasPrefix(":"), let port = ConfigValues.integer(String(rest.dropFirst())), (1...65535).contains(port) else {
            error(line, "[\(word)]: invalid or missing port", "give a port from 1 to 65535 after the host, e.g. \(host):80")
            return nil
        }
        return (String(host), UInt16(port))
    }

    mutating func url(_ word: String, scheme: String, line: Int) -> Bool {
        guard word.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
            error(line, "[\(word)]: a URL must be printable ASCII", "percent-encode other characters (%20 for a space)")
            return false
        }
        let afterScheme = word.dropFirst(scheme.count)
        var authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard let (host, _) = hostAndPort(authority, line: line, word: word, needsPort: false) else { return false }
        // curl resolves https:// names in its own process, and certificates name hosts; plain http is
        // checked inside the daemon, which must not wait for DNS.
        if scheme == "http://", !MonitorHost.isAddress(host) {
            error(line, "http:// needs an IP address, not the name [\(host)]",
                  "write the address (127.0.0.1 for this machine): the daemon does not wait for DNS; https:// may use a name")
            return false
        }
        if !MonitorHost.isAddress(host), !host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) {
            error(line, "[\(word)]: invalid host name [\(host)]", "a host name is letters, digits, '-' and '.'")
            return false
        }
        return true
    }

    // MARK: option values

    mutating func time(_ value: String, _ name: String, _ line: Int, into target: inout Duration) -> Bool {
        guard let duration = MonitorsParser.duration(value) else {
            error(line, "invalid time [\(value)] for \(name)", "write seconds (10), or 500ms, 2s, 5m, 1h")
            return false
        }
        guard duration <= MonitorsParser.longestTime else {
            error(line, "\(name) [\(value)] is longer than 30 days", "write a shorter time, e.g. \(name)=1h")
            return false
        }
        target = duration
        return true
    }

    mutating func count(_ value: String, _ name: String, _ line: Int, least: Int, into target: inout Int) -> Bool {
        guard let number = ConfigValues.integer(value), number >= least, number <= MonitorsParser.largestCount else {
            error(line, "invalid \(name) [\(value)]", "write a whole number from \(least) to \(MonitorsParser.largestCount)")
            return false
        }
        target = number
        return true
    }

    mutating func expectation(_ value: String, _ line: Int, into check: inout MonitorSpec.Check) -> Bool {
        guard case .http(let url, _, let verify) = check else {
            error(line, "expect applies to http:// and https:// checks only", "remove it")
            return false
        }
        var expect = HTTPExpectation()
        for item in value.split(separator: ",", omittingEmptySubsequences: false) {
            let lower = item.lowercased()
            if lower.count == 3, lower.hasSuffix("xx"), let digit = lower.first?.wholeNumberValue, (1...5).contains(digit) {
                expect.classes.insert(digit)
            } else if let code = ConfigValues.integer(String(item)), (100...599).contains(code) {
                expect.codes.insert(code)
            } else {
                error(line, "invalid expect [\(value)]", "write status codes and classes separated by commas, e.g. expect=200 or expect=2xx,301")
                return false
            }
        }
        check = .http(url: url, expect: expect, verifyCertificate: verify)
        return true
    }

    mutating func insecure(_ line: Int, into check: inout MonitorSpec.Check) -> Bool {
        guard case .http(let url, let expect, _) = check, url.lowercased().hasPrefix("https://") else {
            error(line, "insecure applies to https:// checks only", "remove it")
            return false
        }
        check = .http(url: url, expect: expect, verifyCertificate: false)
        return true
    }

    static func isAlias(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber, name.count <= 64 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }
    }

    /// Errors for values that cannot work, warnings for values that work badly. False on an error.
    mutating func checkRanges(_ spec: MonitorSpec, _ written: Set<String>) -> Bool {
        let line = spec.line
        var good = true
        if spec.interval < MonitorsParser.shortestInterval {
            error(line, "interval [\(Self.text(spec.interval))] is shorter than 100ms", "check at most ten times a second, e.g. interval=1s")
            good = false
        }
        if spec.timeout == .zero {
            error(line, "timeout must be longer than 0", "give the check time to answer, e.g. timeout=2s")
            good = false
        }
        if spec.window == .zero {
            error(line, "window must be longer than 0", "failures are forgotten after window; the default is 1h")
            good = false
        }
        guard good else { return false }
        if spec.timeout >= spec.interval {
            warning(line, "timeout [\(Self.text(spec.timeout))] is not shorter than interval [\(Self.text(spec.interval))]: a slow check delays the next one",
                    "make timeout shorter than interval (timeout defaults to \(Self.text(MonitorSpec.defaultTimeout)))")
        }
        for (name, value) in [("fall", spec.fall), ("rise", spec.rise), ("restarts", spec.restarts)] where value > MonitorsParser.sensibleCount {
            warning(line, "\(name)=\(value) is unusually large: the group is acted on only after many checks",
                    "values from 1 to \(MonitorsParser.sensibleCount) are usual")
        }
        if written.contains("restarts"), spec.onFail != .restart {
            warning(line, "restarts has no effect with on_fail=\(spec.onFail.rawValue)", "remove restarts=, or use on_fail=restart")
        }
        if spec.onFail == .restart, spec.restarts > 0, spec.window < spec.interval * spec.fall {
            warning(line, "window [\(Self.text(spec.window))] is shorter than fall × interval [\(Self.text(spec.interval * spec.fall))]: each failure is forgotten before the next, so the group is restarted here forever and never moved",
                    "make window longer (the default is 1h)")
        }
        return true
    }

    static func text(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }

    // MARK: groups

    /// Registers the aliases (from lines that name their group otherwise), then resolves every line.
    mutating func resolve() -> ([MonitorSpec], [Diagnostic]) {
        var names = MonitorGroupNames(groups: groups)
        var aliasLines: [String: Int] = [:]
        var direct: [Int: String] = [:]
        for (index, entry) in pending.enumerated() {
            guard case .group(let key) = names.resolve(entry.groupName) else { continue }
            direct[index] = key
            guard let alias = entry.alias else { continue }
            if let other = names.otherGroup(named: alias, than: key) {
                error(entry.line, "name=\(alias) is already a name of group [\(other)]", "choose a name no group or resource has")
            } else if let earlier = names.alias(of: key), earlier != alias.lowercased() {
                error(entry.line, "group [\(key)] is already named \(earlier) (line \(aliasLines[key] ?? 0))", "give a group one name=")
            } else if case .group(let owner) = names.resolve(alias), owner != key {
                error(entry.line, "name=\(alias) already names group [\(owner)] (line \(aliasLines[owner] ?? 0))", "choose another name")
            } else {
                names.add(alias: alias, for: key)
                aliasLines[key] = aliasLines[key] ?? entry.line
            }
        }

        var specs: [MonitorSpec] = []
        var seen: [String: [MonitorSpec.Check: Int]] = [:]
        for (index, entry) in pending.enumerated() {
            let line = entry.line
            let key: String
            switch direct[index].map({ .group(key: $0) }) ?? names.resolve(entry.groupName) {
            case .group(let found):
                key = found
            case .ambiguous(let keys):
                error(line, "[\(entry.groupName)] is a resource of several groups: \(keys.joined(separator: ", "))",
                      "name the group by its key (its first resource), or give it a name= on a line that does")
                continue
            case .unknown(let suggestion):
                let hint = groups.isEmpty
                    ? "haresources defines no groups; add the group there first"
                    : (suggestion.map { "did you mean \($0)? " } ?? "")
                        + "name a group by its key (first resource in haresources), one of its resources, or a name= alias"
                error(line, "unknown group [\(entry.groupName)]", hint)
                continue
            }
            if direct[index] == nil, let alias = entry.alias, let known = names.alias(of: key), known.lowercased() != alias.lowercased() {
                error(line, "group [\(key)] is already named \(known) (line \(aliasLines[key] ?? 0))", "give a group one name=")
                continue
            }
            guard var spec = entry.spec else { continue }
            spec.group = key
            spec.alias = names.alias(of: key)
            if let earlier = seen[key, default: [:]][spec.check] {
                warning(line, "this check of group [\(key)] repeats line \(earlier)", "remove one of the two lines")
            } else {
                seen[key, default: [:]][spec.check] = line
            }
            checkAddress(spec)
            specs.append(spec)
        }
        return (specs, diagnostics)
    }

    /// A tcp: or http(s):// check of an address the group does not bring up tests something that
    /// does not move with the group: after a move the check still runs, on the new node, against it.
    mutating func checkAddress(_ spec: MonitorSpec) {
        guard let host = spec.check.host, MonitorHost.isAddress(host), !MonitorHost.isLoopback(host),
            let group = groups.first(where: { $0.key == spec.group })
        else { return }
        let addresses = group.resources.compactMap { ServiceAddress(resource: $0)?.address }
        guard !addresses.contains(where: { MonitorHost.same($0, host) }) else { return }
        let brought = addresses.isEmpty ? "brings up no address" : "brings up \(addresses.joined(separator: ", "))"
        warning(spec.line, "group [\(spec.group)] \(brought), not [\(host)]: this check does not follow the group to another node",
                "check the group's own address, or 127.0.0.1 for a service on this machine")
    }
}

/// Hosts of tcp: and http(s):// checks.
enum MonitorHost {
    static func bytes(_ host: String) -> [UInt8]? {
        ConfigValues.ipv4(host).map { $0.map(UInt8.init) } ?? ConfigValues.ipv6(String(host.prefix { $0 != "%" }))
    }

    static func isAddress(_ host: String) -> Bool { bytes(host) != nil }

    static func isLoopback(_ host: String) -> Bool {
        guard let bytes = bytes(host) else { return false }
        return bytes.count == 4 ? bytes[0] == 127 : bytes == Array(repeating: 0, count: 15) + [1]
    }

    static func same(_ a: String, _ b: String) -> Bool { bytes(a).map { $0 == bytes(b) } ?? false }
}

extension MonitorSpec.Check {
    /// The host a tcp: or http(s):// check connects to.
    var host: String? {
        switch self {
        case .tcp(let host, _):
            return host
        case .http(let url, _, _):
            let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            var authority = parts[1].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            if authority.hasPrefix("[") { return String(authority.dropFirst().prefix { $0 != "]" }) }
            return String(authority.prefix { $0 != ":" })
        case .status, .exec:
            return nil
        }
    }
}
