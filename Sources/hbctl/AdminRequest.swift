import ArgumentParser
import Glibc
import HeartbeatCore
import HeartbeatRuntime

/// Sends one state-changing request to the daemon's control socket and prints its answer; a
/// refusal or an unreachable daemon is printed as `hbctl COMMAND: why` and exits 1.
func sendAdminRequest(_ request: ControlRequest, command: String, runDir: String?) throws {
    let path = runDir.map { $0 + "/control" } ?? ControlClient.defaultPath()
    do {
        switch try ControlClient(path: path).send(request) {
        case .ok(let text):
            ControlClient.write("\(text)\n", to: STDOUT_FILENO)
        case .error(let text):
            ControlClient.write("hbctl \(command): \(text)\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
    } catch let error as ControlClientError {
        ControlClient.write("hbctl \(command): \(error)\n", to: STDERR_FILENO)
        throw ExitCode(1)
    }
}
