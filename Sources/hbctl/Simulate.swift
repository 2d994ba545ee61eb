import ArgumentParser
import Glibc
import HeartbeatCore
import HeartbeatRuntime
import HeartbeatSim

/// `hbctl simulate --config-dir DIR EVENT…`: what this cluster would do, in the simulator
/// (like Pacemaker's crm_simulate). Every node starts at 0 s; events without a time happen once
/// the cluster has settled, `at T EVENT` T after that.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print what the cluster would do after some events (simulated, nothing is touched).",
        discussion: """
            Events are scenario steps (docs/scenarios.md): "kill alpha", "at 5s restart alpha",
            "standby beta foreign", "partition {alpha} {beta}", "heal", "cut link alpha eth0";
            with ping nodes in ha.cf "lose ping alpha" / "restore ping alpha" (every ping node at
            once), with a STONITH device "fence fails on beta" / "fence works on beta".
            Every node starts at 0 s and the cluster settles (initdead + deadtime); an event without
            "at" happens then, "at T" T later. Prints declarations, resource starts and stops, and
            who holds each group at the end.
            """)

    @Option(name: .customLong("config-dir"), help: "The config directory holding ha.cf and haresources.")
    var configDirectory: String?

    @Option(help: "How long to simulate after the last event.")
    var settle = "10s"

    @Flag(help: "Print every log line, not only notices and worse.")
    var verbose = false

    @Argument(help: "Events, each one quoted argument.")
    var events: [String] = []

    func run() throws {
        var loader = ConfigLoader()
        if let configDirectory { loader.configDirectory = configDirectory }
        let input = loader.readInput()
        // Validated as the first node of ha.cf, on a machine that has every script and user.
        let (parsed, diagnostics) = ClusterConfig.validate(input, machine: SimulatedMachine(localNodeName: Self.firstNode(input)))
        let config: ClusterConfig
        if let parsed { config = parsed } else {
            for diagnostic in diagnostics { Check.write(diagnostic.description + "\n", to: STDERR_FILENO) }
            throw ExitCode(1)
        }
        let names = config.nodes
        guard (SimLimits.minNodes...SimLimits.maxNodes).contains(names.count) else {
            throw ValidationError("the simulator takes \(SimLimits.minNodes) to \(SimLimits.maxNodes) nodes; ha.cf has \(names.count)")
        }
        var scenario = Scenario(name: "simulate")
        scenario.nodes = names
        for medium in config.media where !scenario.media.contains(medium.linkName) { scenario.media.append(medium.linkName) }
        scenario.keepalive = config.keepalive
        scenario.deadtime = config.deadtime
        scenario.warntime = config.warntime
        scenario.initdead = config.initdead
        scenario.autoFailback = config.autoFailback
        // Every ping node and ping group of ha.cf answers; "lose ping" takes them all from a node
        // at once. A configured STONITH device works until told otherwise.
        let pingNames = config.pingNodes.map(\.name) + config.pingGroups.map(\.name)
        if !pingNames.isEmpty {
            scenario.pingNode = true
            scenario.deadping = config.deadping
            scenario.arbitration = config.arbitrationEnabled ? .on : .off
        }
        scenario.stonith = !config.stonith.isEmpty
        for group in config.resourceGroups where names.contains(group.preferredNode) {
            scenario.groups.append(Scenario.Group(preferredNode: group.preferredNode, resources: group.resources.map(\.token), line: group.line))
            for resource in group.resources { scenario.tokens[resource.token] = resource.token }
        }
        let settled = config.initdead + config.deadtime
        scenario.steps = [Scenario.Step(time: .zero, action: .start("all"), line: 0)]
        for event in events {
            var words = event.split(separator: " ").map(String.init)
            var time = settled
            if words.first == "at", words.count > 2 {
                time = settled + (try Scenario.parseDuration(words[1]))
                words.removeFirst(2)
            }
            do {
                scenario.steps.append(Scenario.Step(time: time, action: try scenario.parseStep(words.joined(separator: " ")), line: 0))
            } catch {
                // The scenario parser's advice names scenario lines; here they come from ha.cf.
                let message = error.message
                    .replacing("add a 'ping_node' line above the first step", with: "ha.cf has no 'ping' or 'ping_group' line")
                    .replacing("add a 'stonith' line above the first step", with: "ha.cf has no 'stonith' or 'stonith_host' line")
                throw CommandError(description: "event \"\(event)\": \(message)")
            }
        }
        scenario.steps.sort { $0.time < $1.time }
        scenario.end = (scenario.steps.last?.time ?? .zero) + (try Scenario.parseDuration(settle))

        // The nodes read this directory's own files; the rest of the simulated cluster (timing,
        // ping nodes, devices) is the scenario's, which describes the same cluster.
        var simConfig = scenario.simConfig
        simConfig.realFiles = SimFiles(haCf: Self.text(input.haCf), authKeys: Self.text(input.authKeys),
                                       haResources: Self.text(input.haResources),
                                       monitors: input.monitors == .missing ? nil : Self.text(input.monitors))
        simConfig.authKeys = config.authKeys
        simConfig.watchdog = config.watchdog != nil
        simConfig.pingNames = pingNames
        simConfig.pingNodes = pingNames.count
        var backend = SimScenarioBackend(scenario, config: simConfig)
        var pending = scenario.steps[...]
        while let step = pending.first {
            backend.advance(to: step.time)
            backend.perform(step.action)
            pending.removeFirst()
        }
        backend.advance(to: scenario.end)

        print("cluster: \(names.joined(separator: " ")), keepalive \(config.keepalive.milliseconds) ms, deadtime \(config.deadtime.milliseconds) ms, auto_failback \(config.autoFailback.rawValue)")
        if !pingNames.isEmpty {
            print("ping: \(pingNames.joined(separator: " ")), deadping \(config.deadping.milliseconds) ms, arbitration \(config.arbitrationEnabled ? "on" : "off")")
        }
        if scenario.stonith { print("stonith: one device for every node (\(config.stonith.map(\.type).joined(separator: ", ")))") }
        var stepIndex = 0
        for (time, observation) in backend.simulator.observations {
            while stepIndex < scenario.steps.count, scenario.steps[stepIndex].time <= time - Instant.zero {
                print("\(stamp(scenario.steps[stepIndex].time)) EVENT \(describe(scenario.steps[stepIndex].action))")
                stepIndex += 1
            }
            let at = stamp(time - Instant.zero)
            switch observation {
            // Retransmission bookkeeping ("lost packet(s)", a WARN in 3.0.6 too) is not a decision.
            case .log(let node, let level, let text)
                where verbose || (level <= LogLevel.notice && !text.contains("lost packet(s)")):
                print("\(at) \(names[node]) \(level.word): \(text)")
            case .scriptBegan(let node, let run) where run.operation != ScriptOperation.status:
                print("\(at) \(names[node]) \(run.operation.rawValue) \(run.resource.token)")
            case .scriptEnded(let node, let run, let code) where run.operation != ScriptOperation.status && code != 0:
                print("\(at) \(names[node]) \(run.operation.rawValue) \(run.resource.token) \(code.map { "failed (exit \($0))" } ?? "timed out")")
            case .down(let node):
                print("\(at) \(names[node]) down")
            default:
                break
            }
        }
        print("at \(scenario.end.scenarioText):")
        let simulator = backend.simulator
        for (index, group) in scenario.groups.enumerated() {
            let owners = simulator.owners(ofGroup: index).map { names[$0] }
            let holders = simulator.holders(ofGroup: index).map { names[$0] }
            let partly = holders.filter { !owners.contains($0) }
            print("  group \(group.name): \(owners.isEmpty ? "stopped" : "on " + owners.joined(separator: " "))\(partly.isEmpty ? "" : " (partly on \(partly.joined(separator: " ")))")")
        }
        for index in names.indices {
            print("  \(names[index]): \(simulator.isUp(index) ? "up, rscstatus \(simulator.node(index)?.resources?.rscstatus.rawValue ?? "none")" : "down")")
        }
        if let violation = simulator.violation { print("simulator invariant broken: \(violation)") }
    }

    func stamp(_ time: Duration) -> String { time.scenarioText.padding(7) }

    func describe(_ action: Scenario.Action) -> String {
        switch action {
        case .start(let node): "start \(node)"
        case .stop(let node): "stop \(node)"
        case .kill(let node): "kill \(node)"
        case .restart(let node): "restart \(node)"
        case .cutLink(let node, let medium): "cut link \(node) \(medium)"
        case .restoreLink(let node, let medium): "restore link \(node) \(medium)"
        case .partition(let sides): "partition " + sides.map { "{\($0.joined(separator: " "))}" }.joined(separator: " ")
        case .heal: "heal"
        case .standby(let node, let set): "standby \(node) \(set.rawValue)"
        case .takeover(let node, let set): "takeover \(node) \(set.rawValue)"
        case .scriptFails(let resource, let node, let fails): "script \(resource) \(fails ? "fails" : "works") on \(node)"
        case .losePing(let node): "lose ping \(node)"
        case .restorePing(let node): "restore ping \(node)"
        case .fenceFails(let node, let fails): "fence \(fails ? "fails" : "works") on \(node)"
        case .breakService(let resource, let node, let fault): "service \(resource) on \(node): \(fault)"
        case .healService(let resource, let node): "heal service \(resource) on \(node)"
        case .monitorReset(let node, let group): "monitor reset \(node)\(group.map { " " + $0 } ?? "")"
        }
    }
}

extension Simulate {
    /// A file validation found readable (an unreadable one stopped `run` before).
    static func text(_ contents: ConfigInput.Contents) -> String {
        if case .text(let text) = contents { return text }
        return ""
    }

    /// The machine `hbctl simulate` pretends to be: the first node of ha.cf.
    static func firstNode(_ input: ConfigInput) -> String {
        guard case .text(let text) = input.haCf else { return "" }
        let first = text.split(separator: "\n").lazy
            .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }) }
            .first { $0.count >= 2 && $0[0] == "node" }
        return first.map { String($0[1]) } ?? ""
    }
}
