import Testing
@testable import HeartbeatCore

/// Inputs `hbfuzz` (make fuzz) found that broke an invariant, kept so the fix stays fixed.
struct FuzzRegressionTests {
    /// `hbfuzz control`: an error reply with CRs decoded to a message `encoded` cannot write back.
    @Test func errorReplyWithCarriageReturnsIsMalformed() throws {
        let reply = Array("error n".utf8) + [UInt8](repeating: 0x0d, count: 70) + Array(" dmiUUUUssion denied\n".utf8)
        #expect(throws: ControlResponseError.malformed) { try ControlResponse(decoding: reply) }
        #expect(throws: ControlResponseError.malformed) { try ControlResponse(decoding: Array("error a\r\n".utf8)) }
        #expect(try ControlResponse(decoding: Array(ControlResponse.error("a\rb").encoded.utf8)) == .error("a b"))
    }
}
