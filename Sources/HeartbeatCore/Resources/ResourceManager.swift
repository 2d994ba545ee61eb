/// The v1 (haresources) resource manager of one node: which groups run here, the 3.0.6
/// `starting`/`resource` handshake, dead-node takeover, standby, failback, shutdown (spec §6, §5.8).
///
/// Like `Membership` it performs no I/O and reads no clock. Every input is a `ResourceEvent` with
/// the monotonic `now`; every output a `ResourceEffect` the runtime carries out in order. Scripts
/// run one at a time per node: the manager emits `.runScript` and waits for `.scriptFinished` or
/// `.scriptTimedOut` before the next one. After each call the runtime (re)arms one timer at
/// `nextDeadline` and delivers `.tick`.
///
/// Membership never delivers our own messages back to us, so whatever 3.0.6 did on receiving its
/// own `ask_resources`, `resource` or `shutdone` happens here at the moment we send it.
///
/// ## Deviations from Heartbeat 3.0.6 (on purpose)
/// 1. A failed start stops that group again (right to left) and leaves it released and `failed`;
///    3.0.6 additionally ran `hb_standby foreign` 30 s later whichever group failed (§6.2, §10.5).
/// 2. `hb_takeover failback` asks only for our own (local) groups back: we send `rsc_hold=local`,
///    which 3.0.6 peers mirror correctly, and a received `rsc_hold=failback` is mirrored to
///    `foreign`; 3.0.6 made the peer give up everything (§6.8, §10.7).
/// 3. A stop that still fails after the retries while `status` says the resource runs does not
///    reboot the machine: the group stays owned here (it keeps counting in every holdings report,
///    so no peer starts it), a CRIT line is logged, and the release is tried again every
///    `ScriptTimings.stopFailureRetry`. A standby or `ip-request` waiting on it is not answered, and shutdown
///    does not send `shutdone`, until the stop succeeds (§6.2).
/// 4. Group keys (`ip-request ipaddr=`) are matched literally, not as regular expressions (§10.13).
/// 5. When both nodes start together, each takes its own groups as soon as the other's holdings
///    report (`rtype=full`, no `info`) says it does not hold them: one message round trip
///    instead of 3.0.6's 10 s RQSTDELAY. 3.0.6 peers stay consistent: they see our `isstable=1`
///    report and take their own groups (§6.6).
/// 6. A healed partition does not restart heartbeat: the node that sees the peer return asks for
///    its holdings (`starting`), and a group both sides hold is released by the one that is not
///    its preferred node, with one CRIT line; 3.0.6 released everything on both sides and
///    restarted (§5.6, §10.1). Likewise any stable peer's full holdings report showing it holds
///    its own groups that we hold too makes us release them (§10.2). In legacy mode, which has no
///    holdings reports, the returning node's groups are released here at once.
/// 7. Our reply to `starting` while we shut down lists what we still hold (3.0.6 said `none`), so
///    a starting peer does not start a group we are still stopping.
/// 8. Shutdown stops only the groups this node holds, last group first, and waits only for the
///    running group operation, not for the peer to be stable (§5.8).
/// 9. A standby request is not sent when it would be refused locally (peer or we in flux, or
///    standby already running); the 10 s reply timeout is a real timer, not checked lazily.
/// 10. `rscstatus` in legacy mode reports what we hold; 3.0.6 always said `none` (§6.10).
/// 11. Our audits ("Both machines own …", "No one owns …") skip a half of haresources that has
///     no groups. We still claim such a half in holdings reports as 3.0.6 would (`nominalHolds`),
///     so a 3.0.6 peer's audits stay quiet too.
/// 12. A status script that times out before a start counts as "not running" (the start follows);
///     one that times out after a failed stop counts as "running" (the group stays ours).
/// 13. Legacy: an `ip-request-resp` is acted on only for a key we asked for; an `ip-request`
///     is answered only once nothing of that group runs here any more (whichever operation
///     stopped it), and never after the requester died or restarted (3.0.6 would answer its
///     next incarnation, which could then start a group we took over meanwhile).
/// 14. Standby `done` is sent only once nothing of the set runs here, including a stop that was
///     already under way for another reason (a failed start being undone).
/// 15. A node whose haresources has no other node acquires its groups at comm-up.
/// 16. When a stable peer's full holdings report shows nobody holds some of our own groups (the
///     peer restarted faster than deadtime and lost them), we acquire them; 3.0.6 only logged
///     "No one owns our local resources!" and left them down.
/// 17. The addresses of a group are announced (`.announce`) when it has started here and again
///     when a node that may have announced them too stops claiming it (deviation 6's heal above
///     all); 3.0.6 got that only as a side effect of restarting every resource on a heal.
///
/// ## Extensions of 3.0.6 (the `monitors` file, `+Health`; none without that file)
/// 18. Groups running here are checked (`.runCheck`, one run per line at a time, outside the
///     script queue, paused while the group starts, stops or moves, first after `start_delay`).
///     `fall` failures in a row make the group fail once; `on_fail=restart` restarts it in place
///     through the job queue (stop right to left, start left to right, reason "monitor
///     restart") while its failures within `window` are at most `restarts`, then moves it;
///     `on_fail=failover` moves it at once; `alert` and `ignore` only log. A group with several
///     lines uses their longest `window` and `holddown`.
/// 19. A move is a standby of the group's half of haresources (`hb_standby local|foreign`), so the
///     other groups of that half go along; our `me` carries `svcmove=1` (3.0.6 ignores it) so that
///     a peer of ours starts the group's hold-down when it takes it. Only a peer that is alive,
///     stable, not shutting down and advertises none of that half's groups in `svcbad` is asked.
///     Afterwards this node is ineligible for the group until its failures expire or an admin
///     resets them; no automatic move within `holddown` of the last one.
/// 20. When no node may take a failing group, it stays and is restarted in place after a delay
///     that doubles from twice the check interval up to 5 min, with one CRIT line per episode; it
///     moves as soon as a peer may take it. A restart whose start fails leaves the group stopped
///     and `failed` (deviation 1); that counts as one more failure, and the group goes to a peer
///     that may take it or is started again here after the backoff.
/// 21. Our status heartbeats carry `svcbad`, the groups this node is unhealthy or ineligible for,
///     or waits to restart after a backoff (omitted when none); a peer without the field (3.0.6) counts as fit. Auto failback waits
///     while the node it would hand foreign groups to advertises one of them.
/// 22. A dead peer's groups are taken over as before, whatever their health here: availability
///     first, the monitors then restart or move them as usual.
public struct ResourceManager: Sendable {
    public let config: ResourceManagerConfig

    struct GroupRecord: Sendable, Hashable {
        let group: ResourceGroup
        var state: GroupState = .stopped
        /// Some of its resources may run here: from the start of an acquisition to the end of a
        /// successful release.
        var ownedHere = false
        var reason = ""
        var startedAt: Instant?
        var endedAt: Instant?
        var scripts: [ScriptTiming] = []
        /// Legacy mode: the node we handed it to, or that asked for it.
        var peerOwner: String?
        /// Another node may have announced its addresses since we last did (`+Announce`).
        var contested = false
    }

    struct PeerRecord: Sendable, Hashable {
        var alive = false
        /// 3.0.6's "anypacketsyet": cleared when the node dies.
        var heard = false
        /// Its last holdings report (`rsc_hold`, spec §6.6).
        var holds: HoldSet = .none
        /// Its last `isstable` (3.0.6 starts with "unstable"); a dead peer counts as stable.
        var stable = false
        /// It sent `shutdone` (legacy: no STONITH needed when it dies).
        var gaveUp = false
        /// It announced `info=shutdown` and has not sent `shutdone` yet: still stopping groups.
        var shuttingDown = false
        /// Generation and sequence number of the last holdings report applied.
        var lastReport: ReportOrder?
        /// False from its return after we lost it until its first stable holdings report: what it
        /// ran meanwhile is unknown (`+Announce`).
        var reportedSinceReturn = true
    }

    /// Where a message stands in its sender's stream: generation first, then sequence number.
    struct ReportOrder: Sendable, Hashable, Comparable {
        let generation: UInt64
        let seq: UInt64

        init?(_ message: Message) {
            guard let seq = message["seq"].flatMap({ UInt64($0, radix: 16) }) else { return nil }
            self.generation = message["hg"].flatMap { UInt64($0, radix: 16) } ?? 0
            self.seq = seq
        }

        static func < (a: Self, b: Self) -> Bool { (a.generation, a.seq) < (b.generation, b.seq) }
    }

    var records: [GroupRecord]
    var peers: [String: PeerRecord]
    /// Peers in config order, for deterministic iteration.
    let peerNames: [String]
    /// `local` if we are the preferred node of a group, `foreign` if another node is of one.
    let halvesWithGroups: HoldSet
    /// 3.0.6's `i_hold_resources` bits, set and cleared at the same protocol steps. They speak
    /// only for a half of haresources with no groups here: a peer still expects us to claim
    /// and hand back that half, or it logs "No one owns …" (see `holdings`).
    var nominalHolds: HoldSet = .none

    // One state per concern; its type and the steps that change it are in the file named
    // (`+Startup` is `ResourceManager+Startup.swift`).
    /// Shutdown's phase, and while up the startup handshake's (`+Shutdown`, `+Startup`).
    var lifecycle: Lifecycle = .up(.waiting)
    /// The "Initial resource acquisition complete" milestone (`+Startup`).
    var initialAcquisition: InitialAcquisition = .underway(done: .none)
    /// Peers that sent `starting` before our comm-up; answered at comm-up (`+Startup`).
    var startingBeforeComms: Set<String> = []
    /// The standby protocol's phase (`+Standby`).
    var standby: Standby = .none
    /// Whether foreign groups we took over are to go home (`+AutoFailback`).
    var failback: Failback = .notOwed
    /// Fencing of peers in progress, and our own escalation of a stop failure (`+Fencing`).
    var fencing: [String: FenceAttempt] = [:]
    var stopFailure: StopFailureResponse = .contained
    /// What we owe a peer heard again after isolation (`+Isolation`).
    var isolationRecovery: IsolationRecovery = .none
    /// Legacy: keys we sent `ip-request` for and await `ip-request-resp` (`+Legacy`).
    var legacyAwaiting: Set<String> = []
    /// Legacy: `ip-request`s answered once their group stopped here.
    var pendingIPReplies: [PendingIPReply] = []

    /// Group operations, one script at a time (`+Jobs`).
    var queue: [Job] = []
    var active: ActiveJob?
    var parked: [ParkedJob] = []
    var nextScriptID: ScriptRun.ID = 1

    /// Service health: the `monitors` lines, groups' failures, peers' `svcbad` (`+Health`).
    var health = HealthState()

    public init(config: ResourceManagerConfig, monitors: [MonitorSpec] = []) {
        self.config = config
        self.records = config.groups.map { GroupRecord(group: $0) }
        self.halvesWithGroups = config.groups.reduce(HoldSet.none) { set, group in
            set.union(group.preferredNode == config.localNode ? .local : .foreign)
        }
        self.peerNames = config.nodes.filter { $0 != config.localNode }
        var peers: [String: PeerRecord] = [:]
        for name in peerNames { peers[name] = PeerRecord() }
        self.peers = peers
        var unreported: [ResourceEffect] = []
        replaceMonitors(monitors, now: .zero, into: &unreported)
    }

    public mutating func handle(_ event: ResourceEvent, now: Instant) -> [ResourceEffect] {
        var effects: [ResourceEffect] = []
        guard lifecycle != .stopped else { return effects }
        switch event {
        case .commsUp(let live): commsUp(liveNodes: live, now: now, into: &effects)
        case .nodeDead(let node): nodeDead(NodeName(node).rawValue, now: now, into: &effects)
        case .nodeRestarted(let node): nodeRestarted(NodeName(node).rawValue, into: &effects)
        case .nodeCameBack(let node): nodeCameBack(NodeName(node).rawValue, into: &effects)
        case .partitionHealed(let node): partitionHealed(NodeName(node).rawValue, now: now, into: &effects)
        case .message(let message): receive(message, now: now, into: &effects)
        case .scriptFinished(let id, let code, let output):
            scriptEnded(id, exitCode: code, output: output, now: now, into: &effects)
        case .scriptTimedOut(let id): scriptEnded(id, exitCode: nil, output: "", now: now, into: &effects)
        case .fenceResult(let node, let ok): fenceResult(NodeName(node).rawValue, succeeded: ok, now: now, into: &effects)
        case .tick: tick(now: now, into: &effects)
        case .standby(let set): adminStandby(set, now: now, into: &effects)
        case .takeover(let set): adminTakeover(set, into: &effects)
        case .shutdown: shutdown(now: now, into: &effects)
        case .checkFinished(let id, let outcome): checkFinished(id, outcome, now: now, into: &effects)
        case .monitorReset(let group): monitorReset(group, now: now, into: &effects)
        case .peerUnfit(let node, let keys): peerUnfit(NodeName(node).rawValue, groups: keys, now: now, into: &effects)
        }
        superviseHealth(now: now, into: &effects)
        pump(now: now, into: &effects)
        resumeIfIdle(now: now, into: &effects)
        announceUncontested(into: &effects)
        return effects
    }

    /// The one instant at which the runtime must deliver `.tick`; nil when nothing is timed.
    public var nextDeadline: Instant? {
        // Without building an array: the runtime asks after every event.
        var earliest = Instant.earliest(Instant.earliest(active?.retryAt, standby.deadline), failback.retryAt)
        for retry in parked { earliest = .earliest(earliest, retry.retryAt) }
        for attempt in fencing.values { earliest = .earliest(earliest, attempt.dueAt) }
        return .earliest(earliest, healthDeadline)
    }
}

extension ResourceManager {
    /// `cl_status rscstatus` (spec §6.10): what we hold, or `transition` while anything is in flight.
    public var rscstatus: StatusReport.ResourceStatus {
        switch lifecycle.handshake {
        case .waiting: return .none
        case nil: return lifecycle == .stopped ? .none : .transition
        case .starting, .bothStarting: return .transition
        case .stable: break
        }
        let busy = active != nil || !queue.isEmpty || !parked.isEmpty || standby != .none
            || !fencing.isEmpty || lifecycle != .up(.stable)
            || (config.niceFailback && !othersStable)
        if busy { return .transition }
        switch holdings() {
        case .local: return .local
        case .foreign: return .foreign
        case .all: return .all
        default: return .none
        }
    }

    /// Installs a new `monitors` file (`heartbeat -r`); see `replaceMonitors(_:now:into:)`.
    public mutating func replaceMonitors(_ specs: [MonitorSpec], now: Instant) -> [ResourceEffect] {
        var effects: [ResourceEffect] = []
        let before = health.lines.count
        replaceMonitors(specs, now: now, into: &effects)
        effects.append(.log(.info, "Monitors reloaded: \(health.lines.count) check(s), \(before) before"))
        superviseHealth(now: now, into: &effects)
        return effects
    }

    /// Every group in haresources order, as `hbctl status` shows it.
    public var groups: [GroupSnapshot] {
        records.indices.map { index in
            let record = records[index]
            return GroupSnapshot(
                key: record.group.key, preferredNode: record.group.preferredNode,
                owner: believedOwner(index), state: record.state, reason: record.reason,
                transitionStartedAt: record.startedAt, transitionEndedAt: record.endedAt,
                scripts: record.scripts)
        }
    }

    /// Whom we believe runs the group: us when we claim it, else a live peer whose holdings
    /// report covers it (two-node semantics of `rsc_hold`), else in legacy mode the peer we
    /// handed it to.
    func believedOwner(_ index: Int) -> String? {
        if claimed(index) || records[index].ownedHere { return config.localNode }
        return claimingPeer(index)
    }

    /// A live peer that says it runs the group: by its holdings report, or in legacy mode because
    /// we handed the group to it.
    func claimingPeer(_ index: Int) -> String? {
        let preferred = records[index].group.preferredNode
        for name in peerNames {
            guard let peer = peers[name], peer.alive else { continue }
            if config.niceFailback {
                if peer.holds.contains(preferred == name ? .local : .foreign) { return name }
            } else if records[index].peerOwner == name {
                return name
            }
        }
        return nil
    }
}
