import Glibc
import HeartbeatCore

/// systemd's notification protocol (sd_notify(3)) without libsystemd: `KEY=value` lines in one
/// datagram to the AF_UNIX socket named by `NOTIFY_SOCKET` (a leading `@` names an abstract
/// socket). Under `Type=notify` the daemon says READY=1, STATUS=…, STOPPING=1, and WATCHDOG=1
/// every half `WatchdogSec` when systemd asks for it.
public final class SystemdNotifier {
    private let fd: Int32
    private var address = sockaddr_un()
    private var addressLength: socklen_t = 0
    /// Half of `WATCHDOG_USEC` when the watchdog is meant for this process; nil otherwise.
    public let watchdogInterval: Duration?
    private var lastStatus: String?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID`, then removes them from the
    /// environment so resource scripts do not inherit them. Nil when not started by systemd
    /// (or the socket name is unusable).
    public init?(environment: [String: String], pid: Int32) {
        guard let name = environment["NOTIFY_SOCKET"], let result = Self.address(for: name) else { return nil }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        fd = descriptor
        (address, addressLength) = result
        watchdogInterval = Self.watchdogInterval(
            microseconds: environment["WATCHDOG_USEC"], forPID: environment["WATCHDOG_PID"], pid: pid)
    }

    /// The notifier for this process, from its environment.
    public static func fromProcess() -> SystemdNotifier? {
        var environment: [String: String] = [:]
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
            unsetenv(name)
        }
        return SystemdNotifier(environment: environment, pid: getpid())
    }

    deinit { close(fd) }

    /// An absolute path, or `@name` for the abstract namespace (a leading NUL, no terminator).
    static func address(for name: String) -> (sockaddr_un, socklen_t)? {
        var bytes = Array(name.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "/") || first == UInt8(ascii: "@") else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let abstract = first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        guard bytes.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            if !abstract { raw[bytes.count] = 0 }
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        return (address, socklen_t(pathOffset + bytes.count + (abstract ? 0 : 1)))
    }

    /// systemd expects a ping at least every `WATCHDOG_USEC`; half of it leaves room for a busy machine.
    static func watchdogInterval(microseconds: String?, forPID: String?, pid: Int32) -> Duration? {
        guard let text = microseconds, let value = Int64(text), value > 0 else { return nil }
        if let forPID, Int32(forPID) != pid { return nil }
        return .microseconds(value / 2)
    }

    /// Sends one datagram; never blocks the event loop (a full socket buffer drops the message).
    @discardableResult
    public func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL), socketAddress, addressLength) }
            }
        }
        return sent == bytes.count
    }

    /// Sends STATUS= only when the text changed.
    public func status(_ text: String) {
        guard text != lastStatus else { return }
        lastStatus = text
        send("STATUS=\(text)")
    }
}

extension StatusReport {
    /// One line for `systemctl status`: who is up and which groups this node holds.
    public var systemdStatus: String {
        let members = nodes.filter { $0.type == .normal }
        // This node is up while it can say so, whatever its membership status reads at start.
        let up = members.filter { $0.name == localNode || ($0.status.isAlive && $0.status != .initial) }.count
        let held = groups.filter { $0.owner == localNode }.map(\.key)
        var text = "\(up) of \(members.count) nodes up, groups held: " + (held.isEmpty ? "none" : held.joined(separator: " "))
        if resources != .none { text += ", resources \(resources.rawValue)" }
        return text
    }
}
