import ArgumentParser
import Glibc
import HeartbeatCore
import HeartbeatSim

/// `hbctl scenario run FILE… --sim|--netns`: scripted takeover tests (docs/scenarios.md).
struct ScenarioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Run scripted takeover scenarios in the simulator or with real daemons.",
        subcommands: [RunScenario.self])
}

struct RunScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run scenario files; exit 1 if any expectation fails.",
        discussion: """
            --sim runs the nodes in the deterministic simulator (virtual time: milliseconds of wall time).
            --netns runs real heartbeat daemons of this build in network namespaces (root), with
            resource.d/Dummy as every resource; the same expectations judge both.
            """)

    enum Backend: String, EnumerableFlag { case sim, netns }

    @Argument(help: "Scenario files.")
    var files: [String]

    @Flag(help: "Where to run.")
    var backend: Backend = .sim

    @Option(help: "--netns: the directory holding heartbeat and cl_status (default: hbctl's own).")
    var bin: String?

    @Option(help: "--netns: the source tree (resource.d/Dummy, tools/, Tests/scenarios/netns-driver.sh and stonith/).")
    var root: String?

    @Flag(help: "Print every script run and matching log line of each run.")
    var verbose = false

    func run() throws {
        var failed = 0
        for file in files {
            let scenario: Scenario
            do {
                scenario = try Scenario.parse(try readText(file), file: file)
            } catch {
                Check.write("\(error)\n", to: STDERR_FILENO)
                failed += 1
                continue
            }
            let began = wallClock()
            let result: ScenarioResult
            var netns: NetnsScenarioBackend?
            switch backend {
            case .sim:
                var sim = SimScenarioBackend(scenario)
                result = try ScenarioRunner.run(scenario, on: &sim, pollInterval: .milliseconds(10))
            case .netns:
                var real = try NetnsScenarioBackend(scenario, bin: bin ?? executableDirectory(), root: root ?? sourceRoot(of: file))
                do {
                    result = try ScenarioRunner.run(scenario, on: &real, pollInterval: .milliseconds(50))
                } catch {
                    real.tearDown(keep: true)
                    throw error
                }
                netns = real
            }
            let wall = wallClock() - began
            print("== \(scenario.name) (\(backend.rawValue)): \(result.passed ? "passed" : "FAILED") in \(wall.milliseconds) ms wall, \(scenario.end.scenarioText) scenario time")
            for line in result.report { print("   " + line) }
            if verbose || !result.passed {
                for (time, event) in result.history.events { print("     \(time.scenarioText.padding(8)) \(describe(event))") }
            }
            netns?.tearDown(keep: !result.passed)
            if !result.passed { failed += 1 }
            fflush(nil)  // into a pipe too, a long netns run shows each scenario as it ends
        }
        if files.count > 1 { print("scenarios: \(files.count - failed) passed, \(failed) failed") }
        if failed > 0 { throw ExitCode(1) }
    }

    func describe(_ event: ScenarioHistory.Event) -> String {
        switch event {
        case .scriptBegan(let node, let resource, let operation): "\(node) \(resource) \(operation.rawValue) begins"
        case .scriptEnded(let node, let resource, let operation, let code):
            "\(node) \(resource) \(operation.rawValue) ends \(code.map { "exit \($0)" } ?? "timed out")"
        case .down(let node): "\(node) down"
        case .log(let node, let text): "\(node) log: \(text)"
        }
    }

    /// `Tests/scenarios/X.scenario` → the tree two levels up.
    func sourceRoot(of file: String) -> String {
        var parts = file.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        if parts.isEmpty { return "../.." }
        parts = parts.dropLast(2)
        let joined = parts.joined(separator: "/")
        return joined.isEmpty ? (file.hasPrefix("/") ? "/" : ".") : joined
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

func wallClock() -> Duration {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
}

/// The directory of the running hbctl (where the build put heartbeat and cl_status too).
func executableDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return "." }
    let path = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
}

struct CommandError: Error, CustomStringConvertible {
    var description: String
}

/// A whole (small) text file.
func readText(_ path: String) throws -> String {
    guard let file = fopen(path, "r") else { throw CommandError(description: "\(path): \(String(cString: strerror(errno)))") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes += buffer[..<count]
        if bytes.count > 1 << 22 { throw CommandError(description: "\(path): larger than 4 MiB") }
    }
    return String(decoding: bytes, as: UTF8.self)
}
