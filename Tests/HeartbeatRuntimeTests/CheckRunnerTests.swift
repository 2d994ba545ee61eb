import Foundation
import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

/// The check runner against real children, real loopback listeners and servers, each test bounded
/// and cleaning up after itself.
@Suite struct CheckRunnerTests {
    private static let environment = ["PATH=/usr/bin:/bin", "HA_TEST=yes"]

    /// Runs the loop until every check reported, polling exits every 10 ms (signals go to any thread
    /// in a test process); `serve` is called first to put servers of the test on the same loop.
    /// `everyPoll` runs with each poll, for a server that answers in steps.
    private func runAll(_ runs: [CheckRun], serve: (EventLoop) throws -> Void = { _ in },
                        everyPoll: @escaping () -> Void = {}) throws -> [CheckRun.ID: CheckOutcome] {
        let loop = try EventLoop()
        try serve(loop)
        var outcomes: [CheckRun.ID: CheckOutcome] = [:]
        let runner = CheckRunner(loop: loop) { outcomes[$0] = $1 }
        for run in runs { runner.start(run, environment: Self.environment) }
        // No check reports from inside `start`: the core must never hear of one within its own effect.
        #expect(outcomes.isEmpty)
        let giveUp = EventLoop.now() + .seconds(20)
        func poll() {
            everyPoll()
            runner.reap()
            runner.enforceTimeouts(now: EventLoop.now())
            // Killed children are waited for too, so no test leaves a zombie behind.
            if runner.running == 0 && runner.killedChildren == 0 || EventLoop.now() > giveUp { loop.stop() } else { loop.setDeadline(EventLoop.now() + .milliseconds(10), poll) }
        }
        loop.setDeadline(EventLoop.now(), poll)
        loop.run()
        return outcomes
    }

    private func run(_ id: CheckRun.ID, _ check: MonitorSpec.Check, resources: [Resource] = [], timeout: Duration = .seconds(5),
                     monitor: Int = 0) -> CheckRun {
        CheckRun(id: id, group: "svc", monitor: monitor, check: check, resources: resources, timeout: timeout)
    }

    // MARK: exec and status

    @Test func execPassesOnExitZeroAndFailsWithTheExitCodeAndFirstLine() throws {
        let outcomes = try runAll([
            run(1, .exec(path: "/bin/sh", arguments: ["-c", "test \"$HA_TEST\" = yes"])),
            run(2, .exec(path: "/bin/sh", arguments: ["-c", "echo mysqld is gone; echo more; exit 3"])),
            run(3, .exec(path: "/nonexistent/check", arguments: [])),
        ])
        guard case .passed = try #require(outcomes[1]) else { Issue.record("exit 0: \(String(describing: outcomes[1]))"); return }
        guard case .failed(_, let detail) = try #require(outcomes[2]) else { Issue.record("exit 3: \(String(describing: outcomes[2]))"); return }
        #expect(detail == "exit 3: mysqld is gone")
        guard case .failed(_, let missing) = try #require(outcomes[3]) else { Issue.record("missing: \(String(describing: outcomes[3]))"); return }
        #expect(missing.hasPrefix("cannot run /nonexistent/check"))
    }

    @Test func statusRunsEachResourceInOrderAndStopsAtTheFirstNotRunning() throws {
        let directory = try TemporaryDirectory()
        let log = directory.path + "/calls"
        func resource(_ name: String, says text: String) throws -> Resource {
            let path = directory.path + "/" + name
            try writeDurably(Array("#!/bin/sh\necho \"$0 $*\" >> \(log)\necho '\(text)'\nexit 0\n".utf8), to: path, mode: 0o755)
            return Resource(script: name, arguments: ["a1"], token: name + "::a1", path: path)
        }
        let running = try resource("first", says: "first is running")
        let ok = try resource("second", says: "OK")
        // Exit 0 all the same: 3.0.6 reads the words, not the code.
        let stopped = try resource("third", says: "third is not running")
        let never = try resource("fourth", says: "running")

        let outcomes = try runAll([
            run(1, .status, resources: [running, ok]),
            run(2, .status, resources: [running, stopped, never]),
            run(3, .status, resources: []),
        ])
        guard case .passed = try #require(outcomes[1]) else { Issue.record("all running: \(String(describing: outcomes[1]))"); return }
        guard case .failed(_, let detail) = try #require(outcomes[2]) else { Issue.record("one stopped: \(String(describing: outcomes[2]))"); return }
        #expect(detail == "resource third::a1 not running")
        guard case .passed = try #require(outcomes[3]) else { Issue.record("no resources: \(String(describing: outcomes[3]))"); return }
        let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").sorted()
        #expect(calls == ["\(directory.path)/first a1 status", "\(directory.path)/first a1 status",
                          "\(directory.path)/second a1 status", "\(directory.path)/third a1 status"])
    }

    @Test func aHangingCheckTimesOutAndItsWholeProcessGroupIsKilled() throws {
        let directory = try TemporaryDirectory()
        let pidFile = directory.path + "/background"
        let started = EventLoop.now()
        let outcomes = try runAll([
            run(1, .exec(path: "/bin/sh", arguments: ["-c", "trap '' TERM; sleep 30 & echo $! > \(pidFile); wait"]),
                timeout: .milliseconds(300)),
        ])
        #expect(outcomes[1] == .timedOut)
        #expect(EventLoop.now() - started < .seconds(3))
        let background = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(waitUntilGone(background), "the check's background child \(background) outlived the timeout")
    }

    @Test func aCancelledCheckIsKilledAndNeverReported() throws {
        let loop = try EventLoop()
        var outcomes: [CheckRun.ID: CheckOutcome] = [:]
        let runner = CheckRunner(loop: loop) { outcomes[$0] = $1 }
        runner.start(run(1, .exec(path: "/bin/sleep", arguments: ["30"])), environment: Self.environment)
        runner.start(run(2, .exec(path: "/bin/sleep", arguments: ["30"])), environment: Self.environment)
        runner.start(run(3, .tcp(host: "127.0.0.1", port: try Listener(address: "127.0.0.1").port)), environment: Self.environment)
        runner.cancel(1)
        #expect(runner.running == 2)
        // The daemon's exit: the rest go too.
        runner.cancelAll()
        #expect(runner.running == 0)
        #expect(runner.nextDeadline == nil)
        let giveUp = EventLoop.now() + .seconds(5)
        var reaped = false
        // The killed child is still waited for, quietly.
        while !reaped, EventLoop.now() < giveUp {
            runner.reap()
            reaped = runner.killedChildren == 0
            usleep(10_000)
        }
        #expect(reaped)
        #expect(outcomes.isEmpty)
    }

    @Test func aCheckCancelledByAnotherOnesReportIsNotReported() throws {
        let loop = try EventLoop()
        var reported: [CheckRun.ID] = []
        var runner: CheckRunner?
        // As the core may: hearing of one check's end, it cancels the other.
        runner = CheckRunner(loop: loop) { id, _ in
            reported.append(id)
            runner?.cancel(id == 1 ? 2 : 1)
        }
        let checks = try #require(runner)
        for id: CheckRun.ID in [1, 2] {
            checks.start(run(id, .exec(path: "/bin/sleep", arguments: ["30"]), timeout: .milliseconds(50)), environment: Self.environment)
        }
        checks.enforceTimeouts(now: EventLoop.now() + .seconds(1))
        #expect(reported.count == 1)
        #expect(checks.running == 0)
        let giveUp = EventLoop.now() + .seconds(5)
        while checks.killedChildren > 0, EventLoop.now() < giveUp {
            checks.reap()
            usleep(10_000)
        }
        #expect(checks.killedChildren == 0)
        runner = nil
    }

    // MARK: tcp

    @Test func tcpPassesOnAListenerAndFailsOnARefusedPort() throws {
        let listener = try Listener(address: "127.0.0.1")
        let refusedPort = try Listener(address: "127.0.0.1", listen: false).port
        var runs = [run(1, .tcp(host: "127.0.0.1", port: listener.port)),
                    run(2, .tcp(host: "127.0.0.1", port: refusedPort)),
                    run(3, .tcp(host: "db.example", port: 3306))]
        let listener6 = try? Listener(address: "::1")
        if let listener6 { runs.append(run(4, .tcp(host: "::1", port: listener6.port))) }
        let outcomes = try runAll(runs)
        guard case .passed = try #require(outcomes[1]) else { Issue.record("listener: \(String(describing: outcomes[1]))"); return }
        guard case .failed(_, let refused) = try #require(outcomes[2]) else { Issue.record("refused: \(String(describing: outcomes[2]))"); return }
        #expect(refused == "connection refused")
        guard case .failed(_, let name) = try #require(outcomes[3]) else { Issue.record("name: \(String(describing: outcomes[3]))"); return }
        #expect(name == "db.example is not a numeric IPv4 or IPv6 address")
        if listener6 != nil {
            guard case .passed = try #require(outcomes[4]) else { Issue.record("IPv6: \(String(describing: outcomes[4]))"); return }
        }
    }

    @Test func aLineCheckedAgainConnectsToItsTargetAndToANewOneAfterAChange() throws {
        let listener = try Listener(address: "127.0.0.1")
        let refusedPort = try Listener(address: "127.0.0.1", listen: false).port
        // Line 0 twice (its target made once), then changed as by a reload; line 1 on its own.
        let outcomes = try runAll([run(1, .tcp(host: "127.0.0.1", port: listener.port)),
                                   run(2, .tcp(host: "127.0.0.1", port: listener.port)),
                                   run(3, .tcp(host: "127.0.0.1", port: refusedPort)),
                                   run(4, .tcp(host: "127.0.0.1", port: listener.port), monitor: 1)])
        for id: CheckRun.ID in [1, 2, 4] {
            guard case .passed = try #require(outcomes[id]) else { Issue.record("\(id): \(String(describing: outcomes[id]))"); return }
        }
        guard case .failed(_, let refused) = try #require(outcomes[3]) else { Issue.record("changed: \(String(describing: outcomes[3]))"); return }
        #expect(refused == "connection refused")
    }

    @Test func aSocketCheckBuildsNoEnvironmentAndAProcessCheckDoes() throws {
        let listener = try Listener(address: "127.0.0.1")
        let loop = try EventLoop()
        let runner = CheckRunner(loop: loop) { _, _ in }
        var built = 0
        func environment() -> [String] {
            built += 1
            return Self.environment
        }
        runner.start(run(1, .tcp(host: "127.0.0.1", port: listener.port)), environment: environment())
        runner.start(run(2, .http(url: "http://127.0.0.1:\(listener.port)/", expect: .success, verifyCertificate: true)), environment: environment())
        #expect(built == 0)
        runner.start(run(3, .exec(path: "/bin/true", arguments: [])), environment: environment())
        #expect(built == 1)
        runner.cancelAll()
        runner.reap()
    }

    @Test func aConnectThatIsNeverAnsweredTimesOut() throws {
        // A listener whose backlog is full leaves further connects unanswered (SYNs are dropped).
        let listener = try Listener(address: "127.0.0.1", backlog: 0)
        var fillers: [Int32] = []
        defer { fillers.forEach { close($0) } }
        for _ in 0..<4 { fillers.append(try listener.connectNonBlocking()) }
        let started = EventLoop.now()
        let outcomes = try runAll([run(1, .tcp(host: "127.0.0.1", port: listener.port), timeout: .milliseconds(300))])
        #expect(outcomes[1] == .timedOut)
        #expect(EventLoop.now() - started < .seconds(3))
    }

    // MARK: http

    @Test func httpReadsTheStatusLineAndJudgesItByTheExpectation() throws {
        let server = try TinyHTTPServer(answers: ["/health": "200 OK", "/down": "503 Service Unavailable", "/moved": "301 Moved"])
        let url = "http://127.0.0.1:\(server.port)"
        let outcomes = try runAll([
            run(1, .http(url: url + "/health", expect: .success, verifyCertificate: true)),
            run(2, .http(url: url + "/down", expect: .success, verifyCertificate: true)),
            run(3, .http(url: url + "/moved", expect: HTTPExpectation(codes: [200, 301]), verifyCertificate: true)),
            run(4, .http(url: "http://127.0.0.1:\(try Listener(address: "127.0.0.1", listen: false).port)/", expect: .success, verifyCertificate: true)),
        ], serve: server.serve)
        guard case .passed = try #require(outcomes[1]) else { Issue.record("200: \(String(describing: outcomes[1]))"); return }
        guard case .failed(_, let detail) = try #require(outcomes[2]) else { Issue.record("503: \(String(describing: outcomes[2]))"); return }
        #expect(detail == "HTTP 503")
        guard case .passed = try #require(outcomes[3]) else { Issue.record("301: \(String(describing: outcomes[3]))"); return }
        guard case .failed(_, let refused) = try #require(outcomes[4]) else { Issue.record("refused: \(String(describing: outcomes[4]))"); return }
        #expect(refused == "connection refused")
        #expect(server.requests.sorted().first == "GET /down HTTP/1.0\r\nHost: 127.0.0.1:\(server.port)\r\n")
    }

    @Test func httpServerThatNeverAnswersTimesOutAndOneThatHangsUpFails() throws {
        let silent = try Listener(address: "127.0.0.1")
        let hangingUp = try Listener(address: "127.0.0.1")
        let outcomes = try runAll([
            run(1, .http(url: "http://127.0.0.1:\(silent.port)/", expect: .success, verifyCertificate: true), timeout: .milliseconds(300)),
            run(2, .http(url: "http://127.0.0.1:\(hangingUp.port)/", expect: .success, verifyCertificate: true)),
        ], serve: { loop in
            try loop.watch(hangingUp.fd) { close(accept(hangingUp.fd, nil, nil)) }
        })
        #expect(outcomes[1] == .timedOut)
        guard case .failed(_, let detail) = try #require(outcomes[2]) else { Issue.record("hang-up: \(String(describing: outcomes[2]))"); return }
        #expect(["connection closed without an answer", "connection reset by peer"].contains(detail), "\(detail)")
    }

    @Test func anAnswerInPiecesIsReadUpToItsStatusLine() throws {
        // The status line comes in two writes, the second 30 ms after the first: the check, told
        // of each arrival once, reads the first, waits, and reads on.
        let listener = try Listener(address: "127.0.0.1")
        var client: Int32 = -1
        var firstPiece: Instant?
        var secondSent = false
        defer { if client >= 0 { close(client) } }
        let outcomes = try runAll([run(1, .http(url: "http://127.0.0.1:\(listener.port)/", expect: .success, verifyCertificate: true))],
                                  serve: { loop in
            try loop.watch(listener.fd) {
                client = accept(listener.fd, nil, nil)
                var token: UInt64 = 0
                token = (try? loop.watch(client) {
                    // The request (its first read is enough here), then nothing more is watched.
                    var request = [UInt8](repeating: 0, count: 1024)
                    _ = request.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
                    loop.remove(client, token: token)
                    _ = "HTTP/1.0 20".withCString { write(client, $0, strlen($0)) }
                    firstPiece = EventLoop.now()
                }) ?? 0
            }
        }, everyPoll: {
            guard let sent = firstPiece, !secondSent, EventLoop.now() - sent > .milliseconds(30) else { return }
            _ = "4 No Content\r\n\r\n".withCString { write(client, $0, strlen($0)) }
            secondSent = true
        })
        #expect(secondSent)
        guard case .passed = try #require(outcomes[1]) else { Issue.record("pieces: \(String(describing: outcomes[1]))"); return }
    }

    @Test func aServerThatSpeaksFirstIsReadToo() throws {
        // An http:// check pointed at a service with a banner (SSH): its line may already be in
        // when the connect's end is handled, and there is no status line in it.
        let listener = try Listener(address: "127.0.0.1")
        var clients: [Int32] = []
        defer { clients.forEach { close($0) } }
        let outcomes = try runAll([run(1, .http(url: "http://127.0.0.1:\(listener.port)/", expect: .success, verifyCertificate: true),
                                       timeout: .seconds(2))],
                                  serve: { loop in
            try loop.watch(listener.fd) {
                let client = accept(listener.fd, nil, nil)
                clients.append(client)
                _ = "SSH-2.0-OpenSSH_9.6\r\n".withCString { write(client, $0, strlen($0)) }
            }
        })
        #expect(outcomes[1].map { if case .failed(_, "no HTTP status line") = $0 { true } else { false } } == true,
                "\(String(describing: outcomes[1]))")
    }

    @Test func httpURLsAreReadWithIPv6AndDefaultPorts() {
        #expect(HTTPTarget(url: "http://10.0.0.5/health")?.port == 80)
        let v6 = HTTPTarget(url: "http://[fd00::1]:8080/a?b=1#frag")
        #expect(v6?.host == "fd00::1")
        #expect(v6?.port == 8080)
        #expect(v6?.request.hasPrefix("GET /a?b=1 HTTP/1.0\r\nHost: [fd00::1]:8080\r\n") == true)
        #expect(HTTPTarget(url: "http://10.0.0.5:99999/") == nil)
        #expect(HTTPTarget(url: "http://[fd00::1/") == nil)
        #expect(HTTPTarget.statusCode(of: Array("HTTP/1.1 204 No Content\r\n".utf8)) == 204)
        #expect(HTTPTarget.statusCode(of: Array("SSH-2.0-OpenSSH\r\n".utf8)) == nil)
    }

    // MARK: https through curl

    @Test func httpsRunsCurlWhichVerifiesTheCertificateUnlessInsecure() throws {
        guard ChildProcess.executable(named: "curl", environment: Self.environment) != nil,
              let openssl = ChildProcess.executable(named: "openssl", environment: Self.environment) else {
            // A test that cannot run fails, unless the caller asked to skip what is missing.
            #expect(HeartbeatRuntime.environment("SKIP_MISSING") == "1", "curl and openssl are needed (make deps), or SKIP_MISSING=1")
            return
        }
        let directory = try TemporaryDirectory()
        let key = directory.path + "/key.pem", certificate = directory.path + "/cert.pem"
        let made = runToEnd(path: openssl, arguments: ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
                                                       "-days", "1", "-subj", "/CN=localhost"],
                            environment: Self.environment, timeout: .seconds(30))
        #expect(made.exitCode == 0, "\(made.output)")
        let port = try Listener(address: "127.0.0.1", listen: false).port
        let server = try BackgroundProcess(path: openssl, arguments: ["s_server", "-quiet", "-accept", "127.0.0.1:\(port)", "-cert", certificate,
                                                                      "-key", key, "-www"])
        defer { server.stop() }
        #expect(waitUntilListening(port: port), "openssl s_server did not listen on \(port)")

        let url = "https://127.0.0.1:\(port)/"
        let outcomes = try runAll([
            run(1, .http(url: url, expect: .success, verifyCertificate: false)),
            run(2, .http(url: url, expect: .success, verifyCertificate: true)),
            run(3, .http(url: url, expect: HTTPExpectation(codes: [204]), verifyCertificate: false)),
        ])
        guard case .passed = try #require(outcomes[1]) else { Issue.record("insecure: \(String(describing: outcomes[1]))"); return }
        guard case .failed(_, let detail) = try #require(outcomes[2]) else { Issue.record("verified: \(String(describing: outcomes[2]))"); return }
        #expect(detail.hasPrefix("curl: (60)"), "\(detail)")
        guard case .failed(_, let code) = try #require(outcomes[3]) else { Issue.record("expect 204: \(String(describing: outcomes[3]))"); return }
        #expect(code == "HTTP 200")
    }

    @Test func curlIsGivenLessTimeThanTheCheckAndNoProxy() {
        let arguments = CurlCheck.arguments(url: "https://10.0.0.5/", verifyCertificate: false, timeout: .seconds(2))
        #expect(arguments.first == "-q")
        #expect(arguments.contains("--insecure"))
        #expect(arguments.split(separator: "--max-time").last?.first == "1.800")
        #expect(!CurlCheck.arguments(url: "https://10.0.0.5/", verifyCertificate: true, timeout: .milliseconds(50)).contains("--insecure"))
        #expect(CurlCheck.outcome(exitCode: 28, output: "curl: (28) Operation timed out\nHTTP 000\n", expect: .success, latency: .zero) == .timedOut)
    }
}

// MARK: Test fixtures

/// A directory under /tmp, removed with everything in it when the value goes.
private final class TemporaryDirectory {
    let path: String
    init() throws {
        var template = Array("/tmp/hb-checks-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { throw SystemError("mkdtemp") }
        path = String(cString: made)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A TCP socket bound to an ephemeral port of `address`; listening unless asked not to (then a
/// connect to its port is refused). Closed when the value goes.
private final class Listener {
    let fd: Int32
    let port: UInt16
    private let address: String

    init(address: String, listen shouldListen: Bool = true, backlog: Int32 = 16) throws {
        self.address = address
        let target = try #require(NumericSocketAddress(host: address, port: 1))
        let fd = socket(target.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        let bound = try #require(NumericSocketAddress(host: address, port: 0)).withSockaddr { Glibc.bind(fd, $0, $1) }
        guard bound == 0, !shouldListen || Glibc.listen(fd, backlog) == 0 else {
            close(fd)
            throw SystemError("bind/listen \(address)")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        // sin_port and sin6_port sit at the same offset, in network order.
        port = withUnsafeBytes(of: storage) { UInt16($0[2]) << 8 | UInt16($0[3]) }
        self.fd = fd
    }

    deinit { close(fd) }

    func connectNonBlocking() throws -> Int32 {
        let target = try #require(NumericSocketAddress(host: address, port: port))
        let client = socket(target.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        _ = target.connect(client)
        return client
    }
}

/// An HTTP server on 127.0.0.1 that runs on the test's event loop: it answers each path with the
/// status line given (404 for the rest) and records each request's first two lines.
private final class TinyHTTPServer {
    private let listener: Listener
    private let answers: [String: String]
    private(set) var requests: [String] = []
    private var tokens: [Int32: UInt64] = [:]
    var port: UInt16 { listener.port }

    init(answers: [String: String]) throws {
        listener = try Listener(address: "127.0.0.1")
        self.answers = answers
    }

    func serve(_ loop: EventLoop) throws {
        try loop.watch(listener.fd) { [unowned self] in
            let client = accept(self.listener.fd, nil, nil)
            guard client >= 0 else { return }
            self.tokens[client] = try? loop.watch(client) { self.answer(client, loop: loop) }
        }
    }

    private func answer(_ client: Int32, loop: EventLoop) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
        guard count > 0 else { return }
        let request = String(decoding: buffer.prefix(count), as: UTF8.self)
        let lines = request.components(separatedBy: "\r\n")
        requests.append(lines.prefix(2).joined(separator: "\r\n") + "\r\n")
        let path = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        let response = "HTTP/1.0 \(answers[path] ?? "404 Not Found")\r\nContent-Length: 0\r\n\r\n"
        _ = response.withCString { write(client, $0, strlen($0)) }
        if let token = tokens.removeValue(forKey: client) { loop.remove(client, token: token) }
        close(client)
    }
}

/// A server process of a test, in its own process group, stopped (and waited for) at the end.
private final class BackgroundProcess {
    let pid: pid_t
    init(path: String, arguments: [String]) throws {
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(devNull) }
        pid = try ChildProcess.spawn(path: path, arguments: arguments, environment: ["PATH=/usr/bin:/bin"], output: devNull)
    }
    func stop() {
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}

/// Whether a blocking connect to 127.0.0.1:`port` succeeds within 10 s.
private func waitUntilListening(port: UInt16) -> Bool {
    let giveUp = EventLoop.now() + .seconds(10)
    while EventLoop.now() < giveUp {
        guard let target = NumericSocketAddress(host: "127.0.0.1", port: port) else { return false }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let connected = target.connect(fd) == 0
        close(fd)
        if connected { return true }
        usleep(50_000)
    }
    return false
}

/// Whether process `pid` is gone (or a zombie no one waited for yet) within 3 s.
private func waitUntilGone(_ pid: pid_t) -> Bool {
    let giveUp = EventLoop.now() + .seconds(3)
    while EventLoop.now() < giveUp {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // The state follows the command name in parentheses: "123 (sleep) Z ...".
        if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
        usleep(20_000)
    }
    return false
}
