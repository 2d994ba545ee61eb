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
        /// What a child process of the check gets (`exec:`, `status`, `https://`); a socket check needs none.
        var environment: [String] = []
        let started: Instant
        let deadline: Instant
        var child: Child?
        var connection: Connection?
        /// `.status`: the resource whose `status` runs now.
        var resourceIndex = 0
        /// An end known while `start` still ran (nothing to run, refused at once): reported from
        /// the next timer tick, so the core never hears of a check inside its own effect.
        var decided: CheckOutcome?

        init(run: CheckRun, started: Instant) {
            self.run = run
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
        var target: SocketTarget
        /// Until the connect ends; then an `http://` check waits for its answer.
        var connecting = true
        var response: [UInt8] = []
    }

    /// Output kept per child: enough for a status line, curl's report or an error's first line.
    private static let outputLimit = 4096
    /// The part of an HTTP answer read for its status line.
    private static let responseLimit = 1024

    private let loop: EventLoop
    private let onFinished: (CheckRun.ID, CheckOutcome) -> Void
    private var checks: [CheckRun.ID: Check] = [:]
    /// Each socket line's address and request, made once: a check every second need not parse
    /// its URL and address again. Keyed by the line's index, kept while its check is the same.
    private var socketTargets: [Int: (check: MonitorSpec.Check, target: SocketTarget)] = [:]
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
    /// It is evaluated only for a check that starts a process.
    public func start(_ run: CheckRun, environment: @autoclosure () -> [String]) {
        guard checks[run.id] == nil else { return }
        let check = Check(run: run, started: EventLoop.now())
        checks[run.id] = check
        starting = true
        defer { starting = false }
        switch run.check {
        case .status:
            check.environment = environment()
            runNextStatus(check)
        case .exec(let path, let arguments):
            check.environment = environment()
            spawn(check, path: path, arguments: arguments)
        case .http(let url, _, let verifyCertificate) where url.hasPrefix("https://"):
            check.environment = environment()
            guard let curl = ChildProcess.executable(named: "curl", environment: check.environment) else {
                return conclude(check, failure: "https checks need curl, which is not in PATH")
            }
            spawn(check, path: curl, arguments: CurlCheck.arguments(url: url, verifyCertificate: verifyCertificate, timeout: run.timeout))
        case .tcp, .http:
            do {
                try connect(check, to: socketTarget(for: run))
            } catch {
                conclude(check, failure: error.detail)
            }
        }
    }

    private func socketTarget(for run: CheckRun) throws(SocketTarget.Unusable) -> SocketTarget {
        if let kept = socketTargets[run.monitor], kept.check == run.check { return kept.target }
        let target = try SocketTarget(run.check)
        socketTargets[run.monitor] = (run.check, target)
        return target
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

    /// When `enforceTimeouts` next has something to do, if any check runs. Asked after every
    /// event, so found without building an array.
    public var nextDeadline: Instant? {
        var earliest: Instant?
        for check in checks.values {
            let due = check.decided == nil ? check.deadline : check.started
            if earliest.map({ due < $0 }) ?? true { earliest = due }
        }
        return earliest
    }

    /// Reports the checks decided in `start`, and those past their timeout as `.timedOut`.
    public func enforceTimeouts(now: Instant) {
        guard let next = nextDeadline, now >= next else { return }
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
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer in
            while true {
                let count = read(child.pipe, buffer.baseAddress, buffer.count)
                if count > 0 {
                    // Read on past the limit all the same: a child must never block on a full pipe.
                    child.output += buffer.prefix(min(count, Self.outputLimit - child.output.count))
                    continue
                }
                if count == 0 { closePipe(&child) }
                break
            }
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

    /// One socket, one non-blocking connect and one edge-triggered registration for the whole check.
    private func connect(_ check: Check, to target: SocketTarget) {
        let fd = socket(target.address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return conclude(check, failure: Self.errorText(errno)) }
        let id = check.run.id
        guard target.address.connect(fd) == 0 || errno == EINPROGRESS,
              let token = try? loop.watchConnection(fd, { [unowned self] in self.connectionChanged(id) }) else {
            let error = errno
            close(fd)
            return conclude(check, failure: Self.errorText(error))
        }
        check.connection = Connection(fd: fd, token: token, target: target)
    }

    private func connectionChanged(_ id: CheckRun.ID) {
        guard let check = checks[id], let connection = check.connection else { return }
        if connection.connecting { connected(check, connection) } else { answered(check, connection) }
    }

    private func connected(_ check: Check, _ connection: Connection) {
        var connection = connection
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else { return conclude(check, failure: Self.errorText(error)) }
        guard let request = connection.target.request else { return conclude(check, .passed(latency: latency(of: check))) }
        // A request this small always fits a fresh connection's send buffer.
        // MSG_NOSIGNAL: a server that already hung up is a failed check, not a SIGPIPE.
        let written = request.withUnsafeBytes { send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard written == request.count else { return conclude(check, failure: "cannot send the request: \(Self.errorText(errno))") }
        connection.connecting = false
        // Later data raises the next edge on the same registration; data already in (a server
        // that speaks first) raised none of its own, so it is read now.
        answered(check, connection)
    }

    private func answered(_ check: Check, _ connection: Connection) {
        var connection = connection
        // Edge-triggered: read until the socket is empty, unless the status line is in first.
        let ended: Int32? = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.responseLimit) { buffer in
            while true {
                let count = read(connection.fd, buffer.baseAddress, Self.responseLimit - connection.response.count)
                if count < 0, errno == EINTR { continue }
                if count < 0 { return errno == EAGAIN ? nil : errno }
                let new = buffer.prefix(count)
                connection.response += new
                if count == 0 || new.contains(UInt8(ascii: "\n")) || connection.response.count >= Self.responseLimit { return 0 }
            }
        }
        guard let ended else {
            check.connection = connection
            return
        }
        guard ended == 0 else { return conclude(check, failure: Self.errorText(ended)) }
        guard let code = HTTPTarget.statusCode(of: connection.response) else {
            return conclude(check, failure: connection.response.isEmpty ? "connection closed without an answer" : "no HTTP status line")
        }
        conclude(check, connection.target.expect.accepts(code) ? .passed(latency: latency(of: check))
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
