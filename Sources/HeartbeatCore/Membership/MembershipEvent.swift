/// What the runtime hands to `Membership.handle(_:now:)`.
public enum MembershipEvent: Sendable, Hashable {
    /// Begin: send the first `st=init` status and arm the timers. Events before `start` are ignored.
    case start
    /// A message that already passed decoding and authentication, read from the medium named `link`.
    case received(Message, link: String)
    /// The deadline reported by `nextDeadline` arrived (extra ticks are harmless).
    case tick
    /// A message from our own node's logic or FIFO, to be headed, sequenced and sent.
    case sendClientMessage(Message)
    /// Stop sending and timing anything; every later event is ignored.
    case shutdown
}

/// Why a received message was dropped; counted for `cl_status`/`hbctl status`.
public enum RejectReason: String, Sendable, Hashable, CaseIterable {
    /// No `src` field.
    case missingSource
    /// `src` is not a configured node ("bad node [x] in message").
    case unknownNode
    /// `seq` absent, not hex, or zero (spec §3.3 step 3).
    case badSequenceNumber
    /// Generation lower than the one we know ("attempted replay attack").
    case replay
    /// A status from a dead node, same generation, not newer than its last status (spec §3.3 step 6).
    case staleStatus
    /// An old sequence number that we were not missing.
    case oldDuplicate
    /// An `NS_` message addressed to another node.
    case notAddressedToUs
    /// A control message whose required fields are missing or malformed.
    case malformed
    /// Our own message sent by the client without a type.
    case missingType
}
