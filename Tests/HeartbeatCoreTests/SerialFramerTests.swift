import Testing
import HeartbeatCore

@Suite struct SerialFramerTests {
    private func frames(_ chunks: [String]) -> (messages: [String], framer: SerialFramer) {
        var framer = SerialFramer()
        var messages: [String] = []
        for chunk in chunks {
            framer.feed(Array(chunk.utf8)) { messages.append(String(decoding: $0, as: UTF8.self)) }
        }
        return (messages, framer)
    }

    @Test func garbageBeforeAMessageIsSkipped() {
        let (messages, framer) = frames(["noise\nmore noise\n>>>\nt=status\nsrc=a\n<<<\n"])
        #expect(messages == [">>>\nt=status\nsrc=a\n<<<\n"])
        #expect(framer.skippedLines == 2)
    }

    @Test func aMessageSplitAcrossReadsIsReassembled() {
        let (messages, _) = frames([">", ">>\nt=st", "atus\n<", "<<", "\n"])
        #expect(messages == [">>>\nt=status\n<<<\n"])
    }

    @Test func aNewStartDropsTheUnfinishedMessage() {
        let (messages, framer) = frames([">>>\nt=cut\n>>>\nt=whole\n<<<\n"])
        #expect(messages == [">>>\nt=whole\n<<<\n"])
        #expect(framer.droppedMessages == 1)
    }

    @Test func nulCarriageReturnAndBlankLinesAreNoise() {
        let (messages, _) = frames(["\0>>>\r\n\n\nt=a\n<<<\n\0", ">>>\nt=b\n<<<\n"])
        #expect(messages == [">>>\nt=a\n<<<\n", ">>>\nt=b\n<<<\n"])
    }

    @Test func anOversizedMessageIsDroppedAndTheNextOneArrives() {
        let long = String(repeating: "x", count: SerialFramer.maxMessageSize + 10)
        let (messages, framer) = frames([">>>\nv=\(long)\n<<<\n", ">>>\nt=ok\n<<<\n"])
        #expect(messages == [">>>\nt=ok\n<<<\n"])
        #expect(framer.droppedMessages == 1)
    }
}
