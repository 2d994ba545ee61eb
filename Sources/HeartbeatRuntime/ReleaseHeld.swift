import Glibc
import HeartbeatCore

/// `heartbeat --release-held`: stops what a daemon that died without releasing its groups
/// (SIGKILL, a crash) recorded as held here, so that only the peer answers for its addresses.
/// systemd runs it as the unit's `ExecStopPost=`; after a clean stop the record is empty and it
/// does nothing. It refuses to run while this node's daemon is alive: that daemon owns the groups.
public func releaseHeldGroups(paths: DaemonPaths, options: DaemonOptions) -> Int32 {
    if let pid = runningPid(pidFile: paths.pidFile) {
        writeError("heartbeat: the daemon [pid \(pid)] is running and holds its groups itself (heartbeat -k releases them)\n")
        return 1
    }
    let (loaded, diagnostics) = loadConfiguration(paths: paths)
    // Warnings were the daemon's to give at its start; this runs after every stop.
    for diagnostic in diagnostics where diagnostic.severity == .error { writeError("\(diagnostic)\n") }
    guard let config = loaded else {
        writeError("heartbeat: configuration has errors; nothing released\n")
        return 1
    }
    var foreground = options
    foreground.foreground = true
    let logger = Logger(destinations: Daemon.logDestinations(config, foreground))
    let state = StateFiles(directory: paths.stateDir)
    let (held, note) = state.loadHeldGroups(configured: config.resourceGroups)
    if let (level, text) = note { logger.log(level, text) }
    guard !held.isEmpty else { return 0 }
    let environment = ScriptEnvironment(config: config, paths: paths).entries()
    var release = HeldGroupsRelease(
        timings: .standard,
        run: { resource, operation, timeout in
            logger.log(.info, "Running \(([resource.script] + resource.arguments + [operation.rawValue]).joined(separator: " "))")
            return runToEnd(path: resource.path, arguments: resource.arguments + [operation.rawValue],
                            environment: environment, timeout: timeout)
        },
        pause: { usleep(UInt32($0.milliseconds * 1000)) },
        log: { logger.log($0, $1) },
        save: { (remaining: HeldGroups) throws(SystemError) in try state.saveHeldGroups(remaining) })
    return release.release(held).isEmpty ? 0 : 1
}

/// The release itself, with the scripts, the clock and the record passed in so that its order and
/// its handling of failed stops can be tested. Stops follow the daemon's rules (spec §6.2): a failed
/// stop is retried, then `status` decides; a resource that still runs keeps its group recorded.
struct HeldGroupsRelease {
    /// Runs one script to its end: its exit code (nil when it timed out) and output.
    typealias RunScript = (Resource, ScriptOperation, Duration) -> (exitCode: Int32?, output: String)

    var timings: ScriptTimings
    var run: RunScript
    var pause: (Duration) -> Void
    var log: (LogLevel, String) -> Void
    var save: (HeldGroups) throws(SystemError) -> Void

    /// Returns what is still held: the groups a stop could not end.
    mutating func release(_ held: HeldGroups) -> HeldGroups {
        var remaining = held
        log(.info, "Releasing resource groups a stopped daemon left held: \(held.keys.joined(separator: " "))")
        for group in held.releaseOrder {
            log(.info, "Releasing resource group: \(([group.preferredNode] + group.resources.reversed().map(\.token)).joined(separator: " "))")
            guard group.resources.allSatisfy({ stop($0) }) else {
                log(.critical, "Resource group \(group.key) still runs here: it stays recorded as held")
                continue
            }
            remaining.remove(key: group.key)
            do {
                try save(remaining)
            } catch {
                log(.error, "Cannot record held resource groups: \(error)")
            }
        }
        if remaining.isEmpty { log(.info, "All held resource groups released.") }
        return remaining
    }

    /// Whether the resource is stopped in the end.
    private func stop(_ resource: Resource) -> Bool {
        for attempt in 0...timings.stopRetryMax {
            if attempt > 0 {
                pause(timings.stopRetryDelay)
                log(.info, "Retrying failed stop operation [\(resource.token)]")
            }
            switch run(resource, .stop, timings.stopTimeout).exitCode {
            case 0?: return true
            case let code?: log(.error, "Return code \(code) from \(resource.token) stop")
            case nil: log(.error, "Resource script \(resource.token) stop timed out")
            }
        }
        let status = run(resource, .status, timings.statusTimeout)
        if status.exitCode != nil, !StatusOutput.saysRunning(status.output) {
            log(.warning, "it (\(resource.token)) MUST succeed on a stop when already stopped")
            return true
        }
        log(.critical, "Resource STOP failure: \(resource.token) still running.")
        return false
    }
}

/// Runs one script outside the daemon's loop and waits for it, killing it after `timeout` as the
/// daemon would. Exits are polled, since this runs without the daemon's signal handling.
func runToEnd(path: String, arguments: [String], environment: [String], timeout: Duration) -> (exitCode: Int32?, output: String) {
    do {
        let loop = try EventLoop()
        var finished: ScriptRunner.Finished?
        let runner = ScriptRunner(loop: loop) { finished = $0 }
        try runner.run(id: 0, path: path, arguments: arguments, environment: environment, timeout: timeout)
        func poll() {
            runner.reap()
            runner.enforceTimeouts(now: EventLoop.now())
            if finished != nil { loop.stop() } else { loop.setDeadline(EventLoop.now() + .milliseconds(10), poll) }
        }
        loop.setDeadline(EventLoop.now() + .milliseconds(10), poll)
        loop.run()
        guard let finished else { return (127, "") }
        return (finished.timedOut ? nil : finished.exitCode, finished.output)
    } catch {
        return (127, "\(error)")
    }
}
