import Glibc
import HeartbeatCore

/// Reads `ha.cf`, `authkeys`, `haresources` and `monitors` (if there is one) from the config directory, asks the machine the
/// facts validation needs (node name, own addresses, executables, users, authkeys mode), and
/// returns the validated `ClusterConfig` with every diagnostic.
///
/// Every path can be overridden. `init(environment:)` reads these environment variables:
/// - `HA_CONFIG_DIR`: the config directory (default `/etc/ha.d`);
/// - `HA_STATE_DIR`: the state directory for `hb_generation`, `hb_uuid`, the FIFO (default `/var/lib/heartbeat`);
/// - `HA_RUN_DIR`: the run directory for the pid file and API socket (default `/run/heartbeat`);
/// - `HA_INITD_DIR`: where resource scripts are looked up after `resource.d` (default `/etc/init.d`).
public struct ConfigLoader: Sendable {
    public var configDirectory: String
    public var stateDirectory: String
    public var runDirectory: String
    public var initDirectory: String
    /// Use this node name instead of `nodeinfo` / `uname -n` (for tests and `hbctl check --node-name`).
    public var nodeName: String?

    public static let defaultConfigDirectory = "/etc/ha.d"
    public static let defaultStateDirectory = "/var/lib/heartbeat"
    public static let defaultRunDirectory = "/run/heartbeat"
    public static let defaultInitDirectory = "/etc/init.d"

    public init(
        configDirectory: String = defaultConfigDirectory, stateDirectory: String = defaultStateDirectory,
        runDirectory: String = defaultRunDirectory, initDirectory: String = defaultInitDirectory, nodeName: String? = nil
    ) {
        self.configDirectory = configDirectory
        self.stateDirectory = stateDirectory
        self.runDirectory = runDirectory
        self.initDirectory = initDirectory
        self.nodeName = nodeName
    }

    /// The defaults, overridden by `HA_CONFIG_DIR`, `HA_STATE_DIR`, `HA_RUN_DIR` and `HA_INITD_DIR`
    /// when they are set and not empty.
    public init(environment: [String: String]) {
        func value(_ name: String, _ fallback: String) -> String {
            if let set = environment[name], !set.isEmpty { return set }
            return fallback
        }
        self.init(
            configDirectory: value("HA_CONFIG_DIR", Self.defaultConfigDirectory),
            stateDirectory: value("HA_STATE_DIR", Self.defaultStateDirectory),
            runDirectory: value("HA_RUN_DIR", Self.defaultRunDirectory),
            initDirectory: value("HA_INITD_DIR", Self.defaultInitDirectory))
    }

    /// Like `init(environment:)`, reading this process's environment.
    public init() {
        var environment: [String: String] = [:]
        for name in ["HA_CONFIG_DIR", "HA_STATE_DIR", "HA_RUN_DIR", "HA_INITD_DIR"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        self.init(environment: environment)
    }

    /// Reads and validates everything. The config is nil when any error was found.
    public func load() -> (ClusterConfig?, [Diagnostic]) {
        ClusterConfig.validate(readInput(), machine: SystemFacts(configDirectory: configDirectory, nodeName: nodeName))
    }

    /// The files as they are on disk, with the authkeys permission bits.
    public func readInput() -> ConfigInput {
        let input = ConfigInput(
            configDirectory: configDirectory, initDirectory: initDirectory, haCf: .missing, authKeys: .missing,
            authKeysMode: nil, haResources: .missing)
        var statBuffer = stat()
        let mode = stat(input.authKeysPath, &statBuffer) == 0 ? UInt32(statBuffer.st_mode) & 0o7777 : nil
        return ConfigInput(
            configDirectory: configDirectory, initDirectory: initDirectory, haCf: Self.read(input.haCfPath),
            authKeys: Self.read(input.authKeysPath), authKeysMode: mode, haResources: Self.read(input.haResourcesPath),
            monitors: Self.read(input.monitorsPath))
    }

    /// `heartbeat -r`: re-reads `<dir>/monitors` against the running configuration's groups. A
    /// missing file means no checks; any error throws every diagnostic (the caller keeps the old checks).
    public static func loadMonitors(dir: String, cluster: ClusterConfig) throws(MonitorsFileError) -> [MonitorSpec] {
        let path = dir.hasSuffix("/") ? dir + "monitors" : dir + "/monitors"
        let (monitors, diagnostics) = ClusterConfig.validateMonitors(
            read(path), file: path, groups: cluster.resourceGroups, machine: SystemFacts(configDirectory: dir, nodeName: cluster.localNode))
        guard !diagnostics.hasErrors else { throw MonitorsFileError(diagnostics: diagnostics) }
        return monitors
    }

    /// Config files are small; anything past 1 MiB is not a config file we should trust.
    static let sizeLimit = 1 << 20

    static func read(_ path: String) -> ConfigInput.Contents {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            let code = errno
            return code == ENOENT ? .missing : .unreadable(String(cString: strerror(code)))
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while bytes.count <= sizeLimit {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .unreadable(String(cString: strerror(errno)))
            }
            if count == 0 { return .text(String(decoding: bytes, as: UTF8.self)) }
            bytes += chunk[0..<count]
        }
        return .unreadable("larger than \(sizeLimit) bytes")
    }
}

/// A `monitors` file that cannot be used; `diagnostics` holds every error and warning, FILE:LINE.
public struct MonitorsFileError: Error, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// The real machine, asked through Glibc.
public struct SystemFacts: MachineFacts {
    public let localNodeName: String
    let localAddresses: [[UInt8]]

    /// - Parameter nodeName: overrides the name; otherwise the first line of `<configdir>/nodeinfo`,
    ///   else `uname -n`, lower-cased (spec §5.7).
    public init(configDirectory: String, nodeName: String? = nil) {
        localNodeName = NodeName(nodeName ?? Self.nodeInfo(configDirectory) ?? Self.unameNode()).rawValue
        localAddresses = Self.interfaceAddresses()
    }

    public func isLocalAddress(_ address: String) -> Bool {
        guard let bytes = ConfigValues.ipv4(address).map({ $0.map(UInt8.init) }) ?? ConfigValues.ipv6(address) else {
            return false
        }
        return localAddresses.contains(bytes)
    }

    public func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }

    public func userExists(_ name: String) -> Bool { getpwnam(name) != nil }

    static func nodeInfo(_ configDirectory: String) -> String? {
        let path = configDirectory.hasSuffix("/") ? configDirectory + "nodeinfo" : configDirectory + "/nodeinfo"
        guard case .text(let text) = ConfigLoader.read(path),
            let first = text.split(separator: "\n", omittingEmptySubsequences: false).first
        else { return nil }
        let name = first.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()
        return name.isEmpty ? nil : String(name)
    }

    static func unameNode() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "" }
        return withUnsafeBytes(of: &names.nodename) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Every IPv4 and IPv6 address on this machine's interfaces, as raw bytes.
    static func interfaceAddresses() -> [[UInt8]] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var result: [[UInt8]] = []
        var entry = list
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard let address = current.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    result.append(withUnsafeBytes(of: v4.pointee.sin_addr) { Array($0) })
                }
            case AF_INET6:
                address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    result.append(withUnsafeBytes(of: v6.pointee.sin6_addr) { Array($0) })
                }
            default:
                break
            }
        }
        return result
    }
}
