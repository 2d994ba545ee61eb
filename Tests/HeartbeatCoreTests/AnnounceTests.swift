import Testing
@testable import HeartbeatCore

/// When a node tells its neighbours (again) where its service addresses live
/// (`ResourceManager+Announce.swift`), and which addresses a resource names.
@Suite struct AnnounceTests {
    @Test(arguments: [
        ("IPaddr2", "10.0.0.5/24/eth0:web", ServiceAddress(address: "10.0.0.5", interface: "eth0")),
        ("IPaddr", "10.0.0.6", ServiceAddress(address: "10.0.0.6")),
        ("IPaddr", "10.0.0.7/24/10.0.0.255", ServiceAddress(address: "10.0.0.7")),
        ("IPaddr2", "fd00:79::5/64/veth1", ServiceAddress(address: "fd00:79::5", interface: "veth1")),
        ("IPv6addr", "fd00:79::6/64", ServiceAddress(address: "fd00:79::6")),
    ])
    func addressOfAResource(script: String, argument: String, expected: ServiceAddress) {
        // As haresources hands them over: the token split on "::".
        let token = "\(script)::\(argument)"
        let resource = Resource(script: script, arguments: token.split(separator: "::").dropFirst().map(String.init), token: token)
        #expect(ServiceAddress(resource: resource) == expected)
    }

    @Test func otherResourcesHaveNoAddress() {
        #expect(ServiceAddress(resource: Resource(script: "Dummy", arguments: ["10.0.0.5"], token: "Dummy::10.0.0.5")) == nil)
        #expect(ServiceAddress(resource: Resource(script: "IPaddr2", arguments: [], token: "IPaddr2")) == nil)
        #expect(ServiceAddress(resource: Resource(script: "IPaddr2", arguments: ["10.0.0.5"], token: "x")).map(\.isIPv6) == false)
        #expect(ServiceAddress(address: "fd00::1").isIPv6)
    }

    static let web = ResourceGroup(
        preferredNode: "a", key: "IPaddr2::10.0.0.5/24",
        resources: [Resource(script: "IPaddr2", arguments: ["10.0.0.5/24"], token: "IPaddr2::10.0.0.5/24")], line: 1)

    /// Node a, alone at comm-up, with its web group started (auto_failback off: no standby
    /// exchange gets in the way when b returns).
    static func runningAlone() -> ResourceManager {
        var manager = ResourceManager(config: ResourceManagerConfig(localNode: "a", nodes: ["a", "b"], groups: [web],
                                                                    autoFailback: .off))
        var effects = manager.handle(.commsUp(liveNodes: ["a"]), now: .zero)
        // Every script succeeds; status says "stopped", so each start follows.
        while case .runScript(let run)? = effects.first(where: { if case .runScript = $0 { true } else { false } }) {
            effects = manager.handle(.scriptFinished(run.id, exitCode: 0, output: "stopped"), now: .zero)
        }
        return manager
    }

    static func announcements(_ effects: [ResourceEffect]) -> [String] {
        effects.compactMap { if case .announce(let group, _) = $0 { group } else { nil } }
    }

    static func report(_ holds: String, seq: Int) -> ResourceEvent {
        .message(Message(("t", "resource"), ("src", "b"), ("rsc_hold", holds), ("rtype", "full"), ("isstable", "1"),
                         ("seq", String(seq, radix: 16))))
    }

    @Test func aStartAnnouncesTheGroup() {
        var manager = ResourceManager(config: ResourceManagerConfig(localNode: "a", nodes: ["a", "b"], groups: [Self.web],
                                                                    autoFailback: .on))
        var seen: [ResourceEffect] = manager.handle(.commsUp(liveNodes: ["a"]), now: .zero)
        var id: ScriptRun.ID = 1
        while case .runScript? = seen.last(where: { if case .runScript = $0 { true } else { false } }), id < 10 {
            seen += manager.handle(.scriptFinished(id, exitCode: 0, output: "stopped"), now: .zero)
            id += 1
        }
        #expect(seen.contains(.announce(group: Self.web.key, addresses: [ServiceAddress(address: "10.0.0.5")])))
        #expect(manager.groups[0].state == .running)
    }

    /// A healed partition: b, which ran a's group too, is heard again. a says nothing while b is
    /// in flux or claims the group, and announces as soon as b's stable report no longer claims it.
    @Test func healedPartitionAnnouncesOnceThePeerReleased() {
        var manager = Self.runningAlone()
        #expect(manager.groups[0].state == .running)
        var effects = manager.handle(.nodeCameBack("b"), now: .zero)
        effects += manager.handle(.partitionHealed("b"), now: .zero)
        #expect(Self.announcements(effects).isEmpty, "b has not said what it holds yet")
        effects = manager.handle(Self.report("all", seq: 1), now: .zero)
        #expect(Self.announcements(effects).isEmpty, "b still claims the group")
        effects = manager.handle(Self.report("none", seq: 2), now: .zero)
        #expect(Self.announcements(effects) == [Self.web.key])
        effects = manager.handle(Self.report("none", seq: 3), now: .zero)
        #expect(Self.announcements(effects).isEmpty, "once is enough until someone may have announced it again")
    }

    /// A peer that comes back without having run the group: announced once its report says so.
    @Test func returningPeerThatHeldNothing() {
        var manager = Self.runningAlone()
        _ = manager.handle(.nodeCameBack("b"), now: .zero)
        let effects = manager.handle(Self.report("none", seq: 1), now: .zero)
        #expect(Self.announcements(effects) == [Self.web.key])
    }

    /// Nobody else could have announced it: a quiet peer's reports change nothing.
    @Test func steadyReportsAnnounceNothing() {
        var manager = Self.runningAlone()
        // b was never lost: its first report comes in while both run.
        manager.peers["b"]?.alive = true
        var effects = manager.handle(Self.report("none", seq: 1), now: .zero)
        effects += manager.handle(Self.report("none", seq: 2), now: .zero)
        #expect(Self.announcements(effects).isEmpty)
    }
}
