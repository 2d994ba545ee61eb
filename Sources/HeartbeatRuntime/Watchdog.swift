import CSystem
import Glibc
import HeartbeatCore

/// `watchdog DEVICE` (spec §7.2): the kernel reboots this node unless we write to the device
/// often enough. The daemon feeds it when it sends its own heartbeat, which only a healthy event
/// loop does, so a hung or stopped daemon gets the node rebooted. A clean shutdown writes the
/// magic `V` before closing, which tells the driver to stop the timer (with `nowayout=0`).
public final class Watchdog {
    public let path: String
    private var fd: Int32
    /// A resource could not be stopped: feeding stopped on purpose (ResourceManager+Fencing.swift).
    public private(set) var starved = false

    /// The timeout 3.0.6 sets: ⌈(deadtime + 10 ms) / 1 s⌉ seconds.
    public static func timeoutSeconds(deadtime: Duration) -> Int32 {
        Int32((deadtime.milliseconds + 10 + 999) / 1000)
    }

    /// Opens the device (non-blocking, so a FIFO without a reader fails instead of hanging) and
    /// sets its timeout when the driver supports it.
    public init(path: String, deadtime: Duration, logger: Logger) throws(SystemError) {
        self.path = path
        fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open watchdog device \(path)") }
        let seconds = Self.timeoutSeconds(deadtime: deadtime)
        if hb_watchdog_set_timeout(fd, seconds) == 0 {
            logger.log(.info, "Watchdog device \(path) opened; timeout set to \(seconds) s.")
        } else {
            let reason = String(cString: strerror(errno))
            logger.log(.info, "Watchdog device \(path) opened; its timeout cannot be set (\(reason)), the driver's own applies.")
        }
    }

    /// One keepalive byte (a NUL, like 3.0.6), unless starved.
    public func feed() {
        guard fd >= 0, !starved else { return }
        var byte: UInt8 = 0
        _ = write(fd, &byte, 1)
    }

    public func starve() { starved = true }

    /// Clean shutdown: the magic close. Not written when starved: the reboot must still happen.
    public func close() {
        guard fd >= 0 else { return }
        if !starved {
            var magic = UInt8(ascii: "V")
            _ = write(fd, &magic, 1)
        }
        _ = Glibc.close(fd)
        fd = -1
    }
}
