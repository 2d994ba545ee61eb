import Glibc
import HeartbeatCore

/// Writes log lines in 3.0.6's file format (`Mon DD HH:MM:SS host heartbeat: [pid]: LEVEL: text`)
/// to the log file, the debug file, syslog and (in the foreground) stderr.
/// Lines about hostile or broken input are logged with `rateLimited: true`: repeats of the same
/// line are held back for ten seconds and then summarised with a count, so a flood of bad packets
/// cannot fill the disk. State changes are never held back.
public final class Logger {
    public struct Destinations: Sendable {
        public var logFile: String?
        public var debugFile: String?
        /// A syslog facility code (e.g. `LOG_DAEMON`), or nil for none.
        public var syslogFacility: Int32?
        public var toStderr: Bool
        public var debugLevel: Int

        public init(logFile: String? = nil, debugFile: String? = nil, syslogFacility: Int32? = nil,
                    toStderr: Bool = false, debugLevel: Int = 0) {
            self.logFile = logFile
            self.debugFile = debugFile
            self.syslogFacility = syslogFacility
            self.toStderr = toStderr
            self.debugLevel = debugLevel
        }
    }

    public var destinations: Destinations
    private let program: String
    private let hostName: String
    private var suppressed: [String: (firstSeen: Int64, count: Int, level: LogLevel)] = [:]
    private let repeatWindowNanoseconds: Int64 = 10_000_000_000
    private static let maxTrackedRepeats = 256

    public init(program: String = "heartbeat", destinations: Destinations) {
        self.program = program
        self.destinations = destinations
        var name = utsname()
        uname(&name)
        hostName = withUnsafeBytes(of: &name.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if let facility = destinations.syslogFacility {
            openlog(nil, LOG_PID, facility)
        }
    }

    public func log(_ level: LogLevel, _ text: String, rateLimited: Bool = false) {
        if level == .debug && destinations.debugLevel == 0 { return }
        guard rateLimited else {
            write(level, text)
            return
        }
        let now = Instant(nanoseconds: monotonicNanoseconds())
        if let held = suppressed[text] {
            if now.nanoseconds - held.firstSeen < repeatWindowNanoseconds {
                suppressed[text] = (held.firstSeen, held.count + 1, level)
                return
            }
            suppressed[text] = nil
            if held.count > 0 { write(held.level, "last message repeated \(held.count) times: \(text)") }
        }
        if suppressed.count >= Self.maxTrackedRepeats { flushRepeats(force: true) }
        suppressed[text] = (now.nanoseconds, 0, level)
        write(level, text)
    }

    /// Emits the counts of lines held back whose window has passed (call now and then).
    public func flushRepeats(force: Bool = false) {
        let now = monotonicNanoseconds()
        for (text, held) in suppressed where force || now - held.firstSeen >= repeatWindowNanoseconds {
            if held.count > 0 { write(held.level, "last message repeated \(held.count) times: \(text)") }
            suppressed[text] = nil
        }
    }

    /// Script output: 3.0.6 appends it to the debug file whatever the debug level (spec §6.2).
    public func toDebugFile(_ text: String) {
        guard let file = destinations.debugFile else { return }
        append("\(timestamp()) \(hostName) \(program): [\(getpid())]: debug: \(text)\n", to: file)
    }

    private func write(_ level: LogLevel, _ text: String) {
        let line = "\(timestamp()) \(hostName) \(program): [\(getpid())]: \(level.word): \(text)\n"
        if level != .debug, let file = destinations.logFile { append(line, to: file) }
        if let file = destinations.debugFile { append(line, to: file) }
        if destinations.toStderr { writeAll(line, to: STDERR_FILENO) }
        if let _ = destinations.syslogFacility {
            let priority: Int32 = switch level {
            case .critical: LOG_CRIT
            case .error: LOG_ERR
            case .warning: LOG_WARNING
            case .notice: LOG_NOTICE
            case .info: LOG_INFO
            case .debug: LOG_DEBUG
            }
            "\(level.word): \(text)".withCString { message in
                "%s".withCString { format in vsyslogString(priority, format, message) }
            }
        }
    }

    private func append(_ line: String, to path: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        writeAll(line, to: fd)
        close(fd)
    }

    private func timestamp() -> String {
        var seconds = time(nil)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        _ = strftime(&buffer, buffer.count, "%b %d %H:%M:%S", &parts)
        return string(fromCString: buffer)
    }
}

private func vsyslogString(_ priority: Int32, _ format: UnsafePointer<CChar>, _ message: UnsafePointer<CChar>) {
    withVaList([message]) { vsyslog(priority, format, $0) }
}

/// Writes the whole string to a descriptor (short writes retried, errors ignored: logging never stops the daemon).
func writeAll(_ text: String, to fd: Int32) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written <= 0 { return }
        bytes = bytes.dropFirst(written)
    }
}

func monotonicNanoseconds() -> Int64 { EventLoop.now().nanoseconds }
