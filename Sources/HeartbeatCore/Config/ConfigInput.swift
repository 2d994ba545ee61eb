/// What validation needs to know about the machine it runs on. The runtime's `ConfigLoader`
/// asks the system; tests pass a fake.
public protocol MachineFacts {
    /// This node's name, already lower-cased: `uname -n`, or the first line of `<configdir>/nodeinfo`.
    var localNodeName: String { get }
    /// Whether `address` (as written in a ucast line) is one of this machine's own addresses.
    func isLocalAddress(_ address: String) -> Bool
    /// Whether `path` is a regular file we may execute.
    func isExecutableFile(_ path: String) -> Bool
    /// Whether a user account of that name exists (for `respawn <user> …`).
    func userExists(_ name: String) -> Bool
}

/// The configuration files as read from disk, and where they came from.
public struct ConfigInput: Sendable {
    /// A file's contents, or why there are none.
    public enum Contents: Sendable, Hashable {
        case text(String)
        case missing
        /// The file exists but could not be read; the reason is the system's error text.
        case unreadable(String)
    }

    /// The config directory, `/etc/ha.d` by default; `resource.d` and the files live here.
    public var configDirectory: String
    /// Where init scripts are looked up after `resource.d`, `/etc/init.d` by default.
    public var initDirectory: String
    public var haCf: Contents
    public var authKeys: Contents
    /// The permission bits of authkeys (`st_mode & 0o7777`), or nil when unknown.
    public var authKeysMode: UInt32?
    public var haResources: Contents
    /// `monitors` (our extension); missing means no monitoring.
    public var monitors: Contents

    public init(
        configDirectory: String, initDirectory: String = "/etc/init.d", haCf: Contents, authKeys: Contents,
        authKeysMode: UInt32?, haResources: Contents, monitors: Contents = .missing
    ) {
        self.configDirectory = configDirectory
        self.initDirectory = initDirectory
        self.haCf = haCf
        self.authKeys = authKeys
        self.authKeysMode = authKeysMode
        self.haResources = haResources
        self.monitors = monitors
    }

    public var haCfPath: String { Self.join(configDirectory, "ha.cf") }
    public var authKeysPath: String { Self.join(configDirectory, "authkeys") }
    public var haResourcesPath: String { Self.join(configDirectory, "haresources") }
    public var monitorsPath: String { Self.join(configDirectory, "monitors") }
    public var resourceDirectory: String { Self.join(configDirectory, "resource.d") }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
