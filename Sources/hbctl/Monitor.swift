import ArgumentParser
import HeartbeatCore

/// `hbctl monitor reset [GROUP]`: the daemon forgets a group's check failures, its ineligibility
/// and hold-down (every monitored group's without GROUP), like Pacemaker's `crm_resource --cleanup`.
struct Monitor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Act on service health monitoring (the monitors file).",
        subcommands: [Reset.self]
    )

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset",
            abstract: "Clear a group's check failures, ineligibility and hold-down (all groups without GROUP).",
            discussion: "GROUP is named as in the monitors file: the group's key, a name= alias, or a resource token of one group."
        )

        @Argument(help: "The monitored group (default: every monitored group).")
        var group: String?

        @Option(name: .customLong("run-dir"), help: "The daemon's run directory (default: $HA_RUN_DIR or /run/heartbeat).")
        var runDir: String?

        func run() throws {
            try sendAdminRequest(.monitorReset(group: group), command: "monitor reset", runDir: runDir)
        }
    }
}
