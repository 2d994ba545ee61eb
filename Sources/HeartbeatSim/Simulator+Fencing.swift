import HeartbeatCore

/// The simulated STONITH device and watchdog (spec §6.7, §7.2). A fence request takes
/// `SimFencing.latency`; a flaky device refuses every other attempt (at most one refusal in a
/// row, so a run settles in bounded time), a broken one (`setFenceFails`) every attempt; a
/// successful reset crashes the target at once and powers it on again after
/// `SimFencing.rebootTime` (unless `powersOnAfterReset` is off: scenarios start it themselves).
/// A starved watchdog crashes its node when its timeout expires, with the same reboot. With a
/// device configured the invariant is strict: no group ever has resources on two live nodes,
/// during partitions and stalls too.
public enum SimFencing: String, Sendable, Hashable, CaseIterable {
    case none, reliable, flaky

    static func latency(_ config: SimConfig) -> Duration { config.keepalive }
    static func rebootTime(_ config: SimConfig) -> Duration { config.deadtime * 2 }
    /// 3.0.6's watchdog timeout: ⌈(deadtime + 10 ms) / 1 s⌉ seconds (spec §7.2).
    static func watchdogTimeout(_ config: SimConfig) -> Duration {
        .seconds((config.deadtime.milliseconds + 10 + 999) / 1000)
    }
}

struct SimFencingState {
    /// Per fencing node: whether its flaky device refused the last attempt.
    var refusedLast: Set<Int> = []
    /// Nodes whose watchdog is starved.
    var starved: Set<Int> = []
    /// Nodes whose device refuses every reset (a scenario's `fence fails on NODE`).
    var broken: Set<Int> = []
    var resets = 0
}

extension Simulator {
    mutating func requestFence(from index: Int, target: String) {
        guard config.fencing != .none else {
            trace.record(.fault("\(name(index)) asked to fence \(target) (no device)"), at: now)
            return
        }
        let refuse = fencingState.broken.contains(index)
            || (config.fencing == .flaky && !fencingState.refusedLast.contains(index) && rng.next(below: 2) == 0)
        if refuse { fencingState.refusedLast.insert(index) } else { fencingState.refusedLast.remove(index) }
        queue.push(.fenceEnd(node: index, incarnation: hosts[index].incarnation, target: target, ok: !refuse),
                   at: now + SimFencing.latency(config))
    }

    /// From now on every reset by this node's device fails (or works again).
    public mutating func setFenceFails(_ index: Int, _ fails: Bool) {
        note("STONITH device of \(name(index)) \(fails ? "fails" : "works")")
        if fails { fencingState.broken.insert(index) } else { fencingState.broken.remove(index) }
    }

    mutating func starveWatchdog(_ index: Int) {
        guard config.watchdog, !fencingState.starved.contains(index) else { return }
        fencingState.starved.insert(index)
        note("\(name(index)) starves its watchdog")
        queue.push(.watchdogFires(node: index, incarnation: hosts[index].incarnation), at: now + SimFencing.watchdogTimeout(config))
    }

    mutating func processFencing(_ action: Action) {
        switch action {
        case .fenceEnd(let index, let incarnation, let target, let ok):
            guard hosts[index].state == .up, hosts[index].incarnation == incarnation else { return }
            if ok, let victim = config.nodeNames.firstIndex(of: target) {
                fencingState.resets += 1
                note("\(name(index)) resets \(target)")
                powerCycle(victim)
            }
            handle(index, .fenceResult(target, succeeded: ok))
        case .watchdogFires(let index, let incarnation):
            guard hosts[index].state == .up, hosts[index].incarnation == incarnation else { return }
            note("watchdog reboots \(name(index))")
            powerCycle(index)
        case .powerOn(let index, let incarnation):
            guard hosts[index].state == .down, hosts[index].incarnation == incarnation else { return }
            start(index)
        default:
            break
        }
    }

    /// The node dies (its resources with it) and boots again after `rebootTime`.
    mutating func powerCycle(_ index: Int) {
        fencingState.starved.remove(index)
        guard hosts[index].state == .up else { return }
        crash(index)
        guard powersOnAfterReset else { return }
        queue.push(.powerOn(node: index, incarnation: hosts[index].incarnation), at: now + SimFencing.rebootTime(config))
    }

    /// With a STONITH device, never two live holders of a group, disturbed or not.
    mutating func checkFencedSafety() {
        guard config.fencing != .none, let group = groupWithTwoHolders() else { return }
        fail("one owner (fenced)", "group \(groups[group].key) runs on \(holders(ofGroup: group).map { name($0) }) although STONITH is configured")
    }
}
