import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

/// The sd_notify datagrams, received on a real AF_UNIX socket as systemd would receive them.
@Suite struct SystemdNotifyTests {
    /// Binds a datagram socket at `address` (a path, or `@name` for the abstract namespace).
    private func listener(_ name: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        #expect(fd >= 0)
        var (address, length) = try #require(SystemdNotifier.address(for: name))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        #expect(bound == 0)
        return fd
    }

    private func receive(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
    }

    @Test func sendsToAnAbstractSocket() throws {
        let name = "@hb-notify-test-\(getpid())"
        let fd = try listener(name)
        defer { close(fd) }
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": name], pid: getpid()))
        #expect(notifier.send("READY=1\nSTATUS=up"))
        #expect(receive(fd) == "READY=1\nSTATUS=up")
    }

    @Test func sendsToAPathAndRepeatsNoStatus() throws {
        let path = "/tmp/hb-notify-\(getpid()).sock"
        unlink(path)
        let fd = try listener(path)
        defer { close(fd); unlink(path) }
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": path], pid: getpid()))
        notifier.status("1 of 2 nodes up")
        notifier.status("1 of 2 nodes up")
        notifier.status("2 of 2 nodes up")
        #expect(receive(fd) == "STATUS=1 of 2 nodes up")
        #expect(receive(fd) == "STATUS=2 of 2 nodes up")
        #expect(receive(fd) == nil)
    }

    @Test func notStartedBySystemdMeansNoNotifier() {
        #expect(SystemdNotifier(environment: [:], pid: 1) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative/path"], pid: 1) == nil)
        #expect(SystemdNotifier.address(for: "/" + String(repeating: "x", count: 200)) == nil)
    }

    @Test func watchdogIntervalIsHalfOfWhatSystemdAsksForThisProcess() {
        #expect(SystemdNotifier.watchdogInterval(microseconds: "20000000", forPID: nil, pid: 42) == .seconds(10))
        #expect(SystemdNotifier.watchdogInterval(microseconds: "400000", forPID: "42", pid: 42) == .milliseconds(200))
        // Meant for another process (e.g. inherited by a child), or no watchdog at all.
        #expect(SystemdNotifier.watchdogInterval(microseconds: "400000", forPID: "43", pid: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(microseconds: nil, forPID: nil, pid: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(microseconds: "0", forPID: nil, pid: 42) == nil)
    }

    @Test func statusLineCountsMembersAndLocalGroups() {
        var report = StatusReport(localNode: "alice", nodes: [
            .init(name: "alice", status: .initial, links: []),
            .init(name: "bob", status: .active, links: []),
            .init(name: "carol", status: .dead, links: []),
            .init(name: "10.0.0.1", type: .ping, status: .ping, links: []),
        ], resources: .all, parameters: [:])
        report.groups = [
            .init(key: "IPaddr::10.0.0.5", preferredNode: "alice", owner: "alice", state: "held", reason: ""),
            .init(key: "Dummy::db", preferredNode: "bob", owner: "bob", state: "held", reason: ""),
        ]
        #expect(report.systemdStatus == "2 of 3 nodes up, groups held: IPaddr::10.0.0.5, resources all")
    }
}
