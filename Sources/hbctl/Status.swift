import ArgumentParser
import Glibc
import HeartbeatCore
import HeartbeatRuntime

/// `hbctl status [--json] [--run-dir DIR]`: the cluster as the local daemon sees it.
/// Exit 0 when the daemon answered, 1 when it could not be asked (reason on stderr).
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show nodes, links, late heartbeats, rejected packets and resources from the running daemon.",
        discussion: "The JSON form (schema_version 2) is documented in docs/status-json.md (installed in /usr/share/doc/heartbeat-swift) and stays compatible within a schema version."
    )

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Option(name: .customLong("run-dir"), help: "The daemon's run directory (default: $HA_RUN_DIR or /run/heartbeat).")
    var runDir: String?

    func run() throws {
        let path = runDir.map { $0 + "/control" } ?? ControlClient.defaultPath()
        let report: StatusReport
        do {
            report = try ControlClient(path: path).fetchStatus()
        } catch {
            ControlClient.write("hbctl status: \(error)\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
        ControlClient.write(json ? report.json() : report.humanTable(), to: STDOUT_FILENO)
    }
}
