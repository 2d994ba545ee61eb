import ArgumentParser

/// `hbctl`: the admin's tool for checking configuration, decoding packets and reading status.
@main
struct Hbctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hbctl",
        abstract: "Check, inspect and control the heartbeat daemon.",
        subcommands: [Check.self, Decode.self, Status.self, FenceConfirm.self, Monitor.self, Export.self, ScenarioCommand.self, Simulate.self]
    )
}
