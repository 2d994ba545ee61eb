/// Telling the neighbours where a group's addresses live. A start announces them; after that a
/// neighbour's ARP or neighbour cache can only be pointed elsewhere by another node that ran the
/// group too: a doubled group during a partition, a takeover that was aborted, a standby that went
/// wrong. When such a node gives the group up it announces nothing, so the node that keeps the
/// group announces again, or clients stay dark until their cache entry expires (tens of seconds).
extension ResourceManager {
    /// A group finished starting here: announce its addresses (a script that found its address
    /// already configured, e.g. after our own restart, may have sent nothing).
    mutating func announceStarted(_ index: Int, into effects: inout [ResourceEffect]) {
        records[index].contested = false
        effects.append(.announce(group: records[index].group.key, addresses: addresses(of: index)))
    }

    /// A node we had lost is back, or a standby ended half-way: the other node may have started
    /// any group meanwhile, so each one running here is announced again once nobody claims it.
    mutating func markContested(returning node: String? = nil) {
        for index in records.indices { records[index].contested = true }
        if let node { peers[node]?.reportedSinceReturn = false }
    }

    /// After every event: a group is contested while a peer claims it; once no peer does and it
    /// runs here, announce it again. With holdings reports we wait until every live peer is
    /// stable and a returning one has said what it holds, so that its doubled copy is gone before
    /// we speak; legacy mode has no reports to wait for.
    mutating func announceUncontested(into effects: inout [ResourceEffect]) {
        if config.niceFailback, !othersStable || peers.values.contains(where: { $0.alive && !$0.reportedSinceReturn }) {
            return
        }
        for index in records.indices {
            if claimingPeer(index) != nil {
                records[index].contested = true
                continue
            }
            guard records[index].contested, records[index].state == .running, records[index].ownedHere else { continue }
            records[index].contested = false
            effects.append(.log(.info, "Resource group \(records[index].group.key) runs here and no other node claims it now: announcing its addresses again."))
            effects.append(.announce(group: records[index].group.key, addresses: addresses(of: index)))
        }
    }

    func addresses(of index: Int) -> [ServiceAddress] {
        records[index].group.resources.compactMap(ServiceAddress.init(resource:))
    }
}
