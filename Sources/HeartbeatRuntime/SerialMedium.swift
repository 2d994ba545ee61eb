import CSystem
import Glibc
import HeartbeatCore

/// Whole classic messages waiting for a serial line, bounded in bytes. When a new message would
/// pass the bound, the oldest messages not yet begun are dropped: a heartbeat queued seconds ago
/// is worth less than the newest, and a line whose peer holds CTS low must not grow memory without
/// end. A message into an empty queue is always taken, so even a MAXMSG message can go out.
struct SerialOutputQueue {
    /// About 27 s of text at 19200 baud; far more than any keepalive's worth of messages.
    static let maxQueuedBytes = 65_536

    private var messages: [[UInt8]] = []
    /// Bytes of `messages[0]` already written.
    private var headOffset = 0
    private(set) var queuedBytes = 0

    var isEmpty: Bool { messages.isEmpty }

    /// Adds a message; returns how many older messages were dropped to make room.
    mutating func enqueue(_ bytes: [UInt8]) -> Int {
        var dropped = 0
        // A message partly written stays: cutting it would corrupt the line's framing.
        let firstDroppable = headOffset > 0 ? 1 : 0
        while queuedBytes + bytes.count > Self.maxQueuedBytes, messages.count > firstDroppable {
            queuedBytes -= messages.remove(at: firstDroppable).count
            dropped += 1
        }
        messages.append(bytes)
        queuedBytes += bytes.count
        return dropped
    }

    /// Calls `write` with the unwritten bytes of the oldest message, up to `limit`, and consumes
    /// what it reports written; stops at the first short or failed write. Returns the errno of a
    /// failed write, or 0.
    mutating func drain(chunk limit: Int, _ write: (UnsafeRawBufferPointer) -> Int) -> Int32 {
        while let head = messages.first {
            let end = min(head.count, headOffset + limit)
            let offered = end - headOffset
            let written = head[headOffset..<end].withUnsafeBytes { write($0) }
            if written < 0 { return errno }
            headOffset += written
            queuedBytes -= written
            if headOffset == head.count {
                messages.removeFirst()
                headOffset = 0
            }
            if written < offered { return 0 }  // the kernel took less than offered: wait until writable
        }
        return 0
    }
}

/// One `serial` device (spec §4.4): 3.0.6's raw termios, classic text out, classic text in.
/// It never blocks the event loop: output goes through a bounded queue, written while the device
/// accepts it and resumed when it becomes writable again. A device that fails or vanishes is
/// closed, and `openIfClosed()` (called once a second) opens it again.
final class SerialPort {
    /// 3.0.6 writes 512 bytes at a time and sleeps 512/(baud/8) s between chunks; we keep its
    /// chunk size for each write(2) but not the sleep: the non-blocking descriptor reports when the
    /// kernel's buffer is full, and the UART drains it at line speed anyway.
    static let writeChunk = 512
    /// Bytes read per wake-up at most, so a babbling line cannot starve the other media.
    static let maxReadPerWake = 16_384

    let device: String
    private let baud: Int
    private let loop: EventLoop
    private let logger: Logger
    private let onPacket: Media.PacketHandler
    private var fd: Int32 = -1
    private var readToken: UInt64 = 0
    /// An epoll set holding `fd` for EPOLLOUT while output waits. The loop watches this set for
    /// readability, which it has exactly when `fd` is writable: a writable watch without
    /// changing the shared event loop.
    private var writeWaiter: Int32 = -1
    private var framer = SerialFramer()
    private var queue = SerialOutputQueue()
    private var breakSent = false
    private var lastError: Int32 = 0
    private var readBuffer = [UInt8](repeating: 0, count: 4096)

    private(set) var sendFailures = 0
    private(set) var droppedOutput = 0
    var isOpen: Bool { fd >= 0 }
    var skippedLines: Int { framer.skippedLines }
    var droppedInput: Int { framer.droppedMessages }

    init(device: String, baud: Int, loop: EventLoop, logger: Logger, onPacket: @escaping Media.PacketHandler) {
        self.device = device
        self.baud = baud
        self.loop = loop
        self.logger = logger
        self.onPacket = onPacket
        let waiter = hb_epoll_create()
        if waiter >= 0, (try? loop.watch(waiter, { [unowned self] in self.flush() })) != nil {
            writeWaiter = waiter
        } else {
            // Without it, output left over is retried on the next send and once a second.
            if waiter >= 0 { Glibc.close(waiter) }
            logger.log(.warning, "\(device): no writable notification; output is retried on each send")
        }
    }

    deinit {
        closeDevice()
        if writeWaiter >= 0 { Glibc.close(writeWaiter) }
    }

    func openIfClosed() {
        guard fd < 0 else {
            flush()
            return
        }
        let opened = hb_serial_open(device, Int32(baud))
        guard opened >= 0 else {
            logger.log(.error, "Cannot open serial device \(device): \(String(cString: strerror(errno)))", rateLimited: true)
            return
        }
        guard let token = try? loop.watch(opened, { [unowned self] in self.readable() }) else {
            Glibc.close(opened)
            return
        }
        fd = opened
        readToken = token
        // 3.0.6 sends a break when it opens the line. On a real UART the kernel holds it for a
        // quarter second, so we do it once at startup and not on every reopen mid-run.
        if !breakSent {
            breakSent = true
            _ = hb_serial_break(fd)
        }
        logger.log(.info, "Serial device \(device) open at \(baud) baud")
        flush()
    }

    /// Queues one classic message and writes as much as the device takes now.
    func send(_ bytes: [UInt8]) {
        let dropped = queue.enqueue(bytes)
        if dropped > 0 {
            droppedOutput += dropped
            logger.log(.warning, "\(device): output queue full, dropped the oldest messages", rateLimited: true)
        }
        flush()
    }

    private func flush() {
        guard fd >= 0 else { return }
        let descriptor = fd
        let error = queue.drain(chunk: Self.writeChunk) { write(descriptor, $0.baseAddress, $0.count) }
        switch error {
        case 0, EAGAIN, EINTR:
            if lastError != 0, error == 0 {
                logger.log(.info, "write on \(device) works again")
                lastError = 0
            }
            if writeWaiter >= 0 { _ = hb_epoll_watch_writable(writeWaiter, fd, 0, queue.isEmpty ? 0 : 1) }
        default:
            sendFailures += 1
            lastError = error
            closeDevice(reason: "write failure: \(String(cString: strerror(error)))")
        }
    }

    private func readable() {
        var total = 0
        while fd >= 0, total < Self.maxReadPerWake {
            let count = readBuffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                total += count
                framer.feed(readBuffer[0..<count]) { onPacket($0[...], device) }
            } else if count < 0, errno == EAGAIN || errno == EINTR {
                return
            } else {
                // 0 is end of file (the far side hung up); any other error leaves the line unusable.
                closeDevice(reason: count == 0 ? "hang-up" : "read failure: \(String(cString: strerror(errno)))")
            }
        }
    }

    private func closeDevice(reason: String? = nil) {
        guard fd >= 0 else { return }
        if let reason { logger.log(.error, "Serial device \(device): \(reason); closed, will reopen", rateLimited: true) }
        if writeWaiter >= 0 { _ = hb_epoll_watch_writable(writeWaiter, fd, 0, 0) }
        loop.remove(fd, token: readToken)
        Glibc.close(fd)
        fd = -1
    }
}
