import Glibc
import HeartbeatCore
import HeartbeatRuntime

/// `heartbeat`: the cluster daemon, with 3.0.6's flags (spec §9) plus path overrides.
let usage = """
usage: heartbeat [-dfklMrsvV] [-D] [--release-held] [--config-dir DIR] [--state-dir DIR] [--run-dir DIR] [--pidfile FILE]
  -f  stay in the foreground (for systemd and tests)
  -k  stop the running daemon and wait for it to exit
  -s  report whether the daemon is running
  -r  check the configuration, then make the running daemon reload it
  -d  raise the debug level (repeatable)
  -l  do not use realtime priority or locked memory
  -M  no resource management (membership only)
  -D  print the default values of ha.cf directives
  -v  verbose
  -V  print the version
  --release-held  stop the groups a daemon that died (kill -9, a crash) recorded as held here
Paths also come from HA_CONFIG_DIR, HA_STATE_DIR, HA_RUN_DIR and HA_PIDFILE.
"""

var options = DaemonOptions()
var paths = DaemonPaths.fromEnvironment()
enum Action { case start, stop, status, reload, version, defaults, releaseHeld }
var action = Action.start

var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    func value() -> String {
        guard let next = arguments.popFirst() else {
            writeError("heartbeat: \(argument) needs a value\n\(usage)\n")
            exit(2)
        }
        return next
    }
    switch argument {
    case "--config-dir": paths.configDir = value()
    case "--state-dir": paths.stateDir = value()
    case "--run-dir": paths.runDir = value()
    case "--pidfile": paths.pidFile = value()
    case "--release-held": action = .releaseHeld
    case "-h", "--help":
        print(usage)
        exit(0)
    case let flags where flags.hasPrefix("-") && !flags.hasPrefix("--") && flags.count > 1:
        for flag in flags.dropFirst() {
            switch flag {
            case "f": options.foreground = true
            case "k": action = .stop
            case "s": action = .status
            case "r": action = .reload
            case "V": action = .version
            case "D": action = .defaults
            case "d": options.debugBoost += 1
            case "l": options.realtimeAllowed = false
            case "M": options.manageResources = false
            case "v": options.verbose = true
            default:
                writeError("heartbeat: unknown option -\(flag)\n\(usage)\n")
                exit(2)
            }
        }
    default:
        writeError("heartbeat: unexpected argument \(argument)\n\(usage)\n")
        exit(2)
    }
}

switch action {
case .version:
    print(heartbeatVersion)
case .defaults:
    print(HeartbeatDefaults.text, terminator: "")
case .status:
    exit(reportStatus(paths: paths))
case .stop:
    exit(stopDaemon(paths: paths))
case .reload:
    exit(reloadDaemon(paths: paths))
case .releaseHeld:
    exit(releaseHeldGroups(paths: paths, options: options))
case .start:
    exit(startDaemon(paths: paths, options: options))
}
