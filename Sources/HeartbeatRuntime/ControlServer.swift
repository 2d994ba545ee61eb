import Glibc
import HeartbeatCore

/// The daemon's local control socket (`<rundir>/control`): `cl_status`, `hbctl status` and the
/// standby/takeover tools connect, send one request line and read one reply (see `ControlRequest`).
///
/// Served by a `RequestServer` on the daemon's `EventLoop`, so nothing blocks: each client has a
/// bounded input buffer (one request line, 4 KiB), at most `maxClients` are served at once, and a
/// client is dropped `idleTimeout` (5 s) after it connected whether or not it ever sent anything.
///
/// Permissions: the socket is mode 0666 so that any user can read status; the peer's uid and gid
/// come from `SO_PEERCRED` and requests that change state are checked by `authorization` (root, or
/// an `apiauth` grant; see `ControlAuthorization`).
public final class ControlServer {
    public static let maxClients = 32
    public static let defaultIdleTimeout: Duration = .seconds(5)

    public let path: String
    /// A client is dropped this long after connecting (tests shorten it).
    public let idleTimeout: Duration
    /// Who may make state-changing requests; the daemon sets it from `apiauth` (root only until then).
    public var authorization = ControlAuthorization()
    private let report: () -> StatusReport
    private let perform: (ControlRequest, UInt32) -> Result<String, ControlError>
    private var server: RequestServer<ControlAuthorization.Peer>!

    /// Binds `path` (replacing a stale socket left by a crashed daemon), listens and registers with
    /// `loop`. `report` is called for each `status` request; `perform` for every other request
    /// the peer is permitted to make, with the peer's uid.
    public init(path: String, loop: EventLoop, idleTimeout: Duration = ControlServer.defaultIdleTimeout,
                report: @escaping () -> StatusReport,
                perform: @escaping (ControlRequest, UInt32) -> Result<String, ControlError>) throws(SystemError) {
        self.path = path
        self.idleTimeout = idleTimeout
        self.report = report
        self.perform = perform

        let listenFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard listenFD >= 0 else { throw SystemError("socket AF_UNIX") }
        do throws(SystemError) {
            try bindUnixSocket(listenFD, path: path, purpose: "control socket")
            guard listen(listenFD, Int32(Self.maxClients)) == 0 else { throw SystemError("listen \(path)") }
        } catch {
            Glibc.close(listenFD)
            unlink(path)
            throw error
        }
        do throws(SystemError) {
            server = try RequestServer(
                listening: listenFD, loop: loop, maxClients: Self.maxClients, idleTimeout: idleTimeout,
                readChunk: ControlRequest.maxLineBytes + 1,
                refusal: Array(ControlResponse.error(ControlError.tooManyClients.message).encoded.utf8),
                admit: Self.admit, answer: { [unowned self] input, peer in self.reply(to: input, from: peer) })
        } catch {
            unlink(path)
            throw error
        }
    }

    deinit { close() }

    /// Stops serving: drops every client, closes the socket and removes its file.
    public func close() {
        guard let server else { return }
        server.close()
        self.server = nil
        unlink(path)
    }

    /// Clients currently connected (for tests and the daemon's own status).
    public var clientCount: Int { server?.clientCount ?? 0 }

    /// The connecting process's uid and gid, from the kernel (`SO_PEERCRED`), not from anything it
    /// sent; nil refuses the client.
    private static func admit(_ fd: Int32) -> ControlAuthorization.Peer? {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } — Glibc's module hides it behind _GNU_SOURCE.
        var credentials: (Int32, UInt32, UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0,
              Int(length) == MemoryLayout.size(ofValue: credentials)
        else { return nil }
        // A full status report should go out in one write; ask for room (best effort).
        var bufferSize = Int32(ControlResponse.maxBytes)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufferSize, socklen_t(MemoryLayout<Int32>.size))
        return ControlAuthorization.Peer(uid: credentials.1, gid: credentials.2)
    }

    /// The reply once a whole request line (or too much) has arrived.
    private func reply(to input: [UInt8], from peer: ControlAuthorization.Peer) -> [UInt8]? {
        let response: ControlResponse
        if let end = input.firstIndex(of: UInt8(ascii: "\n")) {
            response = self.response(toLine: Array(input[...end]), peer: peer)
        } else if input.count > ControlRequest.maxLineBytes {
            response = .error(ControlRequestError.tooLong(bytes: input.count).description)
        } else {
            return nil
        }
        return Array(response.encoded.utf8)
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
}
