import Glibc
import HeartbeatCore

/// What `heartbeat -V` prints. We report 3.0.6's version so scripts that check it keep working.
public let heartbeatVersion = "3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)"

/// Choices made on the daemon's command line.
public struct DaemonOptions: Sendable {
    public var foreground = false
    public var debugBoost = 0
    public var realtimeAllowed = true
    public var manageResources = true
    public var verbose = false

    public init() {}
}

public func writeError(_ text: String) { writeAll(text, to: STDERR_FILENO) }

/// `heartbeat -s`: 3.0.6's status line and exit codes (0 running, 3 stopped, 1 stale pidfile).
public func reportStatus(paths: DaemonPaths) -> Int32 {
    if let pid = runningPid(pidFile: paths.pidFile) {
        var name = utsname()
        uname(&name)
        let host = withUnsafeBytes(of: &name.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        print("heartbeat OK [pid \(pid) et al] is running on \(host) [\(NodeName(host))]...")
        return 0
    }
    print("heartbeat is stopped. No process")
    return readSmallFile(paths.pidFile, limit: 64) == nil ? 3 : 1
}

/// `heartbeat -k`: asks the daemon to shut down (it releases its resources first) and waits for it to go.
public func stopDaemon(paths: DaemonPaths, patience: Duration = .seconds(600)) -> Int32 {
    guard let pid = runningPid(pidFile: paths.pidFile) else {
        print("heartbeat is stopped. No process")
        return 0
    }
    guard kill(pid, SIGTERM) == 0 else {
        writeError("heartbeat: cannot signal process \(pid): \(String(cString: strerror(errno)))\n")
        return 1
    }
    let deadline = EventLoop.now() + patience
    while kill(pid, 0) == 0 {
        if EventLoop.now() > deadline {
            writeError("heartbeat: process \(pid) did not stop within \(patience)\n")
            return 1
        }
        usleep(50_000)
    }
    return 0
}

/// `heartbeat -r`: validates the configuration first; only a clean one is handed to the daemon (SIGHUP).
public func reloadDaemon(paths: DaemonPaths) -> Int32 {
    let (config, diagnostics) = loadConfiguration(paths: paths)
    for diagnostic in diagnostics { writeError("\(diagnostic)\n") }
    guard config != nil else {
        writeError("heartbeat: configuration has errors; the running daemon was not changed\n")
        return 1
    }
    guard let pid = runningPid(pidFile: paths.pidFile) else {
        writeError("heartbeat: not running\n")
        return 1
    }
    return kill(pid, SIGHUP) == 0 ? 0 : 1
}
