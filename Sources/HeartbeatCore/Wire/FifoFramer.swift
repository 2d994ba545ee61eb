/// Cuts what scripts write to the FIFO (`ha_clustermsg`, 3.0.6's `hb_standby`; spec §6.5) into
/// classic messages. Writers may split a message across writes, so bytes wait here until its end
/// marker arrives; noise before a start marker is ignored. Pure, so it is fuzzed (`hbfuzz fifo`).
public struct FifoFramer: Sendable {
    /// A message that big is not a script's; the buffer is dropped and reading resynchronises.
    public static let bufferLimit = 65_536

    private static let startMarker = Array(">>>\n".utf8)
    private static let endMarker = Array("<<<\n".utf8)

    public private(set) var buffer: [UInt8] = []

    public init() {}

    /// Adds bytes read from the FIFO. Returns false when the buffer passed `bufferLimit` without a
    /// complete message and was dropped.
    public mutating func append(_ bytes: some Sequence<UInt8>) -> Bool {
        buffer += bytes
        guard buffer.count > Self.bufferLimit else { return true }
        buffer.removeAll()
        return false
    }

    /// Removes every complete `>>>\n…<<<\n` message from the front of the buffer and decodes it;
    /// what follows the last end marker stays for the next read.
    public mutating func takeMessages() -> [Result<Message, WireError>] {
        var results: [Result<Message, WireError>] = []
        while let close = Self.firstRange(of: Self.endMarker, in: buffer) {
            let text = Array(buffer[..<close.upperBound])
            buffer.removeSubrange(..<close.upperBound)
            // Anything before the start marker is noise from a careless writer.
            guard let start = Self.firstRange(of: Self.startMarker, in: text) else { continue }
            do {
                results.append(.success(try Wire.decodeUnauthenticated(Array(text[start.lowerBound...])).message))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    private static func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if haystack[index..<index + needle.count].elementsEqual(needle) { return index..<index + needle.count }
        }
        return nil
    }
}
