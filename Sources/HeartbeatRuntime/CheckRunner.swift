import CSystem
import Glibc
import HeartbeatCore

/// Carries out the core's checks (`Node.Effect.runCheck`) on the event loop without ever blocking
/// it, so a check never delays membership: `exec:`, `status` and `https://` (through curl) run as
/// child processes, each in its own process group; `tcp:` and `http://` are non-blocking sockets
/// to numeric addresses. Every check ends in exactly one report, with its latency on the monotonic
/// clock, unless it is cancelled. At its timeout a check is reported `.timedOut` and killed: a
/// child with its whole process group by SIGKILL, since a hanging check deserves no grace.
public final class CheckRunner {
    private final class Check {
        let run: CheckRun
        let environment: [String]
        let started: Instant
        let deadline: Instant
        var child: Child?
        var connection: Connection?
        /// `.status`: the resource whose `status` runs now.
        var resourceIndex = 0
        /// An end known while `start` still ran (nothing to run, refused at once): reported from
        /// the next timer tick, so the core never hears of a check inside its own effect.
        var decided: CheckOutcome?

        init(run: CheckRun, environment: [String], started: Instant) {
            self.run = run
            self.environment = environment
            self.started = started
            deadline = started + run.timeout
        }
    }

    private struct Child {
        var pid: pid_t
        var pipe: Int32
        var token: UInt64
        var output: [UInt8] = []
    }

    private struct Connection {
        var fd: Int32
        var token: UInt64
        /// `http://`: sent once connected; `tcp:` has none and passes on connect.
        var request: [UInt8]?
        var expect: HTTPExpectation
        var response: [UInt8] = []
    }

    /// Output kept per child: enough for a status line, curl's report or an error's first line.
    private static let outputLimit = 4096
    /// The part of an HTTP answer read for its status line.
    private static let responseLimit = 1024

    private let loop: EventLoop
    private let onFinished: (CheckRun.ID, CheckOutcome) -> Void
    private var checks: [CheckRun.ID: Check] = [:]
    /// Children killed at a timeout or a cancel, reaped quietly when they exit.
    private var killed: Set<pid_t> = []
    private var starting = false

    public init(loop: EventLoop, onFinished: @escaping (CheckRun.ID, CheckOutcome) -> Void) {
        self.loop = loop
        self.onFinished = onFinished
    }

    /// Checks started and not yet reported or cancelled.
    public var running: Int { checks.count }

    /// Children killed at a timeout or a cancel that have not been reaped yet.
    var killedChildren: Int { killed.count }

    /// Starts one check; child processes get `environment` ("NAME=value" entries), as scripts do.
    public func start(_ run: CheckRun, environment: [String]) {
        guard checks[run.id] == nil else { return }
        let check = Check(run: run, environment: environment, started: EventLoop.now())
        checks[run.id] = check
        starting = true
        defer { starting = false }
        switch run.check {
        case .status:
            runNextStatus(check)
        case .exec(let path, let arguments):
            spawn(check, path: path, arguments: arguments)
        case .tcp(let host, let port):
            connect(check, host: host, port: port, request: nil, expect: .success)
        case .http(let url, let expect, let verifyCertificate):
            if url.hasPrefix("https://") {
                guard let curl = ChildProcess.executable(named: "curl", environment: environment) else {
                    return conclude(check, failure: "https checks need curl, which is not in PATH")
                }
                spawn(check, path: curl, arguments: CurlCheck.arguments(url: url, verifyCertificate: verifyCertificate, timeout: run.timeout))
            } else if let target = HTTPTarget(url: url) {
                connect(check, host: target.host, port: target.port, request: Array(target.request.utf8), expect: expect)
            } else {
                conclude(check, failure: "\(url) is not http://ADDRESS[:PORT]/PATH")
            }
        }
    }

    /// Kills a check and forgets it; no report follows.
    public func cancel(_ id: CheckRun.ID) {
        guard let check = checks.removeValue(forKey: id) else { return }
        abandon(check)
    }

    /// The daemon is exiting: every check is killed, none reported.
    public func cancelAll() {
        for id in Array(checks.keys) { cancel(id) }
    }

    /// When `enforceTimeouts` next has something to do, if any check runs.
    public var nextDeadline: Instant? {
        checks.values.map { $0.decided == nil ? $0.deadline : $0.started }.min()
    }

    /// Reports the checks decided in `start`, and those past their timeout as `.timedOut`.
    public func enforceTimeouts(now: Instant) {
        let due = checks.values.filter { $0.decided != nil || now >= $0.deadline }.sorted { $0.run.id < $1.run.id }
        for check in due {
            // A report before this one may have led the core to cancel it.
            guard checks.removeValue(forKey: check.run.id) != nil else { continue }
            if let decided = check.decided {
                onFinished(check.run.id, decided)
            } else {
                abandon(check)
                onFinished(check.run.id, .timedOut)
            }
        }
    }

    /// Waits for this runner's own children that exited (by pid: other children are not ours).
    public func reap() {
        let pids = Array(killed) + checks.values.compactMap { $0.child?.pid }
        for pid in pids {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { _ = reaped(pid: pid, status: status) }
        }
    }

    /// A child someone else reaped (the daemon's SIGCHLD handler waits for any child): whether it was ours.
    public func reaped(pid: pid_t, status: Int32) -> Bool {
        if killed.remove(pid) != nil { return true }
        guard let check = checks.values.first(where: { $0.child?.pid == pid }) else { return false }
        childExited(check, status: status)
        return true
    }

    // MARK: Child processes

    private func spawn(_ check: Check, path: String, arguments: [String]) {
        var fds: [Int32] = [0, 0]
        guard hb_pipe_cloexec_nonblock(&fds) == 0 else { return conclude(check, failure: "cannot run \(path): \(SystemError("pipe2"))") }
        let id = check.run.id
        do {
            let token = try loop.watch(fds[0]) { [unowned self] in self.readOutput(of: id) }
            do {
                let pid = try ChildProcess.spawn(path: path, arguments: arguments, environment: check.environment, output: fds[1])
                close(fds[1])
                check.child = Child(pid: pid, pipe: fds[0], token: token)
            } catch {
                loop.remove(fds[0], token: token)
                throw error
            }
        } catch {
            close(fds[0])
            close(fds[1])
            conclude(check, failure: "cannot run \(path): \(error)")
        }
    }

    private func runNextStatus(_ check: Check) {
        guard check.resourceIndex < check.run.resources.count else { return conclude(check, .passed(latency: latency(of: check))) }
        let resource = check.run.resources[check.resourceIndex]
        spawn(check, path: resource.path, arguments: resource.arguments + ["status"])
    }

    private func readOutput(of id: CheckRun.ID) {
        guard let check = checks[id], var child = check.child, child.pipe >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(child.pipe, $0.baseAddress, $0.count) }
            if count > 0 {
                // Read on past the limit all the same: a child must never block on a full pipe.
                child.output += buffer.prefix(min(count, Self.outputLimit - child.output.count))
                continue
            }
            if count == 0 { closePipe(&child) }
            break
        }
        check.child = child
    }

    private func closePipe(_ child: inout Child) {
        guard child.pipe >= 0 else { return }
        loop.remove(child.pipe, token: child.token)
        close(child.pipe)
        child.pipe = -1
    }

    private func childExited(_ check: Check, status: Int32) {
        readOutput(of: check.run.id)
        guard var child = check.child else { return }
        // A background process the child left may still hold the pipe: its output is not waited for.
        closePipe(&child)
        check.child = nil
        let output = String(decoding: child.output, as: UTF8.self)
        let exitCode = ChildProcess.exitCode(fromWaitStatus: status)
        switch check.run.check {
        case .status:
            // 3.0.6's rule reads the output, not the exit code (StatusOutput).
            let resource = check.run.resources[check.resourceIndex]
            guard StatusOutput.saysRunning(output) else { return conclude(check, failure: "resource \(resource.token) not running") }
            check.resourceIndex += 1
            runNextStatus(check)
        case .exec:
            conclude(check, exitCode == 0 ? .passed(latency: latency(of: check))
                                          : .failed(latency: latency(of: check), detail: Self.describe(exitCode, output)))
        case .http(_, let expect, _):
            conclude(check, CurlCheck.outcome(exitCode: exitCode, output: output, expect: expect, latency: latency(of: check)))
        case .tcp:
            break
        }
    }

    /// "exit 1: first line of output", or "killed by signal 9".
    private static func describe(_ exitCode: Int32, _ output: String) -> String {
        if exitCode > 128 { return "killed by signal \(exitCode - 128)" }
        let firstLine = output.split(separator: "\n").first.map { ": " + $0.prefix(120) } ?? ""
        return "exit \(exitCode)\(firstLine)"
    }

    // MARK: Sockets

    private func connect(_ check: Check, host: String, port: UInt16, request: [UInt8]?, expect: HTTPExpectation) {
        guard let address = NumericSocketAddress(host: host, port: port) else {
            return conclude(check, failure: "\(host) is not a numeric IPv4 or IPv6 address")
        }
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return conclude(check, failure: Self.errorText(errno)) }
        let id = check.run.id
        guard address.connect(fd) == 0 || errno == EINPROGRESS,
              let token = try? loop.watchWritable(fd, { [unowned self] in self.connected(id) }) else {
            let error = errno
            close(fd)
            return conclude(check, failure: Self.errorText(error))
        }
        check.connection = Connection(fd: fd, token: token, request: request, expect: expect)
    }

    private func connected(_ id: CheckRun.ID) {
        guard let check = checks[id], var connection = check.connection else { return }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else { return conclude(check, failure: Self.errorText(error)) }
        guard let request = connection.request else { return conclude(check, .passed(latency: latency(of: check))) }
        // A request this small always fits a fresh connection's send buffer.
        // MSG_NOSIGNAL: a server that already hung up is a failed check, not a SIGPIPE.
        let written = request.withUnsafeBytes { send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard written == request.count else { return conclude(check, failure: "cannot send the request: \(Self.errorText(errno))") }
        loop.remove(connection.fd, token: connection.token)
        guard let token = try? loop.watch(connection.fd, { [unowned self] in self.answered(id) }) else {
            return conclude(check, failure: Self.errorText(errno))
        }
        connection.token = token
        check.connection = connection
    }

    private func answered(_ id: CheckRun.ID) {
        guard let check = checks[id], var connection = check.connection else { return }
        var buffer = [UInt8](repeating: 0, count: Self.responseLimit)
        let count = buffer.withUnsafeMutableBytes { read(connection.fd, $0.baseAddress, $0.count) }
        if count < 0, errno == EAGAIN || errno == EINTR { return }
        if count < 0 { return conclude(check, failure: Self.errorText(errno)) }
        connection.response += buffer.prefix(min(count, Self.responseLimit - connection.response.count))
        check.connection = connection
        let complete = count == 0 || connection.response.count >= Self.responseLimit || connection.response.contains(UInt8(ascii: "\n"))
        guard complete else { return }
        guard let code = HTTPTarget.statusCode(of: connection.response) else {
            return conclude(check, failure: connection.response.isEmpty ? "connection closed without an answer" : "no HTTP status line")
        }
        conclude(check, connection.expect.accepts(code) ? .passed(latency: latency(of: check))
                                                        : .failed(latency: latency(of: check), detail: "HTTP \(code)"))
    }

    /// "connection refused": strerror's text, lower-cased first letter, as the log lines put it.
    private static func errorText(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    // MARK: Ends

    private func latency(of check: Check) -> Duration { EventLoop.now() - check.started }

    private func conclude(_ check: Check, failure detail: String) {
        conclude(check, .failed(latency: latency(of: check), detail: detail))
    }

    /// The check's end: what it holds is released, and the core hears of it (from `start`: at the next tick).
    private func conclude(_ check: Check, _ outcome: CheckOutcome) {
        release(check)
        if starting {
            check.decided = outcome
            return
        }
        checks[check.run.id] = nil
        onFinished(check.run.id, outcome)
    }

    /// Kills what still runs of a check and releases its descriptors.
    private func abandon(_ check: Check) {
        if let pid = check.child?.pid {
            kill(-pid, SIGKILL)
            killed.insert(pid)
        }
        release(check)
    }

    private func release(_ check: Check) {
        if var child = check.child {
            closePipe(&child)
        }
        check.child = nil
        if let connection = check.connection {
            loop.remove(connection.fd, token: connection.token)
            close(connection.fd)
        }
        check.connection = nil
    }
}
