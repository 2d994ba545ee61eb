/// The `svcbad` field of our status messages (issue #17): the resource groups a node is unfit for,
/// so that no peer hands it one. 3.0.6 ignores the field; a peer without it counts as fit.
extension Membership {
    /// Sets our `svcbad` and, when it changed while we run, sends a heartbeat at once so peers
    /// learn it before they decide a move.
    public mutating func advertiseUnfitGroups(_ keys: [String], now: Instant) -> [MembershipEffect] {
        guard keys != advertisedUnfitGroups else { return [] }
        advertisedUnfitGroups = keys
        var effects: [MembershipEffect] = []
        if isRunning { sendStatus(now: now, into: &effects) }
        return effects
    }

    /// Reports a change of a peer's `svcbad` (absent = empty).
    mutating func noteUnfitGroups(_ message: Message, of index: Int, into effects: inout [MembershipEffect]) {
        let value = message["svcbad"] ?? ""
        guard value != records[index].unfitGroups else { return }
        records[index].unfitGroups = value
        effects.append(.peerUnfitChanged(node: records[index].name.rawValue,
                                         groups: value.split(separator: " ").map(String.init)))
    }
}
