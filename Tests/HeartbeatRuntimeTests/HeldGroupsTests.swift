import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

@Suite struct HeldGroupsTests {
    private func temporaryDirectory() -> String {
        var template = Array("/tmp/hb-held-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    private func group(_ key: String, _ tokens: [String]) -> ResourceGroup {
        ResourceGroup(preferredNode: "node1", key: key, resources: tokens.map { token in
            let words = token.split(separator: "::").map(String.init)
            return Resource(script: words[0], arguments: Array(words.dropFirst()), token: token,
                            path: "/etc/ha.d/resource.d/" + words[0])
        }, line: 1)
    }

    @Test func recordFollowsGroupStatesAndWritesOnlyOnChange() {
        let web = group("IPaddr::10.0.0.5", ["IPaddr::10.0.0.5", "apache"])
        var held = HeldGroups()
        var changed = held.update(web, to: .starting)
        #expect(changed)
        changed = held.update(web, to: .running)
        #expect(!changed)
        changed = held.update(web, to: .stopping)
        #expect(!changed)
        changed = held.update(web, to: .failed)
        #expect(!changed, "a failed group may still run: it stays recorded")
        #expect(held.keys == ["IPaddr::10.0.0.5"])
        changed = held.update(web, to: .stopped)
        #expect(changed)
        #expect(held.isEmpty)
        changed = held.update(web, to: .stopped)
        #expect(!changed)
    }

    @Test func releaseStopsTheLastTakenGroupFirstEachRightToLeft() {
        var held = HeldGroups()
        held.update(group("a", ["a", "IPaddr::10.0.0.5", "b"]), to: .starting)
        held.update(group("db", ["db", "Filesystem::/dev/sdb1::/srv"]), to: .starting)
        let order = held.releaseOrder.map { ($0.key, $0.resources.map(\.token)) }
        #expect(order.map(\.0) == ["db", "a"])
        #expect(order.map(\.1) == [["Filesystem::/dev/sdb1::/srv", "db"], ["b", "IPaddr::10.0.0.5", "a"]])
    }

    @Test func recordSurvivesTheFileWithScriptsAndArguments() throws {
        let state = StateFiles(directory: temporaryDirectory())
        #expect(state.loadHeldGroups(configured: []).held.isEmpty, "no file: nothing held")
        var held = HeldGroups()
        held.update(group("IPaddr2::10.0.0.5/24/eth0", ["IPaddr2::10.0.0.5/24/eth0", "Filesystem::/dev/sdb1::/srv::ext4"]), to: .starting)
        try state.saveHeldGroups(held)
        let (loaded, note) = state.loadHeldGroups(configured: [])
        #expect(note == nil)
        #expect(loaded.encoded() == held.encoded())
        let filesystem = loaded.groups[0].resources[1]
        #expect(filesystem.script == "Filesystem" && filesystem.arguments == ["/dev/sdb1", "/srv", "ext4"])
        #expect(filesystem.path == "/etc/ha.d/resource.d/Filesystem")
    }

    @Test func tornOrGarbageRecordMeansEveryConfiguredGroupMayRun() throws {
        let state = StateFiles(directory: temporaryDirectory())
        var held = HeldGroups()
        held.update(group("web", ["web"]), to: .running)
        let whole = held.encoded()
        let configured = [group("web", ["web"]), group("db", ["db"])]
        for broken in [Array(whole.dropLast(4)), Array(whole.dropLast()), [], Array("garbage\n".utf8),
                       Array("heartbeat held groups 1\nresource\tx\tx\t/x\nend\n".utf8),
                       Array("heartbeat held groups 1\ngroup\tweb\tnode1\nend\n".utf8)] {
            try writeDurably(broken, to: state.heldGroupsPath, mode: 0o644)
            let (loaded, note) = state.loadHeldGroups(configured: configured)
            #expect(loaded.keys == ["web", "db"], "after \(broken.count) bytes")
            #expect(note?.0 == .error)
            #expect(note?.1.contains("BROKEN record of held resource groups") == true)
        }
    }

    /// The release with scripts replaced by a table of exit codes: (resource token, operation) → result.
    private func release(_ held: HeldGroups, answers: [String: [(Int32?, String)]]) -> (remaining: HeldGroups, calls: [String], saved: [[String]], logs: [String]) {
        var answers = answers
        var calls: [String] = []
        var saved: [[String]] = []
        var logs: [String] = []
        var release = HeldGroupsRelease(
            timings: ScriptTimings(stopRetryMax: 2, stopRetryDelay: .milliseconds(1)),
            run: { resource, operation, _ in
                let call = "\(resource.token) \(operation.rawValue)"
                calls.append(call)
                guard var queue = answers[call], !queue.isEmpty else { return (0, "") }
                let answer = queue.removeFirst()
                answers[call] = queue
                return (answer.0, answer.1)
            },
            pause: { _ in calls.append("pause") },
            log: { logs.append("\($0.word): \($1)") },
            save: { saved.append($0.keys) })
        let remaining = release.release(held)
        return (remaining, calls, saved, logs)
    }

    @Test func releaseRunsStopsInOrderAndClearsTheRecordGroupByGroup() {
        var held = HeldGroups()
        held.update(group("a", ["a", "b"]), to: .running)
        held.update(group("c", ["c"]), to: .starting)
        let result = release(held, answers: [:])
        #expect(result.calls == ["c stop", "b stop", "a stop"])
        #expect(result.saved == [["a"], []])
        #expect(result.remaining.isEmpty)
        #expect(result.logs.last == "info: All held resource groups released.")
    }

    @Test func failedStopIsRetriedThenStatusDecides() {
        var held = HeldGroups()
        held.update(group("a", ["a", "b"]), to: .running)
        held.update(group("c", ["c"]), to: .running)
        // b's stop fails every time and its status says it runs: group a stays recorded, and a is
        // not stopped under it. c's stop fails, but its status says stopped: released.
        let result = release(held, answers: [
            "b stop": [(1, ""), (1, ""), (nil, "")],
            "b status": [(0, "b is running")],
            "c stop": [(1, ""), (1, ""), (1, "")],
            "c status": [(3, "c is stopped")],
        ])
        #expect(result.calls == ["c stop", "pause", "c stop", "pause", "c stop", "c status",
                                 "b stop", "pause", "b stop", "pause", "b stop", "b status"])
        #expect(result.remaining.keys == ["a"])
        #expect(result.saved == [["a"]])
        #expect(result.logs.contains("CRIT: Resource STOP failure: b still running."))
        #expect(result.logs.contains("ERROR: Resource script b stop timed out"))
    }

    @Test func runToEndReportsExitOutputAndTimeout() {
        let done = runToEnd(path: "/bin/sh", arguments: ["-c", "echo stopped; exit 3"], environment: ["PATH=/usr/bin:/bin"], timeout: .seconds(10))
        #expect(done.exitCode == 3 && done.output == "stopped\n")
        let hung = runToEnd(path: "/bin/sh", arguments: ["-c", "sleep 30"], environment: [], timeout: .milliseconds(100))
        #expect(hung.exitCode == nil)
        #expect(runToEnd(path: "/nonexistent", arguments: [], environment: [], timeout: .seconds(1)).exitCode == 127)
    }

    /// The daemon writes the record when a group starts being taken, before its first script
    /// runs, and clears it when the group has stopped (on fakes: DaemonInterpreterTests.Harness).
    @Test func daemonRecordsAGroupBeforeItsFirstScriptAndClearsItWhenStopped() throws {
        let harness = try DaemonInterpreterTests.Harness()
        let daemon = harness.daemon
        let state = StateFiles(directory: harness.directory)
        func recorded() -> [String] { state.loadHeldGroups(configured: []).held.keys }
        #expect(recorded().isEmpty)
        daemon.handle(.start)
        harness.advance(until: { !harness.scripts.runs.isEmpty })
        #expect(recorded() == ["svc"], "recorded before the first script of the group runs")
        let probe = try #require(harness.scripts.runs.first)
        daemon.scriptFinished(.init(id: probe.id, exitCode: 3, output: "", timedOut: false, duration: .milliseconds(5)))
        harness.advance(until: { harness.scripts.runs.count == 2 })
        let start = try #require(harness.scripts.runs.last)
        daemon.scriptFinished(.init(id: start.id, exitCode: 0, output: "", timedOut: false, duration: .milliseconds(5)))
        harness.advance(until: { daemon.statusReport().groups.first?.state == "running" })
        #expect(recorded() == ["svc"])
        daemon.signalled(SIGTERM)
        harness.advance(until: { harness.scripts.runs.last?.arguments == ["stop"] })
        let stop = try #require(harness.scripts.runs.last)
        #expect(recorded() == ["svc"], "still recorded while its stop runs")
        daemon.scriptFinished(.init(id: stop.id, exitCode: 0, output: "", timedOut: false, duration: .milliseconds(5)))
        harness.advance(until: { daemon.loop.stopped })
        #expect(recorded().isEmpty)
    }

    /// The release refuses only a live daemon: not a stale pid file, not a zombie left by kill -9.
    @Test func onlyALiveDaemonCountsAsRunning() throws {
        let pidFile = temporaryDirectory() + "/heartbeat.pid"
        #expect(runningPid(pidFile: pidFile) == nil)
        try writeDurably(Array("\(getpid())\n".utf8), to: pidFile, mode: 0o644)
        #expect(runningPid(pidFile: pidFile) == getpid())
        #expect(otherRunningDaemon(pidFile: pidFile) == nil, "a starting daemon given its predecessor's PID")
        var child: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { free(argv[0]) }
        #expect(posix_spawn(&child, "/bin/true", nil, nil, argv, nil) == 0)
        try writeDurably(Array("\(child)\n".utf8), to: pidFile, mode: 0o644)
        // Exited and not reaped (unless another test's reaper took it): dead either way.
        let deadline = EventLoop.now() + .seconds(5)
        while runningPid(pidFile: pidFile) != nil, EventLoop.now() < deadline { usleep(10_000) }
        #expect(runningPid(pidFile: pidFile) == nil)
        waitpid(child, nil, 0)
    }
}
