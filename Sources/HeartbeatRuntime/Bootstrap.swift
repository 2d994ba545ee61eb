import Glibc
import HeartbeatCore

/// Loads and validates the configuration from the paths' directories.
public func loadConfiguration(paths: DaemonPaths) -> (ClusterConfig?, [Diagnostic]) {
    ConfigLoader(configDirectory: paths.configDir, stateDirectory: paths.stateDir, runDirectory: paths.runDir,
                 initDirectory: environment("HA_INITD_DIR") ?? ConfigLoader.defaultInitDirectory,
                 nodeName: environment("HA_NODE_NAME")).load()
}

/// `heartbeat` with no action flag: validate, detach (unless `-f`), write the pidfile, run.
public func startDaemon(paths: DaemonPaths, options: DaemonOptions) -> Int32 {
    let (loaded, diagnostics) = loadConfiguration(paths: paths)
    let unsupported = loaded.map { Stonith.diagnostics($0, haCfPath: paths.configDir + "/ha.cf") } ?? []
    for diagnostic in diagnostics + unsupported { writeError("\(diagnostic)\n") }
    guard let config = loaded, unsupported.isEmpty else {
        writeError("heartbeat: configuration has errors; not starting\n")
        return 1
    }
    if let pid = otherRunningDaemon(pidFile: paths.pidFile) {
        writeError("heartbeat: already running [pid \(pid)]\n")
        return 1
    }
    makeDirectories(paths.stateDir)
    makeDirectories(paths.runDir)
    if !options.foreground, !detachFromTerminal() { return 1 }
    do {
        try writeDurably(Array("\(getpid())\n".utf8), to: paths.pidFile, mode: 0o644)
        let daemon = try Daemon(config: config, paths: paths, options: options)
        let code = daemon.run()
        unlink(paths.pidFile)
        return code
    } catch {
        writeError("heartbeat: \(error)\n")
        unlink(paths.pidFile)
        return 1
    }
}

/// Forks into the background like 3.0.6: the parent exits, the child leads a new session with
/// stdio on /dev/null. Safe here because no thread has been started yet.
private func detachFromTerminal() -> Bool {
    let pid = fork()
    if pid < 0 { return false }
    if pid > 0 { exit(0) }
    setsid()
    let null = open("/dev/null", O_RDWR)
    if null >= 0 {
        dup2(null, 0)
        dup2(null, 1)
        dup2(null, 2)
        if null > 2 { close(null) }
    }
    return true
}
