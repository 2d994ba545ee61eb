import CSystem
import Glibc
import HeartbeatCore

/// Runs resource and event scripts as child processes without ever blocking the event loop:
/// output is collected from a non-blocking pipe, exits arrive through SIGCHLD, and a script that
/// outlives its timeout is killed with its whole process group.
public final class ScriptRunner {
    public struct Finished: Sendable {
        public var id: UInt64
        public var exitCode: Int32
        /// stdout and stderr together, at most `ScriptRunner.outputLimit` bytes.
        public var output: String
        public var timedOut: Bool
        public var duration: Duration
    }

    /// Output kept per script; the rest is dropped (and said so in the debug log).
    public static let outputLimit = 65_536
    private static let killGrace: Duration = .seconds(5)

    private struct Child {
        var id: UInt64
        var pipe: Int32
        var token: UInt64
        var output: [UInt8] = []
        var started: Instant
        var deadline: Instant
        var killedAt: Instant?
    }

    private let loop: EventLoop
    private let onFinished: (Finished) -> Void
    private var children: [pid_t: Child] = [:]

    public init(loop: EventLoop, onFinished: @escaping (Finished) -> Void) {
        self.loop = loop
        self.onFinished = onFinished
    }

    public var running: Int { children.count }

    /// Starts `path arguments…` with exactly `environment` ("NAME=value" entries).
    public func run(id: UInt64, path: String, arguments: [String], environment: [String], timeout: Duration) throws(SystemError) {
        var fds: [Int32] = [0, 0]
        guard hb_pipe_cloexec_nonblock(&fds) == 0 else { throw SystemError("pipe2") }
        let pid: pid_t
        do {
            pid = try ChildProcess.spawn(path: path, arguments: arguments, environment: environment, output: fds[1])
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
        close(fds[1])
        let now = EventLoop.now()
        let reader = fds[0]
        let token = try loop.watch(reader) { [unowned self] in self.readOutput(of: pid) }
        children[pid] = Child(id: id, pipe: reader, token: token, started: now, deadline: now + timeout)
    }

    /// Call on SIGCHLD: reaps every exited child and reports it; children that are not scripts
    /// (respawned clients, checks) go to `other` with their wait status. Without `other` only the
    /// scripts are waited for, so children of anyone else in the process are left to their owner.
    public func reap(other: ((pid_t, Int32) -> Void)? = nil) {
        guard let other else {
            for pid in children.keys {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid, let child = children.removeValue(forKey: pid) {
                    finish(child, pid: pid, status: status)
                }
            }
            return
        }
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            guard let child = children.removeValue(forKey: pid) else {
                other(pid, status)
                continue
            }
            finish(child, pid: pid, status: status)
        }
    }

    /// When `enforceTimeouts` next has something to do, if any script runs.
    public var nextDeadline: Instant? {
        children.values.map { $0.killedAt.map { $0 + Self.killGrace } ?? $0.deadline }.min()
    }

    /// Kills children past their deadline (SIGTERM to the group, SIGKILL after a grace period).
    public func enforceTimeouts(now: Instant) {
        for (pid, child) in children {
            if let killedAt = child.killedAt {
                if now >= killedAt + Self.killGrace { kill(-pid, SIGKILL) }
            } else if now >= child.deadline {
                kill(-pid, SIGTERM)
                children[pid]?.killedAt = now
            }
        }
    }

    private func readOutput(of pid: pid_t) {
        guard var child = children[pid] else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(child.pipe, $0.baseAddress, $0.count) }
            if count > 0 {
                let room = Self.outputLimit - child.output.count
                if room > 0 { child.output += buffer[0..<min(count, room)] }
                continue
            }
            if count == 0 {
                // Every writer closed the pipe; the exit itself still comes through SIGCHLD.
                loop.remove(child.pipe, token: child.token)
                close(child.pipe)
                child.pipe = -1
            }
            break
        }
        children[pid] = child
    }

    private func finish(_ child: Child, pid: pid_t, status: Int32) {
        var child = child
        children[pid] = child
        if child.pipe >= 0 { readOutput(of: pid) }
        child = children.removeValue(forKey: pid) ?? child
        // A background process the script left (arping, say) may still hold the pipe: stop listening.
        if child.pipe >= 0 {
            loop.remove(child.pipe, token: child.token)
            close(child.pipe)
        }
        onFinished(Finished(
            id: child.id, exitCode: ChildProcess.exitCode(fromWaitStatus: status), output: String(decoding: child.output, as: UTF8.self),
            timedOut: child.killedAt != nil, duration: EventLoop.now() - child.started))
    }
}
