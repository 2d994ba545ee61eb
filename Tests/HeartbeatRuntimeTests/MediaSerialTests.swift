import CSystem
import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

@Suite struct MediaSerialQueueTests {
    @Test func oldestWholeMessagesAreDroppedAtTheBound() {
        var queue = SerialOutputQueue()
        let third = SerialOutputQueue.maxQueuedBytes / 3 + 1
        #expect(queue.enqueue([UInt8](repeating: 1, count: third)) == 0)
        #expect(queue.enqueue([UInt8](repeating: 2, count: third)) == 0)
        #expect(queue.enqueue([UInt8](repeating: 3, count: third)) == 1)
        #expect(queue.queuedBytes == 2 * third)
        var written: [UInt8] = []
        _ = queue.drain(chunk: 512) { written += $0; return $0.count }
        #expect(written.first == 2 && written.last == 3 && written.count == 2 * third)
        #expect(queue.isEmpty)
    }

    @Test func aPartlyWrittenMessageIsKeptWhole() {
        var queue = SerialOutputQueue()
        let half = SerialOutputQueue.maxQueuedBytes / 2 + 1
        _ = queue.enqueue([UInt8](repeating: 1, count: half))
        // The device takes 100 bytes, then would block.
        _ = queue.drain(chunk: 512) { buffer in buffer.count == 512 ? 100 : -1 }
        #expect(queue.enqueue([UInt8](repeating: 2, count: half)) == 0)
        #expect(queue.enqueue([UInt8](repeating: 3, count: half)) == 1)
        var written: [UInt8] = []
        _ = queue.drain(chunk: 512) { written += $0; return $0.count }
        #expect(written.count == half - 100 + half)
        #expect(written.first == 1 && written.last == 3)
    }

    @Test func aMessageLargerThanTheBoundStillGoesIntoAnEmptyQueue() {
        var queue = SerialOutputQueue()
        #expect(queue.enqueue([UInt8](repeating: 1, count: Wire.maxMessageSize)) == 0)
        #expect(queue.queuedBytes == Wire.maxMessageSize)
    }
}

/// Two serial media on the slave sides of two pseudo-terminals; the test relays master to master,
/// as a null-modem cable would.
@Suite struct MediaSerialPtyTests {
    private struct Pty {
        var master: Int32 = -1
        var slave: Int32 = -1
        var path = ""

        init() throws {
            var name = [CChar](repeating: 0, count: 128)
            guard hb_openpty(&master, &slave, &name, Int32(name.count)) == 0 else { throw SystemError("openpty") }
            path = string(fromCString: name)
            _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        }

        func close() {
            Glibc.close(master)
            Glibc.close(slave)
        }
    }

    private static let keys = AuthKeys(AuthKey(slot: 1, method: .sha1, secret: Array("serial".utf8)))

    /// Runs a loop with both media and the relay until `expected` messages reached side B, or 3 s.
    /// (A pty takes about 20 KiB before EAGAIN, so bulk sends exercise the queue and the writable watch.)
    private func exchange(garbage: [UInt8] = [], send: (Media) throws -> Void, expected: Int) throws -> [(String, [UInt8])] {
        let loop = try EventLoop()
        let logger = Logger(destinations: .init())
        let a = try Pty(), b = try Pty()
        defer { a.close(); b.close() }
        var received: [(String, [UInt8])] = []
        let sideA = Media(media: [.serial(device: a.path)], udpport: 694, baud: 115_200, localAddresses: [],
                          loop: loop, logger: logger) { _, _ in }
        let sideB = Media(media: [.serial(device: b.path)], udpport: 694, baud: 115_200, localAddresses: [],
                          loop: loop, logger: logger) { bytes, link in
            received.append((link, Array(bytes)))
            if received.count == expected { loop.stop() }
        }
        try relay(from: a.master, to: b.master, loop: loop)
        try relay(from: b.master, to: a.master, loop: loop)
        if !garbage.isEmpty { _ = garbage.withUnsafeBytes { write(b.master, $0.baseAddress, $0.count) } }
        try send(sideA)
        loop.setDeadline(EventLoop.now() + .seconds(3)) { loop.stop() }
        loop.run()
        withExtendedLifetime((sideA, sideB)) {}
        return received
    }

    private func relay(from source: Int32, to target: Int32, loop: EventLoop) throws {
        try loop.watch(source) {
            var bytes = [UInt8](repeating: 0, count: 4096)
            let count = read(source, &bytes, bytes.count)
            if count > 0 { _ = write(target, bytes, count) }
        }
    }

    @Test func aClassicMessageCrossesThePtyPairIntact() throws {
        let message = Message(("t", "status"), ("st", "active"), ("src", "node1"), ("seq", "1f"))
        let received = try exchange(send: { try $0.send(message, keys: Self.keys, innerAuth: true) }, expected: 1)
        try #require(received.count == 1)
        let (link, bytes) = received[0]
        #expect(bytes.starts(with: Array(">>>\n".utf8)) && bytes.suffix(4) == Array("<<<\n".utf8)[...])
        let decoded = try Wire.decode(bytes, keys: Self.keys)
        #expect(decoded.format == .classic)
        #expect(decoded.message["t"] == "status" && decoded.message["src"] == "node1" && decoded.message["seq"] == "1f")
        #expect(link.hasPrefix("/dev/pts/"))
    }

    @Test func garbageThenAValidMessageDeliversOnlyTheValidOne() throws {
        let message = Message(("t", "status"), ("src", "node1"))
        let garbage = Array("line noise\n>>>\nt=half a mess".utf8) + [0xff, 0x80, 0x0a]
        let received = try exchange(garbage: garbage, send: { try $0.send(message, keys: Self.keys, innerAuth: true) },
                                    expected: 1)
        try #require(received.count == 1)
        #expect(try Wire.decode(received[0].1, keys: Self.keys).message["src"] == "node1")
    }

    @Test func manyMessagesLargerThanAChunkAllArriveInOrder() throws {
        let count = 40
        let padding = String(repeating: "p", count: 3 * SerialPort.writeChunk)
        let received = try exchange(send: { media in
            for index in 0..<count {
                try media.send(Message(("t", "bulk"), ("n", String(index)), ("pad", padding)), keys: Self.keys, innerAuth: true)
            }
        }, expected: count)
        #expect(received.count == count)
        let order = try received.map { try Wire.decode($0.1, keys: Self.keys).message["n"] ?? "" }
        #expect(order == (0..<count).map(String.init))
    }
}
