import Foundation
import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

/// The daemon's effect interpreter against fake I/O: what each effect does to the world, and how
/// the world's answers (packets, script exits) come back into the node.
@Suite struct DaemonInterpreterTests {
    final class FakeClock: DaemonClock {
        var current = Instant(nanoseconds: 1_000_000_000)
        let wall: UInt64 = 0x6000_0000
        func now() -> Instant { current }
        func wallClockSeconds() -> UInt64 { wall }
    }

    final class FakeTransport: MessageTransport {
        var sent: [(message: Message, keys: AuthKeys, innerAuth: Bool)] = []
        func send(_ message: Message, keys: AuthKeys, innerAuth: Bool) throws(WireError) {
            sent.append((message, keys, innerAuth))
        }
        func reopenBroken() {}
    }

    final class FakeScripts: ScriptLauncher {
        struct Run { var id: UInt64, path: String, arguments: [String] }
        var runs: [Run] = []
        func run(id: UInt64, path: String, arguments: [String], environment: [String], timeout: Duration) throws(SystemError) {
            runs.append(Run(id: id, path: path, arguments: arguments))
        }
        var nextDeadline: Instant? { nil }
        func enforceTimeouts(now: Instant) {}
        func reap(other: ((pid_t, Int32) -> Void)?) {}
    }

    final class FakeChecks: CheckLauncher {
        var started: [(run: CheckRun, environment: [String])] = []
        var cancelled: [CheckRun.ID] = []
        func start(_ run: CheckRun, environment: @autoclosure () -> [String]) { started.append((run, environment())) }
        func cancel(_ id: CheckRun.ID) { cancelled.append(id) }
        func cancelAll() { cancelled += started.map(\.run.id) }
        var nextDeadline: Instant? { nil }
        func enforceTimeouts(now: Instant) {}
        func reaped(pid: pid_t, status: Int32) -> Bool { false }
    }

    struct FakeState: IdentityStore {
        func bumpGeneration(wallClockSeconds: UInt64) throws(SystemError) -> (generation: UInt64, note: (LogLevel, String)?) {
            (7, nil)
        }
        func loadOrCreateUUID() throws(SystemError) -> (uuid: [UInt8], note: (LogLevel, String)?) {
            (Array(repeating: 0xab, count: 16), nil)
        }
    }

    final class FakeNotifier: ServiceNotifier {
        var sent: [String] = []
        var statuses: [String] = []
        func send(_ text: String) -> Bool {
            sent.append(text)
            return true
        }
        func status(_ text: String) { statuses.append(text) }
        var watchdogInterval: Duration? { nil }
    }

    /// A daemon for node alpha of alpha+beta, holding group `svc`, on fakes, in a directory of its own.
    final class Harness {
        let daemon: Daemon
        let clock = FakeClock()
        let transport = FakeTransport()
        let scripts = FakeScripts()
        let checks = FakeChecks()
        let notifier = FakeNotifier()
        let directory: String

        init(monitors: [MonitorSpec] = []) throws {
            var template = Array("/tmp/hb-daemon-XXXXXX".utf8CString)
            directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
            mkdir(directory + "/resource.d", 0o755)
            try writeDurably(Array("node alpha beta\nbcast eth0\nkeepalive 1\ndeadtime 4\nwarntime 2\ninitdead 8\nauto_failback on\nlogfile \(directory)/log\n".utf8),
                             to: directory + "/ha.cf", mode: 0o644)
            try writeDurably(Array("auth 1\n1 sha1 secret\n".utf8), to: directory + "/authkeys", mode: 0o600)
            try writeDurably(Array("alpha svc\n".utf8), to: directory + "/haresources", mode: 0o644)
            try writeDurably(Array("#!/bin/sh\nexit 0\n".utf8), to: directory + "/resource.d/svc", mode: 0o755)
            // `heartbeat -r` finds this node's name here rather than in `uname -n`.
            try writeDurably(Array("alpha\n".utf8), to: directory + "/nodeinfo", mode: 0o644)
            let (loaded, diagnostics) = ConfigLoader(configDirectory: directory, nodeName: "alpha").load()
            var config = try #require(loaded, "\(diagnostics)")
            config.monitors = monitors
            let paths = DaemonPaths(configDir: directory, stateDir: directory, runDir: directory, pidFile: directory + "/pid")
            daemon = try Daemon(config: config, paths: paths, options: DaemonOptions(),
                                logger: Logger(destinations: .init(logFile: directory + "/log")), loop: try EventLoop(),
                                io: DaemonIO(clock: clock, transport: transport, scripts: scripts, checks: checks, notifier: notifier),
                                state: FakeState())
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        /// Ticks the fake clock forward in 100 ms steps until `done`, for at most `limit`.
        func advance(until done: () -> Bool, limit: Duration = .seconds(60)) {
            let end = clock.current + limit
            while !done(), clock.current < end {
                clock.current = clock.current + .milliseconds(100)
                daemon.handle(.tick)
            }
        }
    }

    @Test func aSendReachesTheMediumStampedWithTheConfiguredKeys() throws {
        let harness = try Harness()
        harness.daemon.handle(.start)
        let heartbeat = try #require(harness.transport.sent.first { $0.message.type == .status })
        #expect(heartbeat.message["src"] == "alpha")
        #expect(heartbeat.message["ts"] == String(harness.clock.wall, radix: 16))
        #expect(heartbeat.message["ttl"] != nil && heartbeat.message["ld"] != nil)
        #expect(heartbeat.keys == harness.daemon.config.authKeys)
        #expect(heartbeat.innerAuth == (harness.daemon.config.msgfmt == .classic))
        // What the medium signs with those keys, a peer with the same authkeys accepts.
        let packet = try Wire.encodeNetstring(heartbeat.message, signedWith: heartbeat.keys, innerAuth: heartbeat.innerAuth)
        let decoded = try Wire.decode(packet, keys: harness.daemon.config.authKeys)
        #expect(decoded.authSlot != nil)
        #expect(decoded.message["ts"] == heartbeat.message["ts"] && decoded.message["src"] == "alpha")
    }

    @Test func aScriptRunStartsTheRunnerAndItsExitComesBackToTheNode() throws {
        let harness = try Harness()
        let daemon = harness.daemon
        daemon.handle(.start)
        harness.advance(until: { !harness.scripts.runs.isEmpty })
        // Taking its group, the node first asks whether the resource already runs.
        let probe = try #require(harness.scripts.runs.first)
        #expect(probe.path == harness.directory + "/resource.d/svc" && probe.arguments == ["status"])
        // Until the script ends, the node waits.
        harness.advance(until: { false }, limit: .seconds(5))
        #expect(harness.scripts.runs.count == 1)
        #expect(daemon.statusReport().groups.first?.state == "starting")
        // "Not running": the node starts it; once the start succeeds the group runs here.
        daemon.scriptFinished(.init(id: probe.id, exitCode: 3, output: "", timedOut: false, duration: .milliseconds(5)))
        harness.advance(until: { harness.scripts.runs.count == 2 })
        let start = try #require(harness.scripts.runs.last)
        #expect(start.arguments == ["start"])
        daemon.scriptFinished(.init(id: start.id, exitCode: 0, output: "", timedOut: false, duration: .milliseconds(5)))
        harness.advance(until: { daemon.statusReport().groups.first?.state != "starting" })
        let group = try #require(daemon.statusReport().groups.first)
        #expect(group.state == "running" && group.owner == "alpha")
    }

    /// Starts the node and answers its scripts until group `svc` runs here.
    private func startGroup(_ harness: Harness) throws {
        harness.daemon.handle(.start)
        harness.advance(until: { !harness.scripts.runs.isEmpty })
        let probe = try #require(harness.scripts.runs.last)
        harness.daemon.scriptFinished(.init(id: probe.id, exitCode: 3, output: "", timedOut: false, duration: .milliseconds(5)))
        harness.advance(until: { harness.scripts.runs.count == 2 })
        let start = try #require(harness.scripts.runs.last)
        harness.daemon.scriptFinished(.init(id: start.id, exitCode: 0, output: "", timedOut: false, duration: .milliseconds(5)))
        harness.advance(until: { harness.daemon.statusReport().groups.first?.state == "running" })
    }

    @Test func aCheckGoesToTheCheckRunnerWithTheScriptEnvironmentAndItsFailureRestartsTheGroup() throws {
        let harness = try Harness(monitors: [MonitorSpec(group: "svc", check: .status, interval: .seconds(1), timeout: .milliseconds(500),
                                                         restarts: 1, line: 1)])
        try startGroup(harness)
        harness.advance(until: { !harness.checks.started.isEmpty })
        let (run, environment) = try #require(harness.checks.started.first)
        #expect(run.group == "svc" && run.check == .status && run.timeout == .milliseconds(500))
        #expect(run.resources.map(\.path) == [harness.directory + "/resource.d/svc"])
        #expect(environment.contains("HA_CURHOST=alpha"))
        // The failure comes back to the core, which restarts the group in place: stop, then start.
        let scriptsBefore = harness.scripts.runs.count
        harness.daemon.handle(.checkFinished(run.id, .failed(latency: .milliseconds(3), detail: "resource svc not running")))
        harness.advance(until: { harness.scripts.runs.count > scriptsBefore })
        #expect(harness.scripts.runs.dropFirst(scriptsBefore).first?.arguments == ["stop"])
    }

    @Test func monitorResetNamesAMonitoredGroupOrAll() throws {
        let harness = try Harness(monitors: [MonitorSpec(group: "svc", check: .tcp(host: "127.0.0.1", port: 80), alias: "web", line: 1)])
        try startGroup(harness)
        #expect(harness.daemon.perform(.monitorReset(group: "nosuch")) == .failure(ControlError("no monitored group nosuch (see hbctl status)")))
        #expect(harness.daemon.perform(.monitorReset(group: "web")) == .success("monitor state reset for group web"))
        #expect(harness.daemon.perform(.monitorReset(group: nil)) == .success("monitor state reset for every monitored group"))
        let log = String(decoding: readSmallFile(harness.directory + "/log") ?? [], as: UTF8.self)
        #expect(log.contains("Monitor state of group svc reset"))
    }

    @Test func reloadInstallsANewMonitorsFileAndABrokenOneLeavesTheChecksRunning() throws {
        let harness = try Harness()
        try startGroup(harness)
        let log = { String(decoding: readSmallFile(harness.directory + "/log") ?? [], as: UTF8.self) }
        let monitors = harness.directory + "/monitors"
        // A file that appears: its checks start.
        try writeDurably(Array("svc tcp:127.0.0.1:80 interval=1s timeout=500ms\n".utf8), to: monitors, mode: 0o644)
        #expect(harness.daemon.perform(.reload) == .success("configuration reloaded"))
        #expect(harness.daemon.config.monitors.map(\.check) == [.tcp(host: "127.0.0.1", port: 80)])
        harness.advance(until: { !harness.checks.started.isEmpty }, limit: .seconds(5))
        let first = try #require(harness.checks.started.first?.run)
        harness.daemon.handle(.checkFinished(first.id, .passed(latency: .milliseconds(1))))

        // A file that breaks: refused with FILE:LINE, and the old check goes on.
        try writeDurably(Array("svc tcp:127.0.0.1 interval=1s\n".utf8), to: monitors, mode: 0o644)
        #expect(harness.daemon.perform(.reload) == .failure(ControlError("configuration has errors; nothing changed")))
        #expect(log().contains(monitors + ":1: error"))
        #expect(harness.daemon.config.monitors.map(\.check) == [.tcp(host: "127.0.0.1", port: 80)])
        harness.advance(until: { harness.checks.started.count == 2 }, limit: .seconds(5))
        let second = try #require(harness.checks.started.last?.run)
        #expect(second.check == .tcp(host: "127.0.0.1", port: 80))

        // A group haresources gained runs only after a restart: a check of it is refused, the old one goes on.
        try writeDurably(Array("alpha svc\nalpha other\n".utf8), to: harness.directory + "/haresources", mode: 0o644)
        try writeDurably(Array("#!/bin/sh\nexit 0\n".utf8), to: harness.directory + "/resource.d/other", mode: 0o755)
        try writeDurably(Array("svc tcp:127.0.0.1:80 interval=1s timeout=500ms\nother tcp:127.0.0.1:81\n".utf8), to: monitors, mode: 0o644)
        #expect(harness.daemon.perform(.reload) == .success("configuration reloaded"))
        #expect(log().contains(monitors + ":2: error"))
        #expect(log().contains("The monitors file has errors: the running checks go on unchanged."))
        #expect(harness.daemon.config.monitors.map(\.check) == [.tcp(host: "127.0.0.1", port: 80)])

        // A file that goes: the check in flight is cancelled and no other starts.
        unlink(monitors)
        #expect(harness.daemon.perform(.reload) == .success("configuration reloaded"))
        #expect(harness.daemon.config.monitors.isEmpty)
        #expect(harness.checks.cancelled == [second.id])
        harness.advance(until: { false }, limit: .seconds(5))
        #expect(harness.checks.started.count == 2)
    }

    @Test func aFenceGoesToTheStonithDeviceAndItsAnswerToTheNode() throws {
        let harness = try Harness()
        let daemon = harness.daemon
        daemon.fencing.stonith = Stonith(device: .external(name: "test", plugin: "/plugins/test", parameters: ["hostlist=beta"]),
                                         runner: harness.scripts, environment: [], logger: daemon.logger) { node, ok in
            daemon.handle(.fenceResult(node, succeeded: ok))
        }
        daemon.perform([.fence("beta")])
        let reset = try #require(harness.scripts.runs.last)
        #expect(reset.path == "/plugins/test" && reset.arguments == ["reset", "beta"])
        daemon.scriptFinished(.init(id: reset.id, exitCode: 0, output: "", timedOut: false, duration: .milliseconds(5)))
        let log = String(decoding: readSmallFile(harness.directory + "/log") ?? [], as: UTF8.self)
        #expect(log.contains("node beta now reset"))
    }

    @Test func aNotifyRunsHarcOnlyForATypeWithAnRcScript() throws {
        let harness = try Harness()
        mkdir(harness.directory + "/rc.d", 0o755)
        for script in ["harc", "rc.d/ip-request"] {
            try writeDurably(Array("#!/bin/sh\nexit 0\n".utf8), to: harness.directory + "/" + script, mode: 0o755)
        }
        harness.daemon.perform([.notify(Message(("t", "ip-request"), ("src", "beta"))), .notify(Message(("t", "other"), ("src", "beta")))])
        #expect(harness.scripts.runs.map(\.path) == [harness.directory + "/harc"])
        #expect(harness.scripts.runs.first?.arguments == ["ip-request"])
    }

    @Test func shutdownCompleteStopsTheLoop() throws {
        let harness = try Harness()
        harness.daemon.handle(.start)
        harness.daemon.signalled(SIGTERM)
        #expect(harness.notifier.sent.contains("STOPPING=1"))
        #expect(harness.daemon.shuttingDown)
        harness.advance(until: { harness.daemon.loop.stopped })
        #expect(harness.daemon.loop.stopped)
        #expect(harness.daemon.shutdown == .complete)
    }

    @Test func aRejectedPacketIsCountedByReason() throws {
        let harness = try Harness()
        harness.daemon.handle(.start)
        harness.daemon.received(Array("not a heartbeat packet".utf8)[...], on: "eth0")
        #expect(harness.daemon.wireRejects.values.reduce(0, +) == 1)
        let reason = try #require(harness.daemon.wireRejects.keys.first)
        #expect(harness.daemon.statusReport().rejectedPackets[reason] == 1)
    }
}
