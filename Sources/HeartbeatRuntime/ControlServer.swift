import CSystem
import Glibc
import HeartbeatCore

/// The daemon's local control socket (`<rundir>/control`): `cl_status`, `hbctl status` and the
/// standby/takeover tools connect, send one request line and read one reply (see `ControlRequest`).
///
/// Everything runs on the daemon's `EventLoop` and nothing blocks: sockets are non-blocking,
/// each client has a bounded input buffer (one request line, 4 KiB), at most `maxClients` are
/// served at once, and a client is dropped `idleTimeout` (5 s) after it connected whether or not it
/// ever sent anything. Those deadlines are kept on the server's own timerfd, watched by the loop
/// like any socket, so the daemon's single loop deadline stays the daemon's and it needs to call
/// nothing on a timer. The loop only reports readability, so a reply too big for the socket buffer
/// is finished by polling on the same timer until the client's deadline.
///
/// Permissions: the socket is mode 0666 so that any user can read status; the peer's uid and gid
/// come from `SO_PEERCRED` and requests that change state are checked by `authorization` (root, or
/// an `apiauth` grant; see `ControlAuthorization`).
public final class ControlServer {
    public static let maxClients = 32
    public static let defaultIdleTimeout: Duration = .seconds(5)
    /// How often a reply that did not fit in the socket buffer is pushed again.
    static let writeRetry: Duration = .milliseconds(20)

    public let path: String
    /// A client is dropped this long after connecting (tests shorten it).
    public let idleTimeout: Duration
    /// Who may make state-changing requests; the daemon sets it from `apiauth` (root only until then).
    public var authorization = ControlAuthorization()
    private let loop: EventLoop
    private let report: () -> StatusReport
    private let perform: (ControlRequest, UInt32) -> Result<String, ControlError>
    private let listenFD: Int32
    private var listenToken: UInt64 = 0
    private let timerFD: Int32
    private var timerToken: UInt64 = 0
    private var clients: [Int32: Client] = [:]
    private var closed = false

    private struct Client {
        var token: UInt64?
        var peer: ControlAuthorization.Peer
        var input: [UInt8] = []
        /// The reply not yet written, once the request has been answered.
        var output: [UInt8]?
        var deadline: Instant
    }

    /// Binds `path` (replacing a stale socket left by a crashed daemon), listens and registers with
    /// `loop`. `report` is called for each `status` request; `perform` for every other request
    /// the peer is permitted to make, with the peer's uid.
    public init(path: String, loop: EventLoop, idleTimeout: Duration = ControlServer.defaultIdleTimeout,
                report: @escaping () -> StatusReport,
                perform: @escaping (ControlRequest, UInt32) -> Result<String, ControlError>) throws(SystemError) {
        self.path = path
        self.idleTimeout = idleTimeout
        self.loop = loop
        self.report = report
        self.perform = perform

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SystemError("control socket path too long: \(path)", code: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }

        listenFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard listenFD >= 0 else { throw SystemError("socket AF_UNIX") }
        timerFD = hb_timerfd_create()
        guard timerFD >= 0 else {
            let error = SystemError("timerfd_create")
            Glibc.close(listenFD)
            throw error
        }
        do throws(SystemError) {
            unlink(path)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard bound == 0 else { throw SystemError("bind \(path)") }
            // Mode 0666: anyone may read status; changes are checked per request with SO_PEERCRED.
            guard chmod(path, 0o666) == 0 else { throw SystemError("chmod \(path)") }
            guard listen(listenFD, Int32(Self.maxClients)) == 0 else { throw SystemError("listen \(path)") }
            listenToken = try loop.watch(listenFD) { [unowned self] in self.acceptClients() }
            timerToken = try loop.watch(timerFD) { [unowned self] in self.timerFired() }
        } catch {
            Glibc.close(listenFD)
            Glibc.close(timerFD)
            unlink(path)
            throw error
        }
    }

    deinit { close() }

    /// Stops serving: drops every client, closes the socket and removes its file.
    public func close() {
        guard !closed else { return }
        closed = true
        for fd in Array(clients.keys) { drop(fd) }
        loop.remove(listenFD, token: listenToken)
        loop.remove(timerFD, token: timerToken)
        Glibc.close(listenFD)
        Glibc.close(timerFD)
        unlink(path)
    }

    /// Clients currently connected (for tests and the daemon's own status).
    public var clientCount: Int { clients.count }

    // MARK: - Accepting

    private func acceptClients() {
        let now = EventLoop.now()
        expire(now: now)
        while true {
            let fd = accept(listenFD, nil, nil)
            guard fd >= 0 else { break }  // EAGAIN: none left; other errors: retried on the next wake-up.
            // Glibc's module lacks accept4, so the flags are set here (the daemon runs no children
            // between accept and this line: the loop is single-threaded).
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            guard clients.count < Self.maxClients else {
                // Best effort: the buffer of a fresh socket always takes one short line.
                _ = send(bytes: Array(ControlResponse.error(ControlError.tooManyClients.message).encoded.utf8), to: fd)
                Glibc.close(fd)
                continue
            }
            guard let peer = peerCredentials(fd) else {
                Glibc.close(fd)
                continue
            }
            // A full status report should go out in one write; ask for room (best effort).
            var bufferSize = Int32(ControlResponse.maxBytes)
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufferSize, socklen_t(MemoryLayout<Int32>.size))
            var client = Client(peer: peer, deadline: now + idleTimeout)
            do {
                client.token = try loop.watch(fd) { [unowned self] in self.readable(fd) }
            } catch {
                Glibc.close(fd)
                continue
            }
            clients[fd] = client
        }
        armTimer()
    }

    /// The connecting process's uid and gid, from the kernel (`SO_PEERCRED`), not from anything it sent.
    private func peerCredentials(_ fd: Int32) -> ControlAuthorization.Peer? {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } — Glibc's module hides it behind _GNU_SOURCE.
        var credentials: (Int32, UInt32, UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0,
              Int(length) == MemoryLayout.size(ofValue: credentials)
        else { return nil }
        return ControlAuthorization.Peer(uid: credentials.1, gid: credentials.2)
    }

    // MARK: - Reading a request

    private func readable(_ fd: Int32) {
        guard var client = clients[fd], client.output == nil else { return }
        var chunk = [UInt8](repeating: 0, count: ControlRequest.maxLineBytes + 1)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { break }
                drop(fd)
                return
            }
            if count == 0 {
                // The peer hung up before finishing a line: nothing to answer.
                drop(fd)
                return
            }
            client.input += chunk[0..<count]
            if let end = client.input.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(client.input[...end])
                respond(fd, response(toLine: line, peer: client.peer))
                return
            }
            if client.input.count > ControlRequest.maxLineBytes {
                let error = ControlRequestError.tooLong(bytes: client.input.count)
                respond(fd, .error(error.description))
                return
            }
        }
        clients[fd] = client
    }

    /// The answer to one request line from this peer.
    func response(toLine line: [UInt8], peer: ControlAuthorization.Peer) -> ControlResponse {
        let request: ControlRequest
        do {
            request = try ControlRequest(line: line)
        } catch {
            return .error(error.description)
        }
        guard authorization.permits(request, from: peer) else { return .error(ControlError.permissionDenied.message) }
        if request == .status {
            let text = report().encoded()
            guard text.utf8.count <= StatusReport.maxEncodedBytes else { return .error("status report too large") }
            return .ok(text)
        }
        switch perform(request, peer.uid) {
        case .success(let text): return .ok(text)
        case .failure(let error): return .error(error.message)
        }
    }

    // MARK: - Replying

    /// Stops reading from the client and writes the reply; what does not fit now is retried on the timer.
    private func respond(_ fd: Int32, _ response: ControlResponse) {
        guard var client = clients[fd] else { return }
        if let token = client.token {
            // Level-triggered readiness would otherwise spin on whatever else the client sends.
            loop.remove(fd, token: token)
            client.token = nil
        }
        client.input = []
        client.output = Array(response.encoded.utf8)
        clients[fd] = client
        flush(fd)
        armTimer()
    }

    /// Writes what the socket takes; closes the client when its reply is complete or it failed.
    private func flush(_ fd: Int32) {
        guard var client = clients[fd], let output = client.output else { return }
        let written = send(bytes: output, to: fd)
        if written < 0 || written == output.count {
            drop(fd)
            return
        }
        client.output = Array(output[written...])
        clients[fd] = client
    }

    /// Bytes written (0 when the buffer is full), or -1 when the peer is gone.
    private func send(bytes: [UInt8], to fd: Int32) -> Int {
        let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
        if written >= 0 { return written }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1
    }

    // MARK: - Deadlines

    private func timerFired() {
        var expirations: UInt64 = 0
        _ = read(timerFD, &expirations, 8)
        for fd in clients.keys where clients[fd]?.output != nil { flush(fd) }
        expire(now: EventLoop.now())
        armTimer()
    }

    /// Drops every client past its deadline: idle ones, and ones that do not read their reply.
    private func expire(now: Instant) {
        for (fd, client) in clients where client.deadline <= now { drop(fd) }
    }

    /// The next wake-up: the earliest client deadline, or sooner while a reply is pending.
    private func armTimer() {
        var next = clients.values.map(\.deadline).min()
        if clients.values.contains(where: { $0.output != nil }) {
            let retry = EventLoop.now() + Self.writeRetry
            next = min(next ?? retry, retry)
        }
        _ = hb_timerfd_set_abs(timerFD, next.map { max($0.nanoseconds, 1) } ?? 0)
    }

    private func drop(_ fd: Int32) {
        guard let client = clients.removeValue(forKey: fd) else { return }
        if let token = client.token { loop.remove(fd, token: token) }
        Glibc.close(fd)
    }
}
