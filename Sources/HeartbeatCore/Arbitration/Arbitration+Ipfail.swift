/// 3.0.6 ipfail's exchange with the partner: compare ping node counts, and the delayed giveup
/// that follows (spec §7.1).
extension Arbitration {
    /// One of ipfail's messages (or a client sign-on) from a peer; nil when it is none of them.
    public mutating func peerMessage(_ message: Message, now: Instant) -> [Effect]? {
        guard let type = message.type, let source = message.source?.rawValue, source != config.localNode else { return nil }
        var effects: [Effect] = []
        switch type {
        case .numPingNodes:
            guard active else { return effects }
            guard let theirs = message["num_ping"].flatMap({ Int($0.filter { $0 != " " }) }) else {
                effects.append(.log(.error, "num_ping_nodes from \(source) without a valid num_ping field ignored"))
                return effects
            }
            let ours = counted(now: now)
            if source == partner { partnerCount = theirs }
            if ours > theirs {
                effects.append(.log(.info, "Telling other node that we have more visible ping nodes."))
                effects.append(.send(Self.ipfailMessage(.youAreDead, to: source)))
            } else if ours < theirs {
                effects.append(.log(.info, "Giving up because we have less visible ping nodes."))
                scheduleGiveUp(.all, now: now, into: &effects)
            } else {
                effects.append(.log(.info, "Ping node count is balanced."))
                effects.append(.send(Self.ipfailMessage(.abortGiveUp, to: source)))
                // Balanced: a pending giveup is off, but foreign groups still go home with
                // auto_failback, however many balanced counts arrive (both sides may send one).
                if pendingGiveUp != nil { abortGiveUp(into: &effects) }
                if config.autoFailback {
                    effects.append(.log(.info, "Giving up foreign resources (auto_failback)."))
                    scheduleGiveUp(.foreign, now: now, into: &effects)
                }
            }
        case .youAreDead:
            guard active else { return effects }
            effects.append(.log(.info, "Giving up because we were told that we have less ping nodes."))
            toldDead = true
            scheduleGiveUp(.all, now: now, into: &effects)
        case .abortGiveUp:
            guard active else { return effects }
            // The peer found the counts balanced: we are no longer behind.
            toldDead = false
            abortGiveUp(into: &effects)
            // Unless it answered a count of ours that is out of date (a late or duplicated message)
            // while its own last count is still above ours: ask once more with the current one.
            if let theirs = partnerCount, theirs > counted(now: now) {
                partnerCount = nil
                ask(now: now, into: &effects)
            }
        case .clientStatus:
            // A peer's ipfail signed on: compare counts (ipfail's join callback).
            guard active, message["st"] == "join", message["from_id"] == "ipfail" else { return nil }
            ask(now: now, into: &effects)
            return effects
        default:
            return nil
        }
        return effects
    }

    static func ipfailMessage(_ type: MessageType, to node: String, _ fields: (String, String)...) -> Message {
        var message = Message(type: type)
        for (name, value) in fields { message[name] = value }
        message["dest"] = node
        message["from_id"] = "ipfail"
        message["to_id"] = "ipfail"
        return message
    }

    mutating func ask(now: Instant, into effects: inout [Effect]) {
        guard active, commsUp, let partner else { return }
        effects.append(.log(.info, "Asking other side for ping node count."))
        effects.append(.send(Self.ipfailMessage(.numPingNodes, to: partner, ("num_ping", String(counted(now: now))))))
    }

    mutating func scheduleGiveUp(_ set: ResourceSet, now: Instant, into effects: inout [Effect]) {
        let delay = config.keepalive * 2
        effects.append(.log(.info, "Delayed giveup in \(delay.milliseconds / 1000) seconds."))
        pendingGiveUp = (set, now + delay)
    }

    mutating func abortGiveUp(into effects: inout [Effect]) {
        if pendingGiveUp != nil {
            pendingGiveUp = nil
            effects.append(.log(.info, "Aborted delayed giveup"))
        } else {
            effects.append(.log(.info, "No giveup timer to abort."))
        }
    }
}
