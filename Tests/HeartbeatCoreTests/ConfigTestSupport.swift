@testable import HeartbeatCore

/// A machine with known facts, so validation tests need no real files, interfaces or users.
struct FakeMachine: MachineFacts {
    var localNodeName = "node1"
    var localAddresses: Set<String> = ["10.0.0.1", "fe80::1"]
    var executables: Set<String> = [
        "/etc/ha.d/resource.d/Dummy", "/etc/ha.d/resource.d/IPaddr", "/etc/init.d/apache2",
        "/usr/lib/heartbeat/ipfail",
    ]
    var users: Set<String> = ["root", "hacluster"]

    func isLocalAddress(_ address: String) -> Bool { localAddresses.contains(address) }
    func isExecutableFile(_ path: String) -> Bool { executables.contains(path) }
    func userExists(_ name: String) -> Bool { users.contains(name) }
}

enum Sample {
    static let haCf = """
        node node1 node2
        bcast eth0
        auto_failback on
        logfacility daemon

        """
    static let authKeys = "auth 1\n1 sha1 secret\n"
    static let haResources = "node1 Dummy::web\n"
}

let haCfPath = "/etc/ha.d/ha.cf"
let authKeysPath = "/etc/ha.d/authkeys"
let haResourcesPath = "/etc/ha.d/haresources"

/// Validates the three texts as if read from `/etc/ha.d`.
func validate(
    haCf: String = Sample.haCf, authKeys: String = Sample.authKeys, haResources: String = Sample.haResources,
    mode: UInt32? = 0o600, machine: FakeMachine = FakeMachine()
) -> (ClusterConfig?, [Diagnostic]) {
    ClusterConfig.validate(
        ConfigInput(
            configDirectory: "/etc/ha.d", initDirectory: "/etc/init.d", haCf: .text(haCf), authKeys: .text(authKeys),
            authKeysMode: mode, haResources: .text(haResources)),
        machine: machine)
}

/// The sample ha.cf plus `extra` lines appended (line numbers continue from 5).
func validate(adding extra: String) -> (ClusterConfig?, [Diagnostic]) {
    validate(haCf: Sample.haCf + extra)
}

extension Array where Element == Diagnostic {
    var errors: [Diagnostic] { filter { $0.severity == .error } }
    var warnings: [Diagnostic] { filter { $0.severity == .warning } }

    /// The diagnostics at `file:line` whose message contains `text`.
    func at(_ file: String, _ line: Int, _ text: String) -> [Diagnostic] {
        filter { $0.file == file && $0.line == line && $0.message.contains(text) }
    }

    func has(_ severity: Diagnostic.Severity, _ file: String, _ line: Int, _ text: String) -> Bool {
        at(file, line, text).contains { $0.severity == severity && $0.hint?.isEmpty == false }
    }
}
