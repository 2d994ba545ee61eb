import Testing
@testable import HeartbeatCore

@Suite struct MessageTests {
    @Test func lookupReturnsFirstOfRepeatedNames() {
        var message = Message(("t", "status"), ("x", "1"), ("x", "2"))
        #expect(message["x"] == "1")
        message["x"] = "3"
        #expect(message.fields.map(\.name) == ["t", "x", "x"])
        #expect(message["x"] == "3")
        message["x"] = nil
        #expect(message.fields.map(\.name) == ["t"])
    }
}
