import Glibc
import HeartbeatCore

/// This process's environment as a dictionary.
public func processEnvironment() -> [String: String] {
    var values: [String: String] = [:]
    var cursor = environ
    while let entry = cursor.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            values[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        cursor += 1
    }
    return values
}

/// The environment 3.0.6 gives resource and event scripts (spec §6.4), so Debian's scripts, plain
/// init scripts and ours run unchanged: `HA_CURHOST`, `HA_DIR`, `HA_FUNCS`, `OCF_ROOT`, logging
/// settings, every recorded ha.cf value as `HA_<directive>`, and `env` directives.
public struct ScriptEnvironment: Sendable {
    public private(set) var base: [String: String]

    public init(config: ClusterConfig, paths: DaemonPaths, inherited: [String: String] = processEnvironment()) {
        // Scripts inherit heartbeat's own environment, as under 3.0.6; ours is laid over it.
        var values = inherited
        for (name, value) in config.parameters { values["HA_" + name] = value }
        for setting in config.environment { values[setting.variableName] = setting.value }
        values["PATH"] = environment("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        values["HA_CURHOST"] = config.localNode
        values["HA_DIR"] = paths.configDir
        values["HA_CONFIG_DIR"] = paths.configDir
        values["HA_FUNCS"] = paths.configDir + "/shellfuncs"
        values["HA_STATE_DIR"] = paths.stateDir
        values["HA_RUN_DIR"] = paths.runDir
        values["HA_PIDFILE"] = paths.pidFile
        values["HA_FIFO"] = paths.fifo
        values["HA_DATEFMT"] = "%Y/%m/%d_%T "
        values["OCF_ROOT"] = environment("OCF_ROOT") ?? "/usr/lib/ocf"
        values["HA_LOGFILE"] = config.logging.logfile
        values["HA_DEBUGLOG"] = config.logging.debugfile
        values["HA_LOGFACILITY"] = config.logging.facility
        values["HA_LOGD"] = "no"
        values["HA_debug"] = String(config.debug)
        if config.autoFailback != .legacy { values["HA_NICEFAILBACK"] = "yes" }
        // Our rc.d scripts leave takeovers to the daemon when they see this (docs/resource-scripts.md).
        values["HA_RESOURCE_MANAGER"] = "internal"
        base = values
    }

    /// "NAME=value" entries for a resource script.
    public func entries() -> [String] {
        base.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    /// For `harc TYPE`: the message's string fields as `HA_<name>`, plus our own status (spec §6.4).
    public func entries(for message: Message, localStatus: String) -> [String] {
        var values = base
        for field in message.fields {
            if case .string(let bytes) = field.value {
                values["HA_" + field.name] = String(decoding: bytes, as: UTF8.self)
            }
        }
        values["HA_OSTATUS"] = localStatus
        return values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }
}
