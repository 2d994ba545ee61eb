/// What `Membership.handle(_:now:)` asks the runtime to do, in order.
public enum MembershipEffect: Sendable, Hashable {
    /// Send on every medium. The message carries its own fields and then `destuuid` (when known),
    /// `src`, `srcuuid`, `seq` (not for `NS_` types) and `hg`; the runtime appends `ts`, `ld`, `ttl`
    /// and `auth` in that order before encoding (spec §1.7).
    case send(Message)
    /// Send again a stored message because a peer asked for it (spec §3.4). The fields are the ones
    /// first sent; 3.0.6 also keeps the original `ts`, so the runtime may reuse the `ts` it stamped
    /// for this `seq` (peers accept a fresh one too).
    case resend(Message)
    /// A log line with 3.0.6's wording where 3.0.6 has one.
    case log(LogLevel, String)
    /// Our own `status` message went out (right after its `.send`): the process is alive and its
    /// loop turns, which the watchdog and the ping medium are fed by.
    case heartbeatSent
    case nodeStatusChanged(node: String, from: NodeStatus, to: NodeStatus, why: StatusChangeReason)
    case linkStatusChanged(node: String, link: String, from: LinkStatus, to: LinkStatus)
    /// A message accepted and addressed to us that membership does not consume itself
    /// (anything but `status`, `reqnodes`, `repnodes` and `NS_*`), for the resource layer.
    case deliver(Message)
    /// Links are up and the node list was exchanged: our status is now `active` (spec §5.4 step 5).
    case commsUp
    /// A peer came back with a higher generation: it restarted and holds nothing (spec §5.6).
    case peerRestarted(node: String)
    /// A peer we had declared dead is back with the same generation and a newer sequence number:
    /// "Cluster node N returning after partition." 3.0.6 then releases everything and restarts; we
    /// only report it, and the resource layer decides (spec §10 item 1).
    case partitionHealed(node: String)
    /// A peer's `svcbad` changed: the resource groups it says it is unfit for (empty: none, as
    /// from a peer that never sends the field, like 3.0.6).
    case peerUnfitChanged(node: String, groups: [String])
}
