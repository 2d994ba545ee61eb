/// Heartbeat's log levels, worded as 3.0.6 writes them in its log files (spec §7.6).
public enum LogLevel: Int, Sendable, Hashable, Comparable, CaseIterable {
    case critical, error, warning, notice, info, debug

    /// The word 3.0.6 puts in a log line: `CRIT`, `ERROR`, `WARN`, `notice`, `info`, `debug`.
    public var word: String {
        switch self {
        case .critical: "CRIT"
        case .error: "ERROR"
        case .warning: "WARN"
        case .notice: "notice"
        case .info: "info"
        case .debug: "debug"
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}
