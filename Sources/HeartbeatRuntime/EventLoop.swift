import CSystem
import Glibc
import HeartbeatCore

/// The daemon's one event loop: readable descriptors, one monotonic deadline timer and signals,
/// all dispatched on the calling thread. Nothing registered here may block.
public final class EventLoop {
    private let epollFD: Int32
    private var signalFD: Int32 = -1
    private var handlers: [UInt64: () -> Void] = [:]
    private var nextToken: UInt64 = 3
    private var timerHandler: (() -> Void)?
    /// When the timer handler runs next: the wait for events ends then (no timerfd, so setting
    /// it costs no system call); `nil` once it fired, or when disarmed.
    private var deadline: Instant?
    private var signalHandler: ((Int32) -> Void)?
    private(set) var stopped = false
    private static let signalToken: UInt64 = 2

    public init() throws(SystemError) {
        epollFD = hb_epoll_create()
        guard epollFD >= 0 else { throw SystemError("epoll_create") }
    }

    deinit {
        close(epollFD)
        if signalFD >= 0 { close(signalFD) }
    }

    /// The monotonic clock, the only clock the membership logic sees.
    public static func now() -> Instant { Instant(nanoseconds: hb_monotonic_ns()) }

    /// Calls `handler` whenever `fd` is readable. Returns a token for `remove`.
    @discardableResult
    public func watch(_ fd: Int32, _ handler: @escaping () -> Void) throws(SystemError) -> UInt64 {
        let token = nextToken
        nextToken += 1
        guard hb_epoll_add(epollFD, fd, token) == 0 else { throw SystemError("epoll_ctl add") }
        handlers[token] = handler
        return token
    }

    /// Calls `handler` once each time `fd` becomes writable, readable or broken (edge-triggered):
    /// a connection's whole life (connect ended, answer arriving) on one registration. The
    /// handler must read until EAGAIN, or it hears of nothing more. Returns a token for `remove`.
    @discardableResult
    public func watchConnection(_ fd: Int32, _ handler: @escaping () -> Void) throws(SystemError) -> UInt64 {
        let token = nextToken
        nextToken += 1
        guard hb_epoll_add_edge(epollFD, fd, token) == 0 else { throw SystemError("epoll_ctl add") }
        handlers[token] = handler
        return token
    }

    public func remove(_ fd: Int32, token: UInt64) {
        _ = hb_epoll_del(epollFD, fd)
        handlers[token] = nil
    }

    /// Arms the single deadline timer (absolute, monotonic) to call `handler`; `nil` disarms it.
    public func setDeadline(_ deadline: Instant?, _ handler: @escaping () -> Void) {
        onTimer(handler)
        setDeadline(deadline)
    }

    /// What the timer calls, kept for every later `setDeadline(_:)`.
    public func onTimer(_ handler: @escaping () -> Void) {
        timerHandler = handler
    }

    /// Arms the single deadline timer for the handler set before; `nil` disarms it.
    /// A deadline already past fires at the next turn of the loop.
    public func setDeadline(_ deadline: Instant?) {
        self.deadline = deadline
    }

    /// Turns the given signals into calls of `handler` on this loop (they are blocked for the process).
    public func handleSignals(_ signals: [Int32], _ handler: @escaping (Int32) -> Void) throws(SystemError) {
        signalFD = signals.withUnsafeBufferPointer { hb_signalfd($0.baseAddress, Int32($0.count)) }
        guard signalFD >= 0, hb_epoll_add(epollFD, signalFD, Self.signalToken) == 0 else {
            throw SystemError("signalfd")
        }
        signalHandler = handler
    }

    public func stop() { stopped = true }

    /// Runs until `stop()`.
    public func run() {
        var tokens = [UInt64](repeating: 0, count: 64)
        while !stopped {
            let waitUntil = deadline.map { max($0.nanoseconds, 0) } ?? -1
            let count = tokens.withUnsafeMutableBufferPointer { hb_epoll_wait_until(epollFD, $0.baseAddress, 64, waitUntil) }
            for index in 0..<Int(max(count, 0)) {
                dispatch(tokens[index])
                if stopped { return }
            }
            // After the events that came with it: a packet that arrived by the deadline is seen
            // before the timer's work (a peer's death, say) is done.
            if let due = deadline, Self.now() >= due {
                deadline = nil
                timerHandler?()
                if stopped { return }
            }
        }
    }

    private func dispatch(_ token: UInt64) {
        switch token {
        case Self.signalToken:
            while case let signal = hb_signalfd_read(signalFD), signal > 0 {
                signalHandler?(signal)
            }
        default:
            handlers[token]?()
        }
    }
}

/// A failed system call: what we tried and errno's text.
public struct SystemError: Error, CustomStringConvertible {
    public var operation: String
    public var code: Int32

    public init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}
