import Glibc
import HeartbeatCore

/// What the daemon's effect interpreter needs from the world, each behind a small protocol so the
/// interpreter runs in unit tests against fakes. The real implementations are the runtime's types.
struct DaemonIO {
    var clock: any DaemonClock
    /// Every medium a message goes out on.
    var transport: any MessageTransport
    var scripts: any ScriptLauncher
    var checks: any CheckLauncher
    /// systemd, when started by a `Type=notify` unit.
    var notifier: (any ServiceNotifier)?
}

/// The monotonic clock behind timers and ages, and the wall clock behind `ts` and generations.
protocol DaemonClock {
    func now() -> Instant
    func wallClockSeconds() -> UInt64
}

struct SystemClock: DaemonClock {
    func now() -> Instant { EventLoop.now() }
    func wallClockSeconds() -> UInt64 { UInt64(time(nil)) }
}

/// Signs, encodes and sends messages; reopens what broke.
protocol MessageTransport: AnyObject {
    func send(_ message: Message, keys: AuthKeys, innerAuth: Bool) throws(WireError)
    func reopenBroken()
}

extension Media: MessageTransport {}

/// Runs scripts as children without blocking; their ends come back as `ScriptRunner.Finished`.
protocol ScriptLauncher: AnyObject {
    func run(id: UInt64, path: String, arguments: [String], environment: [String], timeout: Duration) throws(SystemError)
    /// When `enforceTimeouts` next has something to do.
    var nextDeadline: Instant? { get }
    func enforceTimeouts(now: Instant)
    /// On SIGCHLD: collects exited children; those that are not scripts go to `other`.
    func reap(other: ((pid_t, Int32) -> Void)?)
}

extension ScriptRunner: ScriptLauncher {}

/// Runs monitor checks without blocking; their ends come back as `(CheckRun.ID, CheckOutcome)`.
protocol CheckLauncher: AnyObject {
    /// `environment` is evaluated only for a check that starts a process.
    func start(_ run: CheckRun, environment: @autoclosure () -> [String])
    /// Kills the check; nothing comes back for it.
    func cancel(_ id: CheckRun.ID)
    /// Kills every check; nothing comes back.
    func cancelAll()
    /// When `enforceTimeouts` next has something to do.
    var nextDeadline: Instant? { get }
    func enforceTimeouts(now: Instant)
    /// A child the daemon reaped: whether it was a check's (then it is dealt with).
    func reaped(pid: pid_t, status: Int32) -> Bool
}

extension CheckRunner: CheckLauncher {}

/// The node's persistent identity: its UUID and a generation that rises on every start.
protocol IdentityStore {
    func bumpGeneration(wallClockSeconds: UInt64) throws(SystemError) -> (generation: UInt64, note: (LogLevel, String)?)
    func loadOrCreateUUID() throws(SystemError) -> (uuid: [UInt8], note: (LogLevel, String)?)
}

extension StateFiles: IdentityStore {}

/// The service manager: readiness, status lines and its own watchdog.
protocol ServiceNotifier: AnyObject {
    @discardableResult func send(_ text: String) -> Bool
    /// Sends STATUS= only when the text changed.
    func status(_ text: String)
    var watchdogInterval: Duration? { get }
}

extension SystemdNotifier: ServiceNotifier {}
