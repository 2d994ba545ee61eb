import CSystem
import Glibc
import HeartbeatCore

/// One request and one reply per connection, served from the daemon's event loop: the control
/// socket and the metrics endpoint. Nothing blocks a heartbeat: sockets are non-blocking, `answer`
/// bounds what a client may send, at most `maxClients` are connected at once, and each is dropped
/// `idleTimeout` after it connected whether or not it ever sent anything. Those deadlines are kept
/// on the server's own timerfd, watched by the loop like any socket; the loop reports readability
/// only, so a reply too big for the socket buffer is pushed again on the same timer.
final class RequestServer<Peer> {
    /// Wait for more (nil), or reply with these bytes and close, given everything the client sent.
    typealias Answer = (_ input: [UInt8], _ peer: Peer) -> [UInt8]?

    /// How often a reply that did not fit in the socket buffer is pushed again.
    static var writeRetry: Duration { .milliseconds(20) }

    let maxClients: Int
    let idleTimeout: Duration
    private let loop: EventLoop
    private let listenFD: Int32
    private let timerFD: Int32
    private var listenToken: UInt64 = 0
    private var timerToken: UInt64 = 0
    private let readChunk: Int
    private let refusal: [UInt8]?
    private let admit: (Int32) -> Peer?
    private let answer: Answer
    private var clients: [Int32: Client] = [:]
    private var closed = false

    private struct Client {
        var token: UInt64?
        var peer: Peer
        var input: [UInt8] = []
        /// The reply not yet written, once the request has been answered.
        var output: [UInt8]?
        var deadline: Instant
    }

    /// Serves `listenFD`, a bound and listening non-blocking socket, which it owns from now on
    /// (closed here on failure too). `admit` sees each accepted socket and names its peer, or
    /// refuses it (nil); `refusal` is written, best effort, to a client beyond `maxClients`.
    init(listening listenFD: Int32, loop: EventLoop, maxClients: Int, idleTimeout: Duration, readChunk: Int,
         refusal: [UInt8]? = nil, admit: @escaping (Int32) -> Peer?, answer: @escaping Answer) throws(SystemError) {
        self.listenFD = listenFD
        self.loop = loop
        self.maxClients = maxClients
        self.idleTimeout = idleTimeout
        self.readChunk = readChunk
        self.refusal = refusal
        self.admit = admit
        self.answer = answer
        timerFD = hb_timerfd_create()
        guard timerFD >= 0 else {
            let error = SystemError("timerfd_create")
            Glibc.close(listenFD)
            throw error
        }
        do throws(SystemError) {
            listenToken = try loop.watch(listenFD) { [unowned self] in self.acceptClients() }
        } catch {
            Glibc.close(listenFD)
            Glibc.close(timerFD)
            throw error
        }
        do throws(SystemError) {
            timerToken = try loop.watch(timerFD) { [unowned self] in self.timerFired() }
        } catch {
            loop.remove(listenFD, token: listenToken)
            Glibc.close(listenFD)
            Glibc.close(timerFD)
            throw error
        }
    }

    deinit { close() }

    /// Clients currently connected.
    var clientCount: Int { clients.count }

    /// Drops every client and closes the sockets.
    func close() {
        guard !closed else { return }
        closed = true
        for fd in Array(clients.keys) { drop(fd) }
        loop.remove(listenFD, token: listenToken)
        loop.remove(timerFD, token: timerToken)
        Glibc.close(listenFD)
        Glibc.close(timerFD)
    }

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
            guard clients.count < maxClients else {
                // Best effort: the buffer of a fresh socket always takes one short line.
                if let refusal { _ = send(refusal, to: fd) }
                Glibc.close(fd)
                continue
            }
            guard let peer = admit(fd) else {
                Glibc.close(fd)
                continue
            }
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

    private func readable(_ fd: Int32) {
        guard var client = clients[fd], client.output == nil else { return }
        var chunk = [UInt8](repeating: 0, count: readChunk)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { break }
            if count <= 0 {
                // An error, or the peer hung up before finishing its request: nothing to answer.
                drop(fd)
                return
            }
            client.input += chunk[0..<count]
            if let reply = answer(client.input, client.peer) {
                clients[fd] = client
                respond(fd, reply)
                return
            }
        }
        clients[fd] = client
    }

    /// Stops reading from the client and writes the reply; what does not fit now is retried on the timer.
    private func respond(_ fd: Int32, _ reply: [UInt8]) {
        guard var client = clients[fd] else { return }
        if let token = client.token {
            // Level-triggered readiness would otherwise spin on whatever else the client sends.
            loop.remove(fd, token: token)
            client.token = nil
        }
        client.input = []
        client.output = reply
        clients[fd] = client
        flush(fd)
        armTimer()
    }

    /// Writes what the socket takes; closes the client when its reply is complete or it failed.
    private func flush(_ fd: Int32) {
        guard var client = clients[fd], let output = client.output else { return }
        let written = send(output, to: fd)
        if written < 0 || written == output.count {
            drop(fd)
            return
        }
        client.output = Array(output[written...])
        clients[fd] = client
    }

    /// Bytes written (0 when the buffer is full), or -1 when the peer is gone.
    private func send(_ bytes: [UInt8], to fd: Int32) -> Int {
        let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
        if written >= 0 { return written }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1
    }

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

/// Binds `fd` to the Unix socket `path`, replacing a stale one a crashed daemon left, with mode
/// 0666: anyone local may connect (what they may do is checked per request).
func bindUnixSocket(_ fd: Int32, path: String, purpose: String) throws(SystemError) {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let pathBytes = Array(path.utf8)
    guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
        throw SystemError("\(purpose) path too long: \(path)", code: ENAMETOOLONG)
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: pathBytes)
        raw[pathBytes.count] = 0
    }
    unlink(path)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard bound == 0 else { throw SystemError("bind \(path)") }
    guard chmod(path, 0o666) == 0 else { throw SystemError("chmod \(path)") }
}
