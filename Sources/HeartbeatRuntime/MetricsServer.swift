import Glibc
import HeartbeatCore

/// The Prometheus endpoint (`metrics_listen`): a loopback TCP port or a Unix socket, served by a
/// `RequestServer` on the daemon's event loop like the control socket, so nothing here blocks a
/// heartbeat: a request head is bounded (`MetricsHTTP.maxRequestBytes`), at most `maxClients`
/// connect at once, and each is dropped `idleTimeout` after connecting.
public final class MetricsServer {
    public static let maxClients = 16
    public static let idleTimeout: Duration = .seconds(5)

    public let endpoint: MetricsEndpoint
    private var server: RequestServer<Void>!

    /// Binds and listens; `body` renders the metrics text for each scrape.
    public init(endpoint: MetricsEndpoint, loop: EventLoop, body: @escaping () -> String) throws(SystemError) {
        self.endpoint = endpoint
        let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let listenFD: Int32
        switch endpoint {
        case .tcp:
            listenFD = socket(AF_INET, flags, 0)
        case .unix:
            listenFD = socket(AF_UNIX, flags, 0)
        }
        guard listenFD >= 0 else { throw SystemError("socket for metrics") }
        do throws(SystemError) {
            try Self.bind(listenFD, to: endpoint)
            guard listen(listenFD, Int32(Self.maxClients)) == 0 else { throw SystemError("listen \(endpoint)") }
        } catch {
            Glibc.close(listenFD)
            if case .unix(let path) = endpoint { unlink(path) }
            throw error
        }
        do throws(SystemError) {
            server = try RequestServer(
                listening: listenFD, loop: loop, maxClients: Self.maxClients, idleTimeout: Self.idleTimeout,
                readChunk: 4096, admit: { _ in () }, answer: { input, _ in MetricsHTTP.response(to: input, body: body) })
        } catch {
            if case .unix(let path) = endpoint { unlink(path) }
            throw error
        }
    }

    deinit { close() }

    private static func bind(_ listenFD: Int32, to endpoint: MetricsEndpoint) throws(SystemError) {
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
            // Anyone local may read metrics, as anyone may run cl_status.
            try bindUnixSocket(listenFD, path: path, purpose: "metrics socket")
        }
    }

    public func close() {
        guard let server else { return }
        server.close()
        self.server = nil
        if case .unix(let path) = endpoint { unlink(path) }
    }
}
