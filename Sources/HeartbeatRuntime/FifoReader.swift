import Glibc
import HeartbeatCore

/// Reads the classic messages scripts write to the FIFO (`ha_clustermsg`, 3.0.6's `hb_standby`;
/// spec §6.5). Bad input is dropped with a rate-limited log line and never stops the reader.
public final class FifoReader {
    /// A message that big is not a script's; the buffer is dropped and reading resynchronises.
    public static let bufferLimit = 65_536

    private let readFD: Int32
    /// Held open so the FIFO never reports end-of-file between writers.
    private let keepOpenFD: Int32
    private var buffer: [UInt8] = []
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
            buffer += chunk[0..<count]
            if buffer.count > Self.bufferLimit {
                logger.log(.error, "FIFO input over \(Self.bufferLimit) bytes without a complete message: dropped", rateLimited: true)
                buffer.removeAll()
            }
        }
        extractMessages()
    }

    private func extractMessages() {
        for result in Self.takeMessages(from: &buffer) {
            switch result {
            case .success(let message): onMessage(message)
            case .failure(let error): logger.log(.error, "Bad message on the FIFO: \(error)", rateLimited: true)
            }
        }
    }

    /// Removes every complete `>>>\n…<<<\n` message from the front of `buffer` and decodes it;
    /// what follows the last end marker stays for the next read. Pure, so it is fuzzed (`hbfuzz fifo`).
    public static func takeMessages(from buffer: inout [UInt8]) -> [Result<Message, WireError>] {
        let end = Array("<<<\n".utf8)
        var results: [Result<Message, WireError>] = []
        while let close = firstRange(of: end, in: buffer) {
            let text = Array(buffer[..<close.upperBound])
            buffer.removeSubrange(..<close.upperBound)
            // Anything before the start marker is noise from a careless writer.
            guard let start = firstRange(of: Array(">>>\n".utf8), in: text) else { continue }
            do {
                results.append(.success(try Wire.decodeUnauthenticated(Array(text[start.lowerBound...])).message))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }
}

func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
    guard needle.count <= haystack.count else { return nil }
    for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
        if haystack[index..<index + needle.count].elementsEqual(needle) { return index..<index + needle.count }
    }
    return nil
}
