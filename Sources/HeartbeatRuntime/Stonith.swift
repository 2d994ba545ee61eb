import Glibc
import HeartbeatCore

/// The STONITH device of this node (spec §7.3): resets a dead node before its groups are taken
/// over (spec §6.7; the decisions are in ResourceManager+Fencing.swift).
///
/// Two kinds of device:
/// - `external/NAME`: a cluster-glue external plugin, an executable `NAME` in the plugin
///   directory (`/usr/lib/stonith/plugins/external`, or `$HA_STONITH_PLUGIN_DIR`). It is run as
///   `NAME reset HOST` (and `NAME status` at start and hourly) with the device parameters as
///   environment variables; exit 0 means success. It runs as a child process with a timeout,
///   never blocking the event loop.
/// - `meatware`: a human resets the node. The daemon logs a CRIT line asking for it and waits
///   for `hbctl fence-confirm NODE`.
///
/// Parameters come from the `stonith_host` line (`name=value` words) or, for `stonith TYPE FILE`,
/// from FILE (`name=value` words, `#` comments).
public final class Stonith {
    public enum Device: Sendable, Equatable, CustomStringConvertible {
        case external(name: String, plugin: String, parameters: [String])
        case meatware

        public var description: String {
            switch self {
            case .external(let name, _, _): "external/\(name)"
            case .meatware: "meatware"
            }
        }
    }

    /// Why a STONITH line cannot be used.
    public struct Problem: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public static let defaultPluginDirectory = "/usr/lib/stonith/plugins/external"
    /// A plugin still running after this is killed, and the attempt counts as failed.
    public static let pluginTimeout: Duration = .seconds(60)
    /// 3.0.6 checks the device at comm-up and hourly.
    static let statusPeriod: Duration = .seconds(3600)
    /// Plugin runs use ScriptRunner ids from here, apart from resource and event scripts.
    static let firstRunID: UInt64 = 1 << 61

    public static func pluginDirectory() -> String {
        environment("HA_STONITH_PLUGIN_DIR") ?? defaultPluginDirectory
    }

    /// The device a directive names, or why it cannot be used.
    public static func resolve(_ directive: StonithDirective, pluginDirectory: String) -> Result<Device, Problem> {
        if directive.type == "meatware" { return .success(.meatware) }
        guard directive.type.hasPrefix("external/") else {
            return .failure(Problem(message: "STONITH device type [\(directive.type)] is not supported: this daemon runs cluster-glue external plugins (external/NAME) and meatware"))
        }
        let name = String(directive.type.dropFirst("external/".count))
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
            return .failure(Problem(message: "STONITH device type [\(directive.type)] is not a plugin name"))
        }
        let plugin = pluginDirectory + "/" + name
        guard access(plugin, X_OK) == 0 else {
            return .failure(Problem(message: "STONITH plugin \(plugin) is missing or not executable"))
        }
        let text: String
        if directive.host == nil {
            guard let bytes = readSmallFile(directive.parameters) else {
                return .failure(Problem(message: "cannot read the STONITH config file [\(directive.parameters)]"))
            }
            text = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
                .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
                .joined(separator: " ")
        } else {
            text = directive.parameters
        }
        var parameters: [String] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                return .failure(Problem(message: "STONITH parameter [\(word)] is not name=value"))
            }
            parameters.append(String(word))
        }
        return .success(.external(name: name, plugin: plugin, parameters: parameters))
    }

    /// Start-time check of the line this node uses: an error names it and how to fix it.
    public static func diagnostics(_ config: ClusterConfig, haCfPath: String) -> [Diagnostic] {
        guard let directive = config.activeStonith else { return [] }
        switch resolve(directive, pluginDirectory: pluginDirectory()) {
        case .success: return []
        case .failure(let why):
            return [Diagnostic(.error, file: haCfPath, line: directive.line, why.message,
                               hint: "install the plugin in \(pluginDirectory()) (or set HA_STONITH_PLUGIN_DIR), use meatware, or remove the line")]
        }
    }

    public let device: Device
    private let runner: any ScriptLauncher
    private let baseEnvironment: [String]
    private let logger: Logger
    private let onResult: (String, Bool) -> Void
    private enum Run { case reset(String, started: Instant), status }
    private var runs: [UInt64: Run] = [:]
    private var nextRunID = firstRunID
    /// Nodes a meatware reset is waiting for, with when it was asked.
    private var awaitingOperator: [String: Instant] = [:]
    private var nextStatusCheck = Instant.zero

    init(device: Device, runner: any ScriptLauncher, environment: [String], logger: Logger,
                onResult: @escaping (String, Bool) -> Void) {
        self.device = device
        self.runner = runner
        self.baseEnvironment = environment
        self.logger = logger
        self.onResult = onResult
    }

    /// One reset attempt; the answer comes through `onResult`.
    public func fence(_ node: String) {
        switch device {
        case .meatware:
            if awaitingOperator[node] == nil { awaitingOperator[node] = EventLoop.now() }
            logger.log(.critical, "STONITH: OPERATOR INTERVENTION REQUIRED to reset \(node).")
            logger.log(.critical, "STONITH: run \"hbctl fence-confirm \(node)\" ONLY AFTER power-cycling \(node).")
        case .external(_, let plugin, _):
            logger.log(.info, "Resetting node \(node) with [\(device)]")
            if !run(plugin, ["reset", node], as: .reset(node, started: EventLoop.now())) {
                onResult(node, false)
            }
        }
    }

    /// `hbctl fence-confirm NODE`.
    public func confirm(_ node: String) -> Result<String, ControlError> {
        guard case .meatware = device else {
            return .failure(ControlError("the STONITH device is \(device), not meatware: nothing waits for a confirmation"))
        }
        guard let since = awaitingOperator.removeValue(forKey: node) else {
            return .failure(ControlError("no reset of \(node) is waiting for confirmation"))
        }
        logger.log(.info, "STONITH: operator confirmed \(node) was reset (\((EventLoop.now() - since).milliseconds) ms after asking).")
        onResult(node, true)
        return .success("reset of \(node) confirmed")
    }

    /// At start and then hourly: is the device usable? (spec §7.3)
    public func checkStatus(now: Instant) {
        guard now >= nextStatusCheck else { return }
        nextStatusCheck = now + Self.statusPeriod
        guard case .external(_, let plugin, _) = device else { return }
        if !run(plugin, ["status"], as: .status) {
            logger.log(.error, "STONITH device \(device) not operational!")
        }
    }

    /// A finished child, if it was one of ours.
    public func finished(_ result: ScriptRunner.Finished) -> Bool {
        guard let run = runs.removeValue(forKey: result.id) else { return false }
        let ok = !result.timedOut && result.exitCode == 0
        let detail = result.timedOut ? "timed out after \(result.duration.milliseconds) ms"
            : "exit \(result.exitCode) after \(result.duration.milliseconds) ms"
        let output = result.output.split(separator: "\n").last.map { ": \($0)" } ?? ""
        switch run {
        case .status:
            if !ok { logger.log(.error, "STONITH device \(device) not operational! (status \(detail)\(output))") }
        case .reset(let node, let started):
            if ok {
                logger.log(.info, "node \(node) now reset (\((EventLoop.now() - started).milliseconds) ms).")
            } else {
                logger.log(.error, "STONITH device \(device) could not reset \(node) (\(detail)\(output))")
            }
            onResult(node, ok)
        }
        return true
    }

    private func run(_ plugin: String, _ arguments: [String], as kind: Run) -> Bool {
        guard case .external(_, _, let parameters) = device else { return false }
        let id = nextRunID
        nextRunID += 1
        do {
            try runner.run(id: id, path: plugin, arguments: arguments, environment: baseEnvironment + parameters,
                           timeout: Self.pluginTimeout)
            runs[id] = kind
            return true
        } catch {
            logger.log(.error, "Cannot run STONITH plugin \(plugin): \(error)")
            return false
        }
    }
}
