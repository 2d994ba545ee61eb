import ArgumentParser
import Glibc
import HeartbeatCore
import HeartbeatRuntime

/// `hbctl check`: validates ha.cf, authkeys, haresources and monitors (when there is one) the way
/// the daemon would at start, printing every problem (not just the first) to stderr and a one-line
/// summary to stdout.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check ha.cf, authkeys, haresources and monitors and report every problem.",
        discussion: """
            Exits 0 when the configuration is usable (warnings allowed), 1 when it has errors.
            Directories default to $HA_CONFIG_DIR / $HA_INITD_DIR, else /etc/ha.d and /etc/init.d.
            """)

    @Option(name: .customLong("config-dir"), help: "The config directory holding ha.cf, authkeys, haresources, monitors.")
    var configDirectory: String?

    @Option(name: .customLong("initd-dir"), help: "Where resource scripts are looked up after resource.d.")
    var initDirectory: String?

    @Option(name: .customLong("node-name"), help: "Check as this node instead of nodeinfo / uname -n.")
    var nodeName: String?

    func run() throws {
        var loader = ConfigLoader()
        if let configDirectory { loader.configDirectory = configDirectory }
        if let initDirectory { loader.initDirectory = initDirectory }
        loader.nodeName = nodeName
        let (_, diagnostics) = loader.load()

        for diagnostic in diagnostics {
            Self.write(diagnostic.description + "\n", to: STDERR_FILENO)
        }
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        let summary = errors == 0
            ? "\(loader.configDirectory): configuration OK (\(Self.count(warnings, "warning")))"
            : "\(loader.configDirectory): \(Self.count(errors, "error")), \(Self.count(warnings, "warning"))"
        Self.write(summary + "\n", to: STDOUT_FILENO)
        if errors > 0 { throw ExitCode(1) }
    }

    static func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }

    /// Writes straight to the descriptor (Glibc's `stderr` global is not concurrency-safe in Swift 6).
    static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}
