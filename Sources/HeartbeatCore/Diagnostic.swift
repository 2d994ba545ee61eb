/// One finding about a configuration file, printed as `FILE:LINE: error|warning: message` plus a hint.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case error, warning }

    public var severity: Severity
    public var file: String
    /// 1-based; 0 when the finding is about the file as a whole.
    public var line: Int
    public var message: String
    /// How to fix it, in the admin's words.
    public var hint: String?

    public init(_ severity: Severity, file: String, line: Int, _ message: String, hint: String? = nil) {
        self.severity = severity
        self.file = file
        self.line = line
        self.message = message
        self.hint = hint
    }

    public var description: String {
        let location = line > 0 ? "\(file):\(line)" : file
        var text = "\(location): \(severity.rawValue): \(message)"
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }
}

extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
