import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

@Suite struct MediaIPv6Tests {
    private static let loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]
    private static let loopbackUsable = geteuid() == 0 && localIPv6Addresses().contains(loopback)

    @Test func aScopedLiteralCarriesItsInterfaceIndex() throws {
        let address = try #require(resolveIPv6("fe80::1%lo", port: 694))
        #expect(address.sin6_scope_id == if_nametoindex("lo"))
        #expect(UInt16(bigEndian: address.sin6_port) == 694)
        #expect(ipv6Text(address) == "fe80::1")
    }

    @Test func namesAreNeverLookedUp() {
        // The event loop reopens media; a resolver that waits on DNS there would stall heartbeats.
        #expect(resolveIPv6("localhost", port: 694) == nil)
    }

    /// A ucast6 datagram over `lo`, with an IPv4 receiver on the same port that must not collide
    /// with the IPv6 one (IPV6_V6ONLY) nor see the IPv6 traffic. SO_BINDTODEVICE needs root.
    @Test(.enabled(if: loopbackUsable)) func ucast6CrossesLoopbackBesideAnIPv4Receiver() throws {
        let port: UInt16 = 39_694
        let ipv4Receiver = try UDPSocket()
        try ipv4Receiver.setFlag(SOL_SOCKET, SO_REUSEADDR)
        try ipv4Receiver.bind(address: 0, port: port)
        let receiver = try openIPv6Receiver(interface: "lo", group: nil, port: port)
        let (sender, destination) = try openIPv6Sender(.ucast6(interface: "lo", peer: "::1"), udpport: port)
        let datagram = Array("###\n11:(0)t=status,%%%\n".utf8)
        #expect(sender.send(datagram, to: destination) == 0)
        var buffer = [UInt8](repeating: 0, count: 1024)
        var count: Int?
        for _ in 0..<100 where count == nil {
            count = receiver.receive(into: &buffer)
            if count == nil { usleep(10_000) }
        }
        #expect(count.map { Array(buffer[0..<$0]) } == datagram)
        #expect(ipv4Receiver.receive(into: &buffer) == nil)
    }
}
