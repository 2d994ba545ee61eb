import Foundation
import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

/// The server runs on an `EventLoop` on the test's thread, as in the daemon; the blocking client
/// side runs on a helper thread, which stops the loop through a pipe when it is done.
@Suite struct ControlServerTests {
    private func temporaryDirectory() -> String {
        var template = Array("/tmp/hb-control-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    private func report() -> StatusReport {
        StatusReport(localNode: "alice", nodes: [
            .init(name: "alice", status: .active, links: [.init(name: "eth0", status: .up)]),
            .init(name: "bob\twith tab", status: .dead, links: [.init(name: "eth0", status: .dead)]),
        ], resources: .all, parameters: ["keepalive": "1000ms"])
    }

    /// Runs `body` on another thread while `loop` serves here; gives up after 10 s so a bug cannot hang the suite.
    private func whileServing<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () -> T) throws -> T? {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let result = ResultBox<T>()
        let writeEnd = fds[1]
        Thread.detachNewThread {
            result.set(body())
            var byte: UInt8 = 1
            _ = write(writeEnd, &byte, 1)
        }
        let token = try loop.watch(fds[0]) { loop.stop() }
        loop.setDeadline(EventLoop.now() + .seconds(10)) { loop.stop() }
        loop.run()
        loop.remove(fds[0], token: token)
        loop.setDeadline(nil) {}
        return result.get()
    }

    @Test func clientFetchesTheReport() throws {
        let loop = try EventLoop()
        let path = temporaryDirectory() + "/control"
        let expected = report()
        let server = try ControlServer(path: path, loop: loop, report: { expected }, perform: { _, _ in .success("") })
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o666)
        let fetched = try whileServing(loop) { Result { () throws(ControlClientError) in try ControlClient(path: path).fetchStatus() } }
        #expect(try fetched?.get() == expected)
        #expect(server.clientCount == 0)
        server.close()
        #expect(access(path, F_OK) != 0)
    }

    @Test func silentClientDoesNotBlockOthersAndIsDroppedWhenIdle() throws {
        let loop = try EventLoop()
        let path = temporaryDirectory() + "/control"
        let expected = report()
        let server = try ControlServer(path: path, loop: loop, idleTimeout: .milliseconds(300),
                                       report: { expected }, perform: { _, _ in .success("") })
        let outcome = try whileServing(loop) { () -> (StatusReport?, [UInt8]?) in
            guard let silent = rawConnect(path) else { return (nil, nil) }
            defer { close(silent) }
            let fetched = try? ControlClient(path: path).fetchStatus()
            // The server hangs up on the silent one after its idle timeout: we read end of stream.
            let leftover = readAll(silent, timeoutMs: 3000)
            return (fetched, leftover)
        }
        #expect(outcome?.0 == expected)
        #expect(outcome?.1 == [])
        #expect(server.clientCount == 0)
    }

    @Test func oversizedRequestIsRefused() throws {
        let loop = try EventLoop()
        let path = temporaryDirectory() + "/control"
        let server = try ControlServer(path: path, loop: loop, report: report, perform: { _, _ in .success("") })
        let reply = try whileServing(loop) { () -> String? in
            guard let fd = rawConnect(path) else { return nil }
            defer { close(fd) }
            let big = [UInt8](repeating: UInt8(ascii: "a"), count: ControlRequest.maxLineBytes + 100)
            _ = big.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            return readAll(fd, timeoutMs: 3000).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(reply == "error request too long (limit 4096 bytes)\n")
        #expect(server.clientCount == 0)
    }

    @Test func badRequestGetsAnErrorLine() throws {
        let loop = try EventLoop()
        let path = temporaryDirectory() + "/control"
        let server = try ControlServer(path: path, loop: loop, report: report, perform: { _, _ in .success("") })
        let reply = try whileServing(loop) { () -> String? in
            guard let fd = rawConnect(path) else { return nil }
            defer { close(fd) }
            _ = Array("linkstatus alice\n".utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            return readAll(fd, timeoutMs: 3000).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(reply == "error unknown request \"linkstatus\"\n")
        _ = server
    }

    @Test func stateChangesNeedRoot() throws {
        let loop = try EventLoop()
        let path = temporaryDirectory() + "/control"
        nonisolated(unsafe) var performed: [ControlRequest] = []
        let server = try ControlServer(path: path, loop: loop, report: report, perform: { request, uid in
            performed.append(request)
            return uid == 0 ? .success("standby started\n") : .failure(ControlError("unexpected"))
        })
        let standby = Array("standby foreign\n".utf8)
        #expect(server.response(toLine: standby, peer: .init(uid: 1000, gid: 1000)) == .error("permission denied"))
        #expect(server.response(toLine: Array("reload\n".utf8), peer: .init(uid: 65534, gid: 65534)) == .error("permission denied"))
        #expect(performed.isEmpty)
        #expect(server.response(toLine: standby, peer: .init(uid: 0, gid: 0)) == .ok("standby started\n"))
        #expect(performed == [.standby(.foreign)])
        // Status is open to everyone.
        guard case .ok(let payload) = server.response(toLine: Array("status\n".utf8), peer: .init(uid: 1000, gid: 1000)) else {
            Issue.record("status refused")
            return
        }
        #expect(try StatusReport(decoding: payload) == report())
        // Over the socket (tests run as root): the daemon's own answer comes back.
        let reply = try whileServing(loop) { Result { () throws(ControlClientError) in try ControlClient(path: path).send(.standby(.foreign)) } }
        #expect(try reply?.get() == (getuid() == 0 ? .ok("standby started\n") : .error("permission denied")))
    }

    @Test func apiauthGrantsAdminRequestsToNamedClients() throws {
        let loop = try EventLoop()
        let path = temporaryDirectory() + "/control"
        let server = try ControlServer(path: path, loop: loop, report: report, perform: { request, _ in .success(request.line) })
        let operator1 = ControlAuthorization.Peer(uid: 1001, gid: 1001)
        let haclient = ControlAuthorization.Peer(uid: 1002, gid: 90)
        server.authorization = ControlAuthorization(grants: [
            .init(client: "hb_standby", uids: [1001], gids: []),
            .init(client: "hbctl", uids: [], gids: [90]),
        ])
        #expect(server.response(toLine: Array("standby all\n".utf8), peer: operator1) == .ok("standby all\n"))
        #expect(server.response(toLine: Array("takeover all\n".utf8), peer: operator1) == .error("permission denied"))
        #expect(server.response(toLine: Array("reload\n".utf8), peer: operator1) == .error("permission denied"))
        for line in ["standby local\n", "takeover all\n", "reload\n"] {
            #expect(server.response(toLine: Array(line.utf8), peer: haclient) == .ok(line))
        }
        #expect(server.response(toLine: Array("reload\n".utf8), peer: .init(uid: 1003, gid: 91)) == .error("permission denied"))
    }

    @Test func tooManyClientsAreTurnedAway() throws {
        let loop = try EventLoop()
        let path = temporaryDirectory() + "/control"
        let server = try ControlServer(path: path, loop: loop, report: report, perform: { _, _ in .success("") })
        let outcome = try whileServing(loop) { () -> Result<StatusReport, ControlClientError> in
            var idle: [Int32] = []
            defer { idle.forEach { close($0) } }
            for _ in 0..<ControlServer.maxClients {
                if let fd = rawConnect(path) { idle.append(fd) }
            }
            // Give the loop time to accept them all before the extra one arrives.
            usleep(200_000)
            return Result { () throws(ControlClientError) in try ControlClient(path: path).fetchStatus() }
        }
        #expect(throws: ControlClientError.refused("too many clients")) { try outcome?.get() }
        _ = server
    }

    @Test func clientReportsNotRunningAndTimeout() throws {
        let directory = temporaryDirectory()
        #expect(throws: ControlClientError.notRunning("\(directory)/control: No such file or directory")) {
            try ControlClient(path: directory + "/control").fetchStatus()
        }
        // A socket file left by a dead daemon: connection refused counts as not running.
        let stale = directory + "/stale"
        let listener = try #require(rawListen(stale))
        close(listener)
        #expect(throws: ControlClientError.notRunning("\(stale): Connection refused")) {
            try ControlClient(path: stale).fetchStatus()
        }
        // Something listens but never answers.
        let mute = directory + "/mute"
        let muteListener = try #require(rawListen(mute))
        defer { close(muteListener) }
        #expect(throws: ControlClientError.timedOut) {
            try ControlClient(path: mute, timeout: .milliseconds(200)).fetchStatus()
        }
    }

    @Test func defaultPathFollowsRunDirectory() {
        let previous = getenv("HA_RUN_DIR").map { String(cString: $0) }
        defer { if let previous { setenv("HA_RUN_DIR", previous, 1) } else { unsetenv("HA_RUN_DIR") } }
        unsetenv("HA_RUN_DIR")
        #expect(ControlClient.defaultPath() == "/run/heartbeat/control")
        setenv("HA_RUN_DIR", "/tmp/x", 1)
        #expect(ControlClient.defaultPath() == "/tmp/x/control")
    }
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?

    func set(_ newValue: T) { lock.withLock { value = newValue } }
    func get() -> T? { lock.withLock { value } }
}

private func unixAddress(_ path: String) -> sockaddr_un {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    return address
}

private func rawConnect(_ path: String) -> Int32? {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = unixAddress(path)
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    if result == 0 { return fd }
    close(fd)
    return nil
}

private func rawListen(_ path: String) -> Int32? {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = unixAddress(path)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0, listen(fd, 4) == 0 else {
        close(fd)
        return nil
    }
    return fd
}

/// Reads until end of stream; nil if it did not come within the timeout.
private func readAll(_ fd: Int32, timeoutMs: Int32) -> [UInt8]? {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMs) == 1 else { return nil }
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { return bytes }
        bytes += chunk[0..<count]
    }
}
