import Glibc

/// Where the daemon and its tools find config, state and run-time files. Every path can be overridden
/// by a flag or an environment variable so tests and demos run in temporary directories.
public struct DaemonPaths: Sendable {
    public var configDir: String
    public var stateDir: String
    public var runDir: String
    public var pidFile: String

    /// Defaults of 3.0.6 (`/etc/ha.d`, `/var/lib/heartbeat`, `/run/heartbeat`, `/run/heartbeat.pid`),
    /// overridden by `HA_CONFIG_DIR`, `HA_STATE_DIR`, `HA_RUN_DIR` and `HA_PIDFILE`. With only
    /// `HA_RUN_DIR` set, the pidfile lives inside it.
    public static func fromEnvironment() -> DaemonPaths {
        let runDir = environment("HA_RUN_DIR")
        return DaemonPaths(
            configDir: environment("HA_CONFIG_DIR") ?? "/etc/ha.d",
            stateDir: environment("HA_STATE_DIR") ?? "/var/lib/heartbeat",
            runDir: runDir ?? "/run/heartbeat",
            pidFile: environment("HA_PIDFILE") ?? (runDir.map { $0 + "/heartbeat.pid" } ?? "/run/heartbeat.pid")
        )
    }

    public var controlSocket: String { runDir + "/control" }
    public var fifo: String { stateDir + "/fifo" }
}

public func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    let text = String(cString: value)
    return text.isEmpty ? nil : text
}

/// The pid recorded in a pidfile, if that process is alive. A zombie (killed, not yet reaped by
/// its parent) is not: it holds nothing any more.
public func runningPid(pidFile: String) -> pid_t? {
    guard let bytes = readSmallFile(pidFile, limit: 64),
          let pid = pid_t(String(decoding: bytes, as: UTF8.self).trimmingSpaces), pid > 0,
          kill(pid, 0) == 0 || errno == EPERM
    else { return nil }
    // /proc/PID/stat: "PID (COMMAND) STATE ...", and COMMAND may hold spaces and parentheses.
    let stat = readSmallFile("/proc/\(pid)/stat", limit: 512) ?? []
    if let close = stat.lastIndex(of: UInt8(ascii: ")")), stat.count > close + 2, stat[close + 2] == UInt8(ascii: "Z") {
        return nil
    }
    return pid
}

/// The live daemon a pid file names, unless that is this very process: after a reboot with the run
/// directory kept (not a tmpfs), a starting daemon can be given the PID its predecessor wrote.
public func otherRunningDaemon(pidFile: String) -> pid_t? {
    runningPid(pidFile: pidFile).flatMap { $0 == getpid() ? nil : $0 }
}

/// Creates a directory and its parents (mode 0755), ignoring ones that exist.
public func makeDirectories(_ path: String) {
    var partial = ""
    for component in path.split(separator: "/") {
        partial += "/" + component
        _ = mkdir(partial, 0o755)
    }
}
