import Testing
@testable import HeartbeatCore

@Suite struct ResourceUnitTests {
    /// 3.0.6's status glob (spec §6.2): `*[Nn][Oo][Tt] *[Rr]unning*` → stopped, else
    /// `*[Rr]unning*` or `*OK*` → running, else stopped.
    @Test(arguments: [
        ("INFO: Running OK", true), ("apache is running (pid 12)", true), ("OK", true),
        ("not running", false), ("NOT running", false), ("Not  really running", false),
        ("is not yet Running", false), ("cannot running", false), ("nothing running", true),
        ("RUNNING", false), ("ok", false), ("", false), ("stopped", false),
        ("not\nrunning", true), ("not\n running", true), ("notrunning OK", true),
    ])
    func statusOutputRule(output: String, running: Bool) {
        #expect(StatusOutput.saysRunning(output) == running)
    }

    @Test func holdSetWordsAndMirror() {
        for word in ["none", "local", "foreign", "all"] {
            #expect(HoldSet(wire: word)?.wire == word)
        }
        #expect(HoldSet(wire: "failback") == nil)
        #expect(HoldSet.local.mirrored == .foreign)
        #expect(HoldSet.all.mirrored == .all)
        #expect(HoldSet(ResourceSet.failback) == .foreign)
    }

    @Test func snapshotAndDeadlineBeforeCommsUp() {
        let group = ResourceGroup(preferredNode: "a", key: "k", resources: [Resource(script: "s", arguments: [], token: "s")], line: 1)
        let manager = ResourceManager(config: ResourceManagerConfig(localNode: "A", nodes: ["A", "B"], groups: [group],
                                                                    autoFailback: .on))
        #expect(manager.rscstatus == .none)
        #expect(manager.nextDeadline == nil)
        #expect(manager.groups == [GroupSnapshot(key: "k", preferredNode: "a", owner: nil, state: .stopped, reason: "",
                                                 transitionStartedAt: nil, transitionEndedAt: nil, scripts: [])])
    }

    @Test func scriptTimingsAreRecorded() {
        let group = ResourceGroup(preferredNode: "a", key: "k", resources: [Resource(script: "s", arguments: [], token: "s")], line: 1)
        var manager = ResourceManager(config: ResourceManagerConfig(localNode: "a", nodes: ["a"], groups: [group],
                                                                    autoFailback: .off))
        _ = manager.handle(.commsUp(liveNodes: ["a"]), now: Instant(nanoseconds: 0))
        _ = manager.handle(.scriptFinished(1, exitCode: 0, output: ""), now: Instant(nanoseconds: 5_000_000))
        _ = manager.handle(.scriptFinished(2, exitCode: 0, output: ""), now: Instant(nanoseconds: 45_000_000))
        let snapshot = manager.groups[0]
        #expect(snapshot.state == .running)
        #expect(snapshot.owner == "a")
        #expect(snapshot.scripts.map(\.operation) == [.status, .start])
        #expect(snapshot.scripts.map(\.duration) == [.milliseconds(5), .milliseconds(40)])
        #expect(snapshot.transitionEndedAt == Instant(nanoseconds: 45_000_000))
        #expect(manager.rscstatus == .local)
    }
}
