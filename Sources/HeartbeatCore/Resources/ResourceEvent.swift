/// What the runtime (or the node that composes membership and resources) hands to
/// `ResourceManager.handle(_:now:)`.
public enum ResourceEvent: Sendable, Hashable {
    /// Membership reached comm-up; `liveNodes` are the normal nodes alive then (ourselves
    /// included). Configured nodes not listed are dead (spec §5.4).
    case commsUp(liveNodes: [String])
    /// Membership declared a normal node dead (spec §5.5, §6.7).
    case nodeDead(String)
    /// A peer came back with a higher generation: it restarted (spec §5.6).
    case nodeRestarted(String)
    /// A node we had as dead is alive again (its status went from `dead` to anything else).
    case nodeCameBack(String)
    /// A node we had declared dead is back with the same generation (spec §5.6).
    case partitionHealed(String)
    /// A message from another node delivered by membership (our own are never looped back:
    /// the manager acts on what it sends when it sends it).
    case message(Message)
    case scriptFinished(ScriptRun.ID, exitCode: Int32, output: String)
    /// The runtime killed the script after its timeout.
    case scriptTimedOut(ScriptRun.ID)
    /// The fencing device reported on a `.fence(node)` request.
    case fenceResult(String, succeeded: Bool)
    /// `nextDeadline` arrived (extra ticks are harmless).
    case tick
    /// `hb_standby <set>`: give up that set to the peer (spec §6.8).
    case standby(ResourceSet)
    /// `hb_takeover <set>`: ask the peer to give that set to us (spec §6.8).
    case takeover(ResourceSet)
    /// SIGTERM / `heartbeat -k`: release everything, then send `shutdone` (spec §5.8).
    case shutdown
    /// A `.runCheck` ended (the edge measured its latency, or killed it at its timeout).
    case checkFinished(CheckRun.ID, CheckOutcome)
    /// `hbctl monitor reset [GROUP]`: forget the group's failures (nil: every group's).
    case monitorReset(group: String?)
    /// A peer's `svcbad` changed: the groups it says it is unfit for (empty: fit for all).
    case peerUnfit(String, groups: [String])
}

/// What `ResourceManager.handle(_:now:)` asks the runtime to do, in order.
public enum ResourceEffect: Sendable, Hashable {
    case runScript(ScriptRun)
    /// A cluster message with its body fields only (`t`, `rsc_hold`, …); membership adds the headers.
    case send(Message)
    case log(LogLevel, String)
    /// A group's state here moved (`ResourceManager.setState`, the one place it is assigned).
    case groupStateChanged(group: String, from: GroupState, to: GroupState)
    /// Reset this node with the configured fencing device; answer with `.fenceResult`.
    case fence(String)
    /// A resource cannot be stopped and STONITH is configured: stop sending anything, so that a
    /// peer declares this node dead and fences it.
    case stopHeartbeats
    /// A resource cannot be stopped and a watchdog is configured: stop feeding it.
    case starveWatchdog
    /// Every group is released and `shutdone` was sent: the daemon may finish shutting down.
    case shutdownComplete
    /// The group runs here and neighbours must learn (again) that its addresses live here: it just
    /// started, or another node that may have announced them gave them up. The edge sends a
    /// gratuitous ARP or unsolicited neighbour advertisement for each address (none: nothing to send).
    case announce(group: String, addresses: [ServiceAddress])
    /// Run one monitor check outside the script queue; answer with `.checkFinished`.
    case runCheck(CheckRun)
    /// The check's group is being stopped or moved (or its line was dropped): kill the check; no
    /// answer is needed (a late one is ignored).
    case cancelCheck(CheckRun.ID)
}
