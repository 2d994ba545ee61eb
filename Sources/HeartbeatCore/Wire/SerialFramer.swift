/// Splits the byte stream of a serial line into classic messages (spec §1.2, §4.4): lines before
/// `>>>` are skipped, lines up to `<<<` are collected, and the whole `>>>\n…<<<\n` text is handed
/// on. Garbage, a message cut short by a new `>>>`, or anything longer than MAXMSG is dropped and
/// the framer resynchronises on the next `>>>`. Pure: no I/O, so it is tested byte by byte.
public struct SerialFramer: Sendable {
    private static let startLine: [UInt8] = Array(">>>".utf8)
    private static let endLine: [UInt8] = Array("<<<".utf8)
    /// One message, and so one line, is at most MAXMSG bytes (spec §1.5).
    public static let maxMessageSize = Wire.maxMessageSize

    /// Lines skipped outside a message, and messages dropped unfinished or oversized.
    public private(set) var skippedLines = 0
    public private(set) var droppedMessages = 0

    private var line: [UInt8] = []
    private var lineTooLong = false
    /// The message being collected, from its `>>>\n`; nil while hunting for a start.
    private var message: [UInt8]?

    public init() {}

    public mutating func feed(_ bytes: some Sequence<UInt8>, _ emit: ([UInt8]) -> Void) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n"):
                endOfLine(emit)
            // 3.0.6 may follow `<<<\n` with the NUL of its in-memory string, and IGNCR already
            // drops CR on a real line; classic text holds neither, so both are noise here.
            case 0, UInt8(ascii: "\r"):
                continue
            default:
                if line.count < Self.maxMessageSize { line.append(byte) } else { lineTooLong = true }
            }
        }
    }

    private mutating func endOfLine(_ emit: ([UInt8]) -> Void) {
        defer {
            line.removeAll(keepingCapacity: line.capacity <= 4096)
            lineTooLong = false
        }
        if line.isEmpty { return }  // the classic parser skips runs of newlines too
        if line == Self.startLine {
            if message != nil { droppedMessages += 1 }
            message = Self.startLine + [UInt8(ascii: "\n")]
            return
        }
        guard var collected = message else {
            skippedLines += 1
            return
        }
        message = nil  // no copy-on-write while appending
        if lineTooLong || collected.count + line.count + 1 > Self.maxMessageSize {
            droppedMessages += 1
            return
        }
        collected += line
        collected.append(UInt8(ascii: "\n"))
        if line == Self.endLine {
            emit(collected)
        } else {
            message = collected
        }
    }
}
