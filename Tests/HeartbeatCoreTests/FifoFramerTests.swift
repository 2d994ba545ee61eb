import HeartbeatCore
import Testing

@Suite struct FifoFramerTests {
    private func messages(_ chunks: [String]) -> (results: [Result<Message, WireError>], framer: FifoFramer) {
        var framer = FifoFramer()
        var results: [Result<Message, WireError>] = []
        for chunk in chunks {
            let kept = framer.append(Array(chunk.utf8))
            #expect(kept)
            results += framer.takeMessages()
        }
        return (results, framer)
    }

    @Test func aMessageSplitAcrossWritesIsTakenWhenItsEndArrives() throws {
        let (results, framer) = messages([">>>\nt=ask_resources\nrsc_hold=", "all\ninfo=me\n<<<\n"])
        try #require(results.count == 1)
        let message = try results[0].get()
        #expect(message.fields.map(\.name) == ["t", "rsc_hold", "info"])
        #expect(message["rsc_hold"] == "all")
        #expect(framer.buffer.isEmpty)
    }

    @Test func noiseBeforeTheStartIsIgnoredAndABrokenMessageIsAnError() throws {
        let (results, _) = messages(["noise\n>>>\nbroken line without equals\n<<<\n>>>\nt=a\n<<<\n"])
        try #require(results.count == 2)
        #expect(throws: WireError.self) { try results[0].get() }
        #expect(try results[1].get()["t"] == "a")
    }

    @Test func textWithoutAStartMarkerYieldsNothing() {
        let (results, framer) = messages(["just noise\n<<<\n"])
        #expect(results.isEmpty)
        #expect(framer.buffer.isEmpty)
    }

    @Test func whatFollowsTheLastEndWaitsForTheNextRead() throws {
        let (results, framer) = messages([">>>\nt=a\n<<<\n>>>\nt=b\n"])
        #expect(results.count == 1)
        #expect(framer.buffer == Array(">>>\nt=b\n".utf8))
    }

    @Test func inputPastTheLimitWithoutAMessageIsDropped() {
        var framer = FifoFramer()
        let atTheLimit = framer.append([UInt8](repeating: UInt8(ascii: "x"), count: FifoFramer.bufferLimit))
        let pastIt = framer.append(Array(">>>\n".utf8))
        #expect(atTheLimit && !pastIt)
        #expect(framer.buffer.isEmpty)
        let afterwards = framer.append(Array(">>>\nt=after\n<<<\n".utf8))
        let results = framer.takeMessages()
        #expect(afterwards)
        #expect(results.count == 1)
    }
}
