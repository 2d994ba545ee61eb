import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

/// The daemon's announcer skips what it cannot announce; sending is covered with real namespaces
/// by `Tests/integration/test_announce.sh` (it needs CAP_NET_RAW and a neighbour to hear it).
@Suite struct AddressAnnouncerTests {
    @Test func addressesThisMachineDoesNotCarryAreSkippedAndNotRepeated() throws {
        var template = Array("/tmp/hb-announce-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let logger = Logger(destinations: .init(logFile: directory + "/ha-log"))
        let announcer = AddressAnnouncer(logger: logger, loop: try EventLoop())
        // TEST-NET-1 and a documentation IPv6 address are on no interface; loopback has no neighbours.
        let addresses = [ServiceAddress(address: "192.0.2.77"), ServiceAddress(address: "2001:db8::77"),
                         ServiceAddress(address: "127.0.0.1")]
        announcer.announce(group: "web", addresses: addresses, now: .zero)
        #expect(announcer.nextDeadline == nil)
        let log = String(decoding: readSmallFile(directory + "/ha-log") ?? [], as: UTF8.self)
        for address in addresses {
            #expect(log.contains("Not announcing \(address.address): it is not configured on this node."), "\(log)")
        }
    }
}
