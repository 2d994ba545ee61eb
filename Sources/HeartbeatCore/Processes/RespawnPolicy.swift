/// What happens when a `respawn` or `failfast` client exits (spec §7.4). A `failfast` client that
/// ends abnormally (a signal, or a non-zero code other than 100) reboots the node. Otherwise the
/// client is started again, except after exit code 100 ("do not respawn me") or once it has exited
/// quickly too often: an exit within `quickExit` of its start counts as quick, a run that lasted
/// longer forgets the count, and the 11th quick exit in a row (after 10 quick restarts) gives up.
public struct RespawnPolicy: Sendable, Hashable {
    public static let quickExit: Duration = .seconds(30)
    public static let maxQuickRestarts = 10
    /// The exit code with which a client asks not to be started again.
    public static let doNotRespawn: Int32 = 100

    public enum Decision: Sendable, Hashable {
        case restart
        /// Exit code 100.
        case stayDown
        /// "respawning too fast": left stopped.
        case tooFast
        /// A `failfast` client ended abnormally.
        case reboot
    }

    public private(set) var quickExits = 0

    public init() {}

    /// `exitCode` is nil when the client was killed by a signal.
    public mutating func exited(exitCode: Int32?, ranFor: Duration, failfast: Bool = false) -> Decision {
        if failfast, exitCode != 0, exitCode != Self.doNotRespawn { return .reboot }
        if exitCode == Self.doNotRespawn { return .stayDown }
        quickExits = ranFor < Self.quickExit ? quickExits + 1 : 0
        return quickExits > Self.maxQuickRestarts ? .tooFast : .restart
    }
}
