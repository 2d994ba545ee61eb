/// How the node carries out built-in arbitration's decisions (`Arbitration`): messages go out
/// through membership, giveups become standby requests, isolation releases and retakes groups.
extension Node {
    mutating func apply(_ decisions: [Arbitration.Effect], into effects: inout [Effect]) {
        for decision in decisions {
            switch decision {
            case .send(let message):
                route(membership.handle(.sendClientMessage(message), now: lastNow), into: &effects)
            case .log(let level, let text):
                effects.append(.log(level, text))
            case .giveUp(let set):
                // Nothing of the set here: nothing to hand over (ipfail would send a standby that moves nothing).
                guard let resources, resources.holds(set) else { break }
                resourceEvent(.standby(set), into: &effects)
            case .releaseAll:
                guard resources != nil else { break }
                resourceEffects(resources!.releaseForIsolation(now: lastNow), into: &effects)
            case .nodeDead(let node):
                resourceEvent(.nodeDead(node), into: &effects)
            case .resumeHeard:
                guard resources != nil else { break }
                resourceEffects(resources!.resumeAfterSilence(now: lastNow), into: &effects)
            case .reacquire(let deadPeers):
                guard resources != nil else { break }
                resourceEffects(resources!.reacquireAfterIsolation(deadPeers: deadPeers, now: lastNow), into: &effects)
            }
        }
    }

    mutating func arbitrationTick(into effects: inout [Effect]) {
        // Only a give-up falling due asks whether the resources are stable; working that out costs
        // more than the rest of a tick.
        let stable = arbitration.giveUpDue(now: lastNow) ? resources?.rscstatus != .transition : true
        let threshold = silenceThreshold
        // Just after our own stall, peers were talking while we did not listen: nobody is silent.
        let stalled = membership.stallGraceUntil.map { $0 > lastNow } ?? false
        var silent: Set<String> = []
        if !stalled {
            for index in membership.livePeerIndices
            where membership.records[index].lastStatusAt.map({ lastNow - $0 >= threshold }) ?? true {
                silent.insert(membership.records[index].name.rawValue)
            }
        }
        apply(arbitration.tick(now: lastNow, stable: stable, silentPeers: silent,
                               holdsGroups: resources?.holds(.all) ?? false,
                               stallGrace: membership.stallGraceUntil), into: &effects)
    }

    var silenceThreshold: Duration {
        Arbitration.silenceThreshold(warntime: membership.config.warntime, deadtime: membership.config.deadtime)
    }

    /// When a live peer's silence reaches the threshold: the isolation check needs a tick then.
    var silenceDeadline: Instant? {
        guard arbitration.watchesSilence(now: lastNow) else { return nil }
        if let grace = membership.stallGraceUntil, grace > lastNow { return grace }
        let threshold = silenceThreshold
        var earliest: Instant?
        for index in membership.livePeerIndices {
            guard let heard = membership.records[index].lastStatusAt else { continue }
            let due = heard + threshold
            if due > lastNow { earliest = .earliest(earliest, due) }
        }
        return earliest
    }

    /// A normal peer died: its takeover waits while we are probably the isolated one.
    mutating func peerDied(_ node: String, into effects: inout [Effect]) {
        let (deferred, decisions) = arbitration.peerDied(node, now: lastNow)
        if !deferred { resourceEvent(.nodeDead(node), into: &effects) }
        apply(decisions, into: &effects)
    }
}
