import Glibc
import HeartbeatCore

/// Reads the classic messages scripts write to the FIFO (spec §6.5) and hands them to `FifoFramer`.
/// Bad input is dropped with a rate-limited log line and never stops the reader.
public final class FifoReader {
    private let readFD: Int32
    /// Held open so the FIFO never reports end-of-file between writers.
    private let keepOpenFD: Int32
    private var framer = FifoFramer()
    private let logger: Logger
    private let onMessage: (Message) -> Void

    public init(path: String, loop: EventLoop, logger: Logger, onMessage: @escaping (Message) -> Void) throws(SystemError) {
        var info = stat()
        if stat(path, &info) != 0 {
            logger.log(.info, "Creating FIFO \(path).")
            guard mkfifo(path, 0o600) == 0 else { throw SystemError("mkfifo \(path)") }
        } else if info.st_mode & S_IFMT != S_IFIFO {
            throw SystemError("\(path) exists and is not a FIFO", code: EEXIST)
        }
        readFD = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard readFD >= 0 else { throw SystemError("open \(path)") }
        keepOpenFD = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        self.logger = logger
        self.onMessage = onMessage
        try loop.watch(readFD) { [unowned self] in self.readAvailable() }
    }

    deinit {
        close(readFD)
        if keepOpenFD >= 0 { close(keepOpenFD) }
    }

    private func readAvailable() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            if !framer.append(chunk[0..<count]) {
                logger.log(.error, "FIFO input over \(FifoFramer.bufferLimit) bytes without a complete message: dropped", rateLimited: true)
            }
        }
        for result in framer.takeMessages() {
            switch result {
            case .success(let message): onMessage(message)
            case .failure(let error): logger.log(.error, "Bad message on the FIFO: \(error)", rateLimited: true)
            }
        }
    }
}
