// `cl_status`: 3.0.6's status tool, talking to our daemon's control socket instead of the API
// socket. Argument handling is `ClStatus`'s job (exit codes must match 3.0.6, so no
// ArgumentParser); this file only reaches the daemon and writes what `ClStatus` says.
import Glibc
import HeartbeatCore
import HeartbeatRuntime

/// 3.0.6 logs errors through cl_log: `Mon DD HH:MM:SS <host> cl_status: [<pid>]: ERROR: …`.
func logPrefix() -> String {
    var seconds = time(nil)
    var parts = tm()
    localtime_r(&seconds, &parts)
    var stamp = [CChar](repeating: 0, count: 32)
    _ = strftime(&stamp, stamp.count, "%b %d %H:%M:%S", &parts)
    var name = utsname()
    uname(&name)
    let host = withUnsafeBytes(of: &name.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let time = String(decoding: stamp.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return "\(time) \(host) cl_status: [\(getpid())]: "
}

func emit(_ output: ClStatus.Output) -> Never {
    ControlClient.write(output.stdout, to: STDOUT_FILENO)
    ControlClient.write(output.stderr, to: STDERR_FILENO)
    exit(output.exitCode)
}

let arguments = Array(CommandLine.arguments.dropFirst())
let prefix = logPrefix()
if let early = ClStatus.preflight(arguments: arguments, logPrefix: prefix) { emit(early) }

let daemon: ClStatus.Daemon
do {
    daemon = .answered(try ControlClient(path: ControlClient.defaultPath()).fetchStatus())
} catch {
    switch error {
    case .notRunning: daemon = .notRunning(reason: ClStatus.notRunningReason)
    case .timedOut: daemon = .timedOut
    case .refused(let why), .protocolError(let why), .failed(let why): daemon = .refused(reason: why)
    }
}
emit(ClStatus.run(arguments: arguments, daemon: daemon, logPrefix: prefix))
