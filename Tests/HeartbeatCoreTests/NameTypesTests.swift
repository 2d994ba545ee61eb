import Testing
@testable import HeartbeatCore

@Suite struct NameTypesTests {
    @Test func nodeNamesCompareCaseInsensitively() {
        #expect(NodeName("Node1") == NodeName("node1"))
        #expect(NodeName("NODE1").rawValue == "node1")
        #expect("\(NodeName("Alpha"))" == "alpha")
        #expect(NodeName("a") < NodeName("B"))
        let message = Message(type: .status, ("src", "Alpha"), ("dest", "BETA"))
        #expect(message.source == NodeName("alpha") && message.destination == NodeName("beta"))
        #expect(Message(type: .status).destination == nil)
    }

    @Test func messageTypeIsTheFirstFieldAndComparedAsWritten() {
        let message = Message(type: .askResources, ("rsc_hold", "all"))
        #expect(message.fields.map(\.name) == ["t", "rsc_hold"])
        #expect(message["t"] == "ask_resources" && message.type == .askResources)
        #expect(Message(("t", "Status")).type != .status)
        #expect(Message().type == nil)
        #expect(MessageType.ack.isUnsequenced && MessageType.pingStatus.isUnsequenced && !MessageType.status.isUnsequenced)
    }
}
