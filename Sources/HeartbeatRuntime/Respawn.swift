import CSystem
import Glibc
import HeartbeatCore

/// The `respawn` and `failfast` clients (spec §7.4): started once communications are up, as the
/// given user and its primary group, with stdio on /dev/null, via `/bin/sh -c "exec COMMAND"`;
/// restarted by `RespawnPolicy`; stopped with SIGTERM in reverse order at shutdown.
///
/// A client whose program is `ipfail` is not started: ping-node arbitration is built into this
/// daemon (the ping-node work reads such a line as turning it on).
public final class RespawnClients {
    private struct Client {
        var entry: RespawnEntry
        var pid: pid_t?
        var startedAt = Instant.zero
        var policy = RespawnPolicy()
    }

    private var clients: [Client]
    private let environment: [String]
    private let logger: Logger
    private var stopping = false

    public init(entries: [RespawnEntry], environment: [String], logger: Logger) {
        clients = entries.map { Client(entry: $0) }
        self.environment = environment
        self.logger = logger
    }

    /// Called once, at comm-up.
    public func startAll() {
        for index in clients.indices {
            if clients[index].entry.isBuiltInArbitration {
                logger.log(.info, "Not starting \(clients[index].entry.path): ping-node arbitration (ipfail) is built into this heartbeat.")
                continue
            }
            start(index)
        }
    }

    private func start(_ index: Int) {
        let entry = clients[index].entry
        guard let account = getpwnam(entry.user) else {
            logger.log(.error, "Cannot start client \(entry.command): no user [\(entry.user)]")
            return
        }
        let uid = account.pointee.pw_uid
        let gid = account.pointee.pw_gid
        let words: [String] = ["/bin/sh", "-c", "exec " + entry.command]
        let argv = words.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let pid = hb_spawn_as("/bin/sh", argv, envp, uid, gid)
        guard pid > 0 else {
            logger.log(.error, "Cannot start client \(entry.command): \(String(cString: strerror(errno)))")
            return
        }
        clients[index].pid = pid
        clients[index].startedAt = EventLoop.now()
        logger.log(.info, "Starting \"\(entry.command)\" as uid \(uid)  gid \(gid) (pid \(pid))")
    }

    /// A reaped child that is not a script. Nothing is restarted (or rebooted for) while the
    /// daemon shuts down. Returns whether it was one of ours.
    @discardableResult
    public func exited(pid: pid_t, status: Int32, shuttingDown: Bool) -> Bool {
        guard let index = clients.firstIndex(where: { $0.pid == pid }) else { return false }
        clients[index].pid = nil
        guard !stopping, !shuttingDown else { return true }
        let entry = clients[index].entry
        let exitCode: Int32? = status & 0x7f == 0 ? (status >> 8) & 0xff : nil
        let how = exitCode.map { "exit code \($0)" } ?? "signal \(status & 0x7f)"
        let ranFor = EventLoop.now() - clients[index].startedAt
        switch clients[index].policy.exited(exitCode: exitCode, ranFor: ranFor, failfast: entry.failfast) {
        case .reboot:
            logger.log(.critical, "Client \"\(entry.command)\" (pid \(pid)) died with \(how): failfast, rebooting this node.")
            hb_reboot_now()
        case .stayDown:
            logger.log(.info, "Client \"\(entry.command)\" exited with return code \(RespawnPolicy.doNotRespawn): not respawning it.")
        case .tooFast:
            logger.log(.error, "Client \"\(entry.command)\" respawning too fast: left stopped.")
        case .restart:
            logger.log(.warning, "Client \"\(entry.command)\" (pid \(pid)) died with \(how) after \(ranFor.milliseconds) ms: respawning.")
            start(index)
        }
        return true
    }

    /// Shutdown (spec §5.8): SIGTERM to each running client, last first, then up to `grace` for
    /// them to exit.
    public func stopAll(grace: Duration = .seconds(1)) {
        stopping = true
        for client in clients.reversed() {
            guard let pid = client.pid else { continue }
            logger.log(.info, "Stopping client \"\(client.entry.command)\" (pid \(pid)) with SIGTERM")
            kill(pid, SIGTERM)
        }
        let deadline = EventLoop.now() + grace
        while clients.contains(where: { $0.pid != nil }), EventLoop.now() < deadline {
            for index in clients.indices {
                guard let pid = clients[index].pid else { continue }
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { clients[index].pid = nil }
            }
            usleep(10_000)
        }
    }
}
