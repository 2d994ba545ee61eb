/// One cluster node's whole logic: the membership core and the resource manager, composed.
/// Membership's findings (comm-up, deaths, restarts, delivered messages) become resource events,
/// and the resource manager's messages go out through membership, which sequences them. Pure, like
/// its parts: the daemon and the simulator are two interpreters of the effects (docs/architecture.md).
public struct Node: Sendable {
    public enum Event: Sendable, Hashable {
        case start
        /// A decoded, authenticated message read from the medium named `link`.
        case received(Message, link: String)
        /// `nextDeadline` arrived (extra ticks are harmless).
        case tick
        /// A message written by a local script to the FIFO (spec §6.5).
        case fromScript(Message)
        case standby(ResourceSet)
        case takeover(ResourceSet)
        case scriptFinished(ScriptRun.ID, exitCode: Int32, output: String)
        case scriptTimedOut(ScriptRun.ID)
        case fenceResult(String, succeeded: Bool)
        /// SIGTERM: release every group, send `shutdone`, then stop (spec §5.8).
        case shutdown
        /// A `.runCheck` ended: passed or failed with the latency the edge measured, or killed at
        /// its timeout.
        case checkFinished(CheckRun.ID, CheckOutcome)
        /// `hbctl monitor reset [GROUP]` (nil: every group): forget failures, eligibility, hold-down.
        case monitorReset(group: String?)
    }

    public enum Effect: Sendable, Hashable {
        /// Send on every medium, stamped and encoded by `outbound` (see `MembershipEffect.send`).
        case send(Message)
        /// Send a stored message again (spec §3.4).
        case resend(Message)
        /// Our own heartbeat just went out (after its `.send`): feed the watchdog and the ping medium.
        case heartbeatSent
        case nodeStatusChanged(node: String, from: NodeStatus, to: NodeStatus, why: StatusChangeReason)
        case linkStatusChanged(node: String, link: String, from: LinkStatus, to: LinkStatus)
        case groupStateChanged(group: String, from: GroupState, to: GroupState)
        /// A log line, worded for admins who grep for it; observers use the effects above instead.
        case log(LogLevel, String)
        case runScript(ScriptRun)
        /// Tell the neighbours the group's addresses live here (see `ResourceEffect.announce`).
        case announce(group: String, addresses: [ServiceAddress])
        /// A delivered message, for `harc <type>` when `rc.d/<type>` exists (spec §6.4).
        case notify(Message)
        case fence(String)
        /// Stop writing to the watchdog device: the kernel reboots this node (a stop failure).
        case starveWatchdog
        /// Everything is released and membership has stopped: the process may exit.
        case shutdownComplete
        /// Run one monitor check now, outside the script queue, killed at its timeout; answer with
        /// `.checkFinished` (see `ResourceEffect.runCheck`).
        case runCheck(CheckRun)
        /// Kill a running check; no answer is needed.
        case cancelCheck(CheckRun.ID)
    }

    public internal(set) var membership: Membership
    /// nil when resources are not managed here (`heartbeat -M`).
    public internal(set) var resources: ResourceManager?
    /// Ping nodes and built-in arbitration (spec §4.5, §7.1; `Node+Arbitration.swift`).
    public internal(set) var arbitration: Arbitration
    var lastNow = Instant.zero
    /// A stop failure with STONITH configured: nothing is sent any more, so that a peer declares
    /// us dead and fences us (ResourceManager+Fencing.swift).
    public private(set) var silenced = false
    /// How this node's `.send` and `.resend` messages are stamped and encoded.
    public let outbound: Outbound

    public var nextDeadline: Instant? {
        // No array: the simulator asks after every event.
        Instant.earliest(Instant.earliest(membership.nextDeadline, resources?.nextDeadline),
                         Instant.earliest(arbitration.nextDeadline(now: lastNow), silenceDeadline))
    }

    public mutating func handle(_ event: Event, now: Instant) -> [Effect] {
        lastNow = now
        var effects: [Effect] = []
        switch event {
        case .start:
            arbitration.start(now: now)
            route(membership.handle(.start, now: now), into: &effects)
        case .received(let message, let link):
            if let echo = arbitration.echoReply(message, now: now) {
                apply(echo, into: &effects)
            } else {
                route(membership.handle(.received(message, link: link), now: now), into: &effects)
            }
        case .tick:
            route(membership.handle(.tick, now: now), into: &effects)
            arbitrationTick(into: &effects)
            if let deadline = resources?.nextDeadline, deadline <= now { resourceEvent(.tick, into: &effects) }
        case .fromScript(let message):
            fromScript(message, into: &effects)
        case .standby(let set):
            resourceEvent(.standby(set), into: &effects)
        case .takeover(let set):
            resourceEvent(.takeover(set), into: &effects)
        case .scriptFinished(let id, let exitCode, let output):
            resourceEvent(.scriptFinished(id, exitCode: exitCode, output: output), into: &effects)
        case .scriptTimedOut(let id):
            resourceEvent(.scriptTimedOut(id), into: &effects)
        case .fenceResult(let node, let succeeded):
            resourceEvent(.fenceResult(node, succeeded: succeeded), into: &effects)
        case .shutdown:
            if resources != nil {
                resourceEvent(.shutdown, into: &effects)
            } else {
                stopMembership(into: &effects)
            }
        case .checkFinished(let id, let outcome):
            resourceEvent(.checkFinished(id, outcome), into: &effects)
        case .monitorReset(let group):
            resourceEvent(.monitorReset(group: group), into: &effects)
        }
        advertiseHealth(into: &effects)
        return effects
    }

    /// Installs a new `monitors` file (`heartbeat -r`, after it validated): unchanged lines keep
    /// their state, checks of dropped lines are cancelled.
    public mutating func replaceMonitors(_ specs: [MonitorSpec]) -> [Effect] {
        var effects: [Effect] = []
        guard resources != nil else { return effects }
        resourceEffects(resources!.replaceMonitors(specs, now: lastNow), into: &effects)
        advertiseHealth(into: &effects)
        return effects
    }

    /// Our `svcbad` follows the groups the resource manager finds unfit here; a change goes out
    /// in a heartbeat at once.
    private mutating func advertiseHealth(into effects: inout [Effect]) {
        route(membership.advertiseUnfitGroups(resources?.unfitGroupKeys ?? [], now: lastNow), into: &effects)
    }

    /// `hb_standby` and `hb_takeover` arrive through the FIFO as the messages they would send;
    /// they become our own requests (the manager sends them). Anything else goes to the cluster.
    private mutating func fromScript(_ message: Message, into effects: inout [Effect]) {
        let set = ResourceSet(rawValue: message["rsc_hold"] ?? "all") ?? .all
        switch (message.type, message["info"]) {
        case (.askResources, "me") where resources != nil:
            resourceEvent(.standby(set), into: &effects)
        case (.takeover, _) where resources != nil:
            resourceEvent(.takeover(set), into: &effects)
        default:
            route(membership.handle(.sendClientMessage(message), now: lastNow), into: &effects)
        }
    }

    mutating func route(_ membershipEffects: [MembershipEffect], into effects: inout [Effect]) {
        for effect in membershipEffects {
            switch effect {
            case .send(let message):
                if !silenced { effects.append(.send(message)) }
            case .resend(let message):
                if !silenced { effects.append(.resend(message)) }
            case .heartbeatSent:
                if !silenced { effects.append(.heartbeatSent) }
            case .log(let level, let text):
                effects.append(.log(level, text))
            case .linkStatusChanged(let node, let link, let from, let to):
                effects.append(.linkStatusChanged(node: node, link: link, from: from, to: to))
                if to == .dead { apply(arbitration.linkDead(now: lastNow), into: &effects) }
            case .nodeStatusChanged(let node, let from, let to, let why):
                effects.append(.nodeStatusChanged(node: node, from: from, to: to, why: why))
                guard membership.config.nodes.contains(node), node != membership.config.localNode else { break }
                if to == .dead {
                    peerDied(node, into: &effects)
                } else if from == .dead {
                    apply(arbitration.peerAlive(node, now: lastNow), into: &effects)
                    resourceEvent(.nodeCameBack(node), into: &effects)
                }
            case .commsUp:
                let live = membership.nodes.filter { $0.type == .normal && $0.status != .dead }.map(\.name)
                resourceEvent(.commsUp(liveNodes: live), into: &effects)
                apply(arbitration.communicationsUp(liveNodes: live, now: lastNow), into: &effects)
            case .partitionHealed(let node):
                resourceEvent(.partitionHealed(node), into: &effects)
            case .peerRestarted(let node):
                resourceEvent(.nodeRestarted(node), into: &effects)
            case .peerUnfitChanged(let node, let groups):
                resourceEvent(.peerUnfit(node, groups: groups), into: &effects)
            case .deliver(let message):
                if let decided = arbitration.peerMessage(message, now: lastNow) {
                    apply(decided, into: &effects)
                } else {
                    resourceEvent(.message(message), into: &effects)
                }
                effects.append(.notify(message))
            }
        }
    }

    mutating func resourceEvent(_ event: ResourceEvent, into effects: inout [Effect]) {
        guard resources != nil else { return }
        resourceEffects(resources!.handle(event, now: lastNow), into: &effects)
    }

    mutating func resourceEffects(_ resourceEffects: [ResourceEffect], into effects: inout [Effect]) {
        for effect in resourceEffects {
            switch effect {
            case .runScript(let run):
                effects.append(.runScript(run))
            case .send(let message):
                route(membership.handle(.sendClientMessage(message), now: lastNow), into: &effects)
            case .log(let level, let text):
                effects.append(.log(level, text))
            case .groupStateChanged(let group, let from, let to):
                effects.append(.groupStateChanged(group: group, from: from, to: to))
            case .fence(let node):
                effects.append(.fence(node))
            case .announce(let group, let addresses):
                effects.append(.announce(group: group, addresses: addresses))
            case .stopHeartbeats:
                silenced = true
            case .starveWatchdog:
                effects.append(.starveWatchdog)
            case .shutdownComplete:
                stopMembership(into: &effects)
            case .runCheck(let run):
                effects.append(.runCheck(run))
            case .cancelCheck(let id):
                effects.append(.cancelCheck(id))
            }
        }
    }

    private mutating func stopMembership(into effects: inout [Effect]) {
        route(membership.handle(.shutdown, now: lastNow), into: &effects)
        effects.append(.shutdownComplete)
    }
}
