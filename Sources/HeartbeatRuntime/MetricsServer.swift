import CSystem
import Glibc
import HeartbeatCore

/// The Prometheus endpoint (`metrics_listen`): a loopback TCP port or a Unix socket, served from
/// the daemon's event loop. Like `ControlServer`, nothing here blocks a heartbeat: sockets are
/// non-blocking, a request head is bounded (`MetricsHTTP.maxRequestBytes`), at most `maxClients`
/// connect at once, each is dropped `idleTimeout` after connecting, and an answer too big for the
/// socket buffer is pushed again on the server's own timer.
public final class MetricsServer {
    public static let maxClients = 16
    public static let idleTimeout: Duration = .seconds(5)
    static let writeRetry: Duration = .milliseconds(20)

    public let endpoint: MetricsEndpoint
    private let loop: EventLoop
    private let body: () -> String
    private let listenFD: Int32
    private var listenToken: UInt64 = 0
    private let timerFD: Int32
    private var timerToken: UInt64 = 0
    private var clients: [Int32: Client] = [:]
    private var closed = false

    private struct Client {
        var token: UInt64?
        var input: [UInt8] = []
        var output: [UInt8]?
        var deadline: Instant
    }

    /// Binds and listens; `body` renders the metrics text for each scrape.
    public init(endpoint: MetricsEndpoint, loop: EventLoop, body: @escaping () -> String) throws(SystemError) {
        self.endpoint = endpoint
        self.loop = loop
        self.body = body
        let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        switch endpoint {
        case .tcp:
            listenFD = socket(AF_INET, flags, 0)
        case .unix:
            listenFD = socket(AF_UNIX, flags, 0)
        }
        guard listenFD >= 0 else { throw SystemError("socket for metrics") }
        timerFD = hb_timerfd_create()
        guard timerFD >= 0 else {
            let error = SystemError("timerfd_create")
            Glibc.close(listenFD)
            throw error
        }
        do throws(SystemError) {
            try bind()
            guard listen(listenFD, Int32(Self.maxClients)) == 0 else { throw SystemError("listen \(endpoint)") }
            listenToken = try loop.watch(listenFD) { [unowned self] in self.acceptClients() }
            timerToken = try loop.watch(timerFD) { [unowned self] in self.timerFired() }
        } catch {
            Glibc.close(listenFD)
            Glibc.close(timerFD)
            if case .unix(let path) = endpoint { unlink(path) }
            throw error
        }
    }

    deinit { close() }

    private func bind() throws(SystemError) {
        switch endpoint {
        case .tcp(let address, let port):
            var reuse: Int32 = 1
            _ = setsockopt(listenFD, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, address, &socketAddress.sin_addr) == 1 else {
                throw SystemError("metrics address \(address)", code: EINVAL)
            }
            let bound = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw SystemError("bind \(endpoint)") }
        case .unix(let path):
            var socketAddress = sockaddr_un()
            socketAddress.sun_family = sa_family_t(AF_UNIX)
            let pathBytes = Array(path.utf8)
            guard pathBytes.count < MemoryLayout.size(ofValue: socketAddress.sun_path) else {
                throw SystemError("metrics socket path too long: \(path)", code: ENAMETOOLONG)
            }
            withUnsafeMutableBytes(of: &socketAddress.sun_path) { raw in
                raw.copyBytes(from: pathBytes)
                raw[pathBytes.count] = 0
            }
            unlink(path)
            let bound = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard bound == 0 else { throw SystemError("bind \(path)") }
            // Anyone local may read metrics, as anyone may run cl_status.
            guard chmod(path, 0o666) == 0 else { throw SystemError("chmod \(path)") }
        }
    }

    public func close() {
        guard !closed else { return }
        closed = true
        for fd in Array(clients.keys) { drop(fd) }
        loop.remove(listenFD, token: listenToken)
        loop.remove(timerFD, token: timerToken)
        Glibc.close(listenFD)
        Glibc.close(timerFD)
        if case .unix(let path) = endpoint { unlink(path) }
    }

    private func acceptClients() {
        let now = EventLoop.now()
        expire(now: now)
        while true {
            let fd = accept(listenFD, nil, nil)
            guard fd >= 0 else { break }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            guard clients.count < Self.maxClients else {
                Glibc.close(fd)
                continue
            }
            var client = Client(deadline: now + Self.idleTimeout)
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
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { break }
            if count <= 0 {
                drop(fd)
                return
            }
            client.input += chunk[0..<count]
            if let response = MetricsHTTP.response(to: client.input, body: body) {
                if let token = client.token { loop.remove(fd, token: token) }
                client.token = nil
                client.input = []
                client.output = response
                clients[fd] = client
                flush(fd)
                armTimer()
                return
            }
        }
        clients[fd] = client
    }

    private func flush(_ fd: Int32) {
        guard var client = clients[fd], let output = client.output else { return }
        let written = output.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
        if written < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
        if written < 0 || written == output.count {
            drop(fd)
            return
        }
        client.output = Array(output[written...])
        clients[fd] = client
    }

    private func timerFired() {
        var expirations: UInt64 = 0
        _ = read(timerFD, &expirations, 8)
        for fd in clients.keys where clients[fd]?.output != nil { flush(fd) }
        expire(now: EventLoop.now())
        armTimer()
    }

    private func expire(now: Instant) {
        for (fd, client) in clients where client.deadline <= now { drop(fd) }
    }

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
