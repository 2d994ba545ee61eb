import ArgumentParser
import HeartbeatCore

/// `hbctl fence-confirm NODE`: tells the daemon the operator has reset NODE by hand, which the
/// `meatware` STONITH device waits for before the node's groups are taken over (like
/// cluster-glue's `meatclient -c NODE`). Root only. Exit 0 when the daemon accepted it.
struct FenceConfirm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fence-confirm",
        abstract: "Confirm that NODE was reset by hand (meatware STONITH).",
        discussion: "Run it only AFTER power-cycling NODE: the daemon then takes over NODE's resource groups."
    )

    @Argument(help: "The node that was reset.")
    var node: String

    @Option(name: .customLong("run-dir"), help: "The daemon's run directory (default: $HA_RUN_DIR or /run/heartbeat).")
    var runDir: String?

    func run() throws {
        try sendAdminRequest(.fenceConfirm(NodeName(node).rawValue), command: "fence-confirm", runDir: runDir)
    }
}
