@testable import HeartbeatCore

// Helpers shared by the Membership*Tests files: configs, message builders, effect filters, a
// single-node driver that advances time by hand, and a tiny deterministic network.

func testUUID(_ byte: UInt8) -> [UInt8] { Array(repeating: byte, count: 16) }

func testConfig(
    _ local: String,
    nodes: [String] = ["a", "b"],
    links: [String] = ["eth0"],
    generation: UInt64 = 100,
    keepalive: Duration = .seconds(1),
    deadtime: Duration = .seconds(10),
    warntime: Duration = .seconds(5),
    initdead: Duration = .seconds(20),
    maxRexmitDelay: Duration = .milliseconds(250),
    ackSeed: UInt64 = 7
) -> MembershipConfig {
    MembershipConfig(
        localNode: local,
        localUUID: testUUID(UInt8(local.utf8.first ?? 0)),
        generation: generation,
        nodes: nodes,
        links: links,
        keepalive: keepalive,
        deadtime: deadtime,
        warntime: warntime,
        initdead: initdead,
        maxRexmitDelay: maxRexmitDelay,
        ackSeed: ackSeed
    )
}

func at(_ milliseconds: Int64) -> Instant { Instant(nanoseconds: milliseconds * 1_000_000) }

/// A message as peer `src` would put it on the wire (the runtime's `ts`/`ld`/`ttl`/`auth` left out).
func peerMessage(_ src: String, seq: UInt64?, hg: UInt64, _ pairs: (String, String)...) -> Message {
    var message = Message(pairs.map { Field($0.0, $0.1) })
    message.fields.append(Field("src", src))
    message.fields.append(Field(name: "srcuuid", value: .binary(testUUID(UInt8(src.utf8.first ?? 0)))))
    if let seq { message.fields.append(Field("seq", String(seq, radix: 16))) }
    message.fields.append(Field("hg", String(hg, radix: 16)))
    return message
}

func peerStatus(_ src: String, seq: UInt64, hg: UInt64 = 5, st: String = "active", dt: Int = 10_000) -> Message {
    peerMessage(src, seq: seq, hg: hg, ("t", "status"), ("st", st), ("dt", String(dt, radix: 16)), ("protocol", "1"))
}

extension Array where Element == MembershipEffect {
    var sent: [Message] { compactMap { if case .send(let m) = $0 { m } else { nil } } }
    var resent: [Message] { compactMap { if case .resend(let m) = $0 { m } else { nil } } }
    var delivered: [Message] { compactMap { if case .deliver(let m) = $0 { m } else { nil } } }
    var logLines: [String] { compactMap { if case .log(let level, let text) = $0 { "\(level.word): \(text)" } else { nil } } }
    func logged(_ fragment: String) -> Bool { logLines.contains { $0.contains(fragment) } }
    func sent(type: MessageType) -> [Message] { sent.filter { $0.type == type } }
    var statusChanges: [String] {
        compactMap {
            if case .nodeStatusChanged(let node, let from, let to, _) = $0 { "\(node):\(from.rawValue)->\(to.rawValue)" } else { nil }
        }
    }
    var linkChanges: [String] {
        compactMap {
            if case .linkStatusChanged(let node, let link, _, let to) = $0 { "\(node):\(link):\(to.rawValue)" } else { nil }
        }
    }
}

/// One `Membership` driven by hand: events at given instants, and `advance(to:)` which delivers
/// `.tick` at every reported deadline up to an instant, as the runtime's single timer would.
struct Driver {
    var membership: Membership
    var now: Instant = .zero

    init(_ config: MembershipConfig) { membership = Membership(config: config) }

    @discardableResult
    mutating func handle(_ event: MembershipEvent, at instant: Instant) -> [MembershipEffect] {
        now = max(now, instant)
        return membership.handle(event, now: now)
    }

    @discardableResult
    mutating func receive(_ message: Message, link: String = "eth0", at instant: Instant) -> [MembershipEffect] {
        handle(.received(message, link: link), at: instant)
    }

    @discardableResult
    mutating func advance(to instant: Instant) -> [MembershipEffect] {
        var effects: [MembershipEffect] = []
        var steps = 0
        while let deadline = membership.nextDeadline, deadline <= instant {
            steps += 1
            precondition(steps < 1_000_000, "timer loop does not converge")
            now = max(now, deadline)
            effects += membership.handle(.tick, now: now)
        }
        now = max(now, instant)
        return effects
    }
}

/// A deterministic network of several `Membership`s. Every `.send`/`.resend` goes to every node
/// (the sender too, like bcast) on every link, after a delay chosen by `fault`: an empty list
/// drops the copy, two entries duplicate it, different delays reorder.
struct SimCluster {
    struct Packet {
        var arrival: Instant
        var order: Int
        var from: String
        var to: String
        var link: String
        var message: Message
    }

    struct Record {
        var at: Instant
        var effect: MembershipEffect
    }

    var members: [String: Membership] = [:]
    var names: [String]
    var links: [String]
    var now: Instant = .zero
    var inFlight: [Packet] = []
    var counter = 0
    var transcript: [String: [Record]] = [:]
    /// Delivery delays for one copy of a packet (from, to, link, message, packet number).
    var fault: (_ from: String, _ to: String, _ link: String, _ message: Message, _ number: Int) -> [Duration] = { _, _, _, _, _ in
        [.milliseconds(1)]
    }

    init(_ names: [String], links: [String] = ["eth0"], configure: (MembershipConfig) -> MembershipConfig = { $0 }) {
        self.names = names
        self.links = links
        for name in names {
            let config = configure(testConfig(name, nodes: names, links: links, ackSeed: UInt64(name.utf8.first ?? 0)))
            members[name] = Membership(config: config)
            transcript[name] = []
        }
    }

    mutating func start(_ name: String, at instant: Instant) {
        run(until: instant)
        apply(name, members[name]!.handle(.start, now: now))
    }

    mutating func sendClient(_ name: String, _ message: Message) {
        apply(name, members[name]!.handle(.sendClientMessage(message), now: now))
    }

    mutating func apply(_ name: String, _ effects: [MembershipEffect]) {
        for effect in effects {
            transcript[name, default: []].append(Record(at: now, effect: effect))
            switch effect {
            case .send(let message), .resend(let message):
                for to in names where members[to] != nil {
                    for link in links {
                        counter += 1
                        for delay in fault(name, to, link, message, counter) {
                            inFlight.append(Packet(arrival: now + delay, order: counter, from: name, to: to, link: link, message: message))
                        }
                    }
                }
            case .log, .heartbeatSent, .nodeStatusChanged, .linkStatusChanged, .deliver, .commsUp, .peerRestarted, .partitionHealed,
                 .peerUnfitChanged:
                break
            }
        }
    }

    /// Processes packets and timer deadlines in time order (packets first on ties) up to `instant`.
    mutating func run(until instant: Instant) {
        var steps = 0
        while true {
            steps += 1
            precondition(steps < 5_000_000, "simulation does not converge")
            let packetIndex = inFlight.indices.min { (inFlight[$0].arrival, inFlight[$0].order) < (inFlight[$1].arrival, inFlight[$1].order) }
            let timer = names.compactMap { name in members[name]!.nextDeadline.map { (name, $0) } }.min { $0.1 < $1.1 }
            let packetTime = packetIndex.map { inFlight[$0].arrival }
            if let packetIndex, let packetTime, packetTime <= instant, timer == nil || packetTime <= timer!.1 {
                let packet = inFlight.remove(at: packetIndex)
                now = max(now, packet.arrival)
                apply(packet.to, members[packet.to]!.handle(.received(packet.message, link: packet.link), now: now))
            } else if let (name, deadline) = timer, deadline <= instant {
                now = max(now, deadline)
                apply(name, members[name]!.handle(.tick, now: now))
            } else {
                break
            }
        }
        now = max(now, instant)
    }

    func effects(_ name: String) -> [MembershipEffect] { transcript[name, default: []].map(\.effect) }

    func effects(_ name: String, after instant: Instant) -> [MembershipEffect] {
        transcript[name, default: []].filter { $0.at > instant }.map(\.effect)
    }

    /// The instant of the first effect at `name` matching `predicate`.
    func firstTime(_ name: String, where predicate: (MembershipEffect) -> Bool) -> Instant? {
        transcript[name, default: []].first { predicate($0.effect) }?.at
    }
}
