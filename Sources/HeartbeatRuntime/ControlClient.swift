import Glibc
import HeartbeatCore

/// The tools' side of the control socket: connect, send one request, read the reply to end of
/// stream, all within one overall timeout (5 s, like the alarm every `cl_status` run sets, spec §9).
/// Blocking is fine here: this runs in short-lived command-line tools, never in the daemon.
public struct ControlClient: Sendable {
    public static let defaultTimeout: Duration = .seconds(5)

    public var path: String
    public var timeout: Duration

    public init(path: String, timeout: Duration = ControlClient.defaultTimeout) {
        self.path = path
        self.timeout = timeout
    }

    /// The socket the daemon serves, from `HA_RUN_DIR` (default `/run/heartbeat/control`).
    public static func defaultPath() -> String {
        let runDir = getenv("HA_RUN_DIR").map { String(cString: $0) } ?? ""
        return (runDir.isEmpty ? "/run/heartbeat" : runDir) + "/control"
    }

    /// Sends `request` and returns the daemon's reply, `ok` or `error`.
    public func send(_ request: ControlRequest) throws(ControlClientError) -> ControlResponse {
        let deadline = EventLoop.now() + timeout
        let fd = try connect(deadline: deadline)
        defer { close(fd) }
        try write(Array(request.line.utf8), to: fd, deadline: deadline)
        let reply = try readToEnd(fd, deadline: deadline)
        do {
            return try ControlResponse(decoding: reply)
        } catch {
            throw .protocolError(error.description)
        }
    }

    /// Fetches the daemon's `StatusReport`. An `error` reply means the daemon refused us.
    public func fetchStatus() throws(ControlClientError) -> StatusReport {
        switch try send(.status) {
        case .ok(let payload):
            do {
                return try StatusReport(decoding: payload)
            } catch {
                throw .protocolError(error.description)
            }
        case .error(let message):
            throw .refused(message)
        }
    }

    private func connect(deadline: Instant) throws(ControlClientError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw .notRunning("control socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .failed("socket: \(errorText(errno))") }
        // A daemon whose listen queue is full would block connect; bound it by the deadline.
        setTimeout(fd, SO_SNDTIMEO, until: deadline)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            switch code {
            // No socket file, or a file left behind by a daemon that is gone.
            case ENOENT, ECONNREFUSED, ENOTDIR: throw .notRunning("\(path): \(errorText(code))")
            case EACCES, EPERM: throw .refused("\(path): \(errorText(code))")
            case EAGAIN, EINPROGRESS, ETIMEDOUT: throw .timedOut
            default: throw .failed("connect \(path): \(errorText(code))")
            }
        }
        return fd
    }

    private func write(_ bytes: [UInt8], to fd: Int32, deadline: Instant) throws(ControlClientError) {
        var rest = bytes[...]
        while !rest.isEmpty {
            setTimeout(fd, SO_SNDTIMEO, until: deadline)
            let written = rest.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw .timedOut }
                // The server may have answered and hung up before reading us (too many clients):
                // its reply is still queued for us, so go and read it.
                if errno == EPIPE || errno == ECONNRESET { return }
                throw .refused("write: \(errorText(errno))")
            }
            rest = rest.dropFirst(written)
        }
    }

    private func readToEnd(_ fd: Int32, deadline: Instant) throws(ControlClientError) -> [UInt8] {
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let remaining = (deadline - EventLoop.now()).milliseconds
            guard remaining > 0 else { throw .timedOut }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, Int64(Int32.max))))
            if ready < 0 {
                if errno == EINTR { continue }
                throw .failed("poll: \(errorText(errno))")
            }
            if ready == 0 { throw .timedOut }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                // A server that closes with our request unread resets the connection after its
                // reply, which we have by then (the kernel delivers queued data before the reset).
                if errno == ECONNRESET && !reply.isEmpty { return reply }
                throw .refused("read: \(errorText(errno))")
            }
            if count == 0 { return reply }
            reply += chunk[0..<count]
            guard reply.count <= ControlResponse.maxBytes else { throw .protocolError("reply larger than \(ControlResponse.maxBytes) bytes") }
        }
    }

    private func setTimeout(_ fd: Int32, _ option: Int32, until deadline: Instant) {
        let remaining = max((deadline - EventLoop.now()).nanoseconds, 1000)
        var value = timeval(tv_sec: Int(remaining / 1_000_000_000), tv_usec: Int(remaining % 1_000_000_000 / 1000))
        _ = setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writes text to a descriptor (for the tools' stdout/stderr; short writes retried).
    public static func write(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }
}

/// Why a control request got no answer. The cases are what the tools tell apart (spec §9):
/// not running (exit 1, "stopped"), refused (running but will not serve us), timed out (exit 12).
public enum ControlClientError: Error, Equatable, Sendable, CustomStringConvertible {
    case notRunning(String)
    case refused(String)
    case timedOut
    /// The daemon answered something we cannot read (version skew or a bug).
    case protocolError(String)
    case failed(String)

    public var description: String {
        switch self {
        case .notRunning(let why): "heartbeat is not running (\(why))"
        case .refused(let why): "heartbeat refused the request: \(why)"
        case .timedOut: "no reply from heartbeat within the timeout"
        case .protocolError(let why): "unreadable reply from heartbeat: \(why)"
        case .failed(let why): why
        }
    }
}

private func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
