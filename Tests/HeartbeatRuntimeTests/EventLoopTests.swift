import CSystem
import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

@Suite struct EventLoopTests {
    /// A loop that wakes late finds a packet waiting and a deadline passed: the packet is read
    /// first, or a heartbeat that did arrive would not count before the deadline judges its sender.
    @Test func readableDescriptorsAreDispatchedBeforeTheTimerThatExpiredWithThem() throws {
        let loop = try EventLoop()
        var fds: [Int32] = [0, 0]
        #expect(hb_pipe_cloexec_nonblock(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var order: [String] = []
        _ = try loop.watch(fds[0]) {
            var byte: UInt8 = 0
            while read(fds[0], &byte, 1) == 1 {}
            order.append("readable")
        }
        loop.setDeadline(EventLoop.now()) {
            order.append("timer")
            loop.stop()
        }
        var byte: UInt8 = 1
        #expect(write(fds[1], &byte, 1) == 1)
        // Both are ready before the loop first waits, as after a stall.
        usleep(20_000)
        loop.run()
        #expect(order == ["readable", "timer"])
    }
}
