import HeartbeatCore

/// The virtual media between the nodes: which copies of a message get through, when, and how
/// many times. Every medium carries every message (3.0.6 sends on all of them); a copy can be
/// lost, delayed with jitter (which reorders), or duplicated. Partitions cut directed pairs of
/// nodes on every medium; a medium can go down for everyone.
struct Network {
    var baseDelay: Duration
    var jitter: Duration
    var lossPerMille: Int
    var duplicatePerMille: Int
    var linkDown: [Bool]
    /// `blocked[from][to]`: nothing from `from` reaches `to` on any medium.
    var blocked: [[Bool]]
    /// `interfaceDown[node][link]`: the node's interface on that medium is down.
    var interfaceDown: [[Bool]]

    init(config: SimConfig) {
        baseDelay = config.baseDelay
        jitter = config.jitter
        lossPerMille = config.lossPerMille
        duplicatePerMille = config.duplicatePerMille
        linkDown = Array(repeating: false, count: config.links.count)
        blocked = Array(repeating: Array(repeating: false, count: config.nodeCount), count: config.nodeCount)
        interfaceDown = Array(repeating: Array(repeating: false, count: config.links.count), count: config.nodeCount)
    }

    var isPartitioned: Bool {
        blocked.contains { $0.contains(true) } || linkDown.contains(true) || interfaceDown.contains { $0.contains(true) }
    }

    /// The delays after which copies of one message sent now from `from` reach `to` on `link`:
    /// none when cut or lost, two when duplicated.
    func copies(from: Int, to: Int, link: Int, rng: inout SplitMix64) -> [Duration] {
        guard !linkDown[link], !blocked[from][to], !interfaceDown[from][link], !interfaceDown[to][link] else { return [] }
        if lossPerMille > 0, Int(rng.next(below: 1000)) < lossPerMille { return [] }
        var delays = [delay(&rng)]
        if duplicatePerMille > 0, Int(rng.next(below: 1000)) < duplicatePerMille { delays.append(delay(&rng)) }
        return delays
    }

    private func delay(_ rng: inout SplitMix64) -> Duration {
        let spread = UInt64(max(0, jitter.nanoseconds))
        return baseDelay + .nanoseconds(Int64(spread == 0 ? 0 : rng.next(below: spread + 1)))
    }
}
