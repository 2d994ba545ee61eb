/// One request on the control socket: a single line, `<verb> [argument]\n`, answered with
/// `ok\n<payload>` or `error <text>\n`, after which the server closes the connection.
public enum ControlRequest: Sendable, Equatable {
    /// Read the `StatusReport` (anyone may).
    case status
    /// `hb_standby [all|local|foreign|failback]` (spec §6.8): give up that set of resources.
    case standby(ResourceSet)
    /// `hb_takeover [all|local|foreign|failback]` (spec §6.8): ask the peer to give them to us.
    case takeover(ResourceSet)
    /// Re-read and validate the configuration, like SIGHUP / `heartbeat -r`.
    case reload
    /// `hbctl fence-confirm NODE`: the operator has reset NODE by hand (the `meatware` STONITH
    /// device waits for this, spec §7.3).
    case fenceConfirm(String)
    /// `hbctl monitor reset [GROUP]`: forget the group's check failures (nil: every monitored
    /// group's), as Pacemaker's `crm_resource --cleanup`. GROUP is as the monitors file names it:
    /// the group's key, a `name=` alias or a resource token of one group.
    case monitorReset(group: String?)

    /// The argument of `hb_standby`/`hb_takeover`, relative to the requesting node (spec §6.8).
    public enum ResourceSet: String, Sendable, CaseIterable {
        case all, local, foreign, failback
    }

    /// Longest request line accepted, newline included; anything longer is refused unread.
    public static let maxLineBytes = 4096

    /// Requests that only read may come from any user (the socket is mode 0666); the rest change
    /// cluster state and are checked by `ControlAuthorization`.
    public var isReadOnly: Bool { privilege == .read }

    /// The request line, newline included.
    public var line: String {
        switch self {
        case .status: "status\n"
        case .standby(let set): "standby \(set.rawValue)\n"
        case .takeover(let set): "takeover \(set.rawValue)\n"
        case .reload: "reload\n"
        case .fenceConfirm(let node): "fence-confirm \(node)\n"
        case .monitorReset(let group): "monitor-reset" + (group.map { " " + $0 } ?? "") + "\n"
        }
    }

    /// Parses one request line (with or without its trailing newline).
    public init(line bytes: [UInt8]) throws(ControlRequestError) {
        guard bytes.count <= Self.maxLineBytes else { throw .tooLong(bytes: bytes.count) }
        var body = bytes[...]
        if body.last == UInt8(ascii: "\n") { body = body.dropLast() }
        guard !body.contains(UInt8(ascii: "\n")) else { throw .malformed("more than one line") }
        guard let text = String(validating: body, as: UTF8.self) else { throw .malformed("not UTF-8") }
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let verb = words.first else { throw .empty }
        let arguments = words.dropFirst()

        func noArguments() throws(ControlRequestError) {
            guard arguments.isEmpty else { throw .unexpectedArgument(verb: verb, argument: arguments.first!) }
        }
        // Both scripts default to `all` (spec §6.8).
        func resourceSet() throws(ControlRequestError) -> ResourceSet {
            guard arguments.count <= 1 else { throw .unexpectedArgument(verb: verb, argument: arguments.last!) }
            guard let word = arguments.first else { return .all }
            guard let set = ResourceSet(rawValue: word) else { throw .badArgument(verb: verb, argument: word) }
            return set
        }

        switch verb {
        case "status": try noArguments(); self = .status
        case "standby": self = .standby(try resourceSet())
        case "takeover": self = .takeover(try resourceSet())
        case "reload": try noArguments(); self = .reload
        case "fence-confirm":
            guard arguments.count == 1, let node = arguments.first else {
                throw arguments.isEmpty ? .badArgument(verb: verb, argument: "")
                                        : .unexpectedArgument(verb: verb, argument: arguments.last!)
            }
            self = .fenceConfirm(NodeName(node).rawValue)
        case "monitor-reset":
            guard arguments.count <= 1 else { throw .unexpectedArgument(verb: verb, argument: arguments.last!) }
            self = .monitorReset(group: arguments.first)
        default: throw .unknownVerb(verb)
        }
    }

    public init(line: String) throws(ControlRequestError) {
        try self.init(line: Array(line.utf8))
    }
}

/// Why a request line was not understood; its description is what the client is told.
public enum ControlRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case tooLong(bytes: Int)
    case malformed(String)
    case unknownVerb(String)
    case badArgument(verb: String, argument: String)
    case unexpectedArgument(verb: String, argument: String)

    public var description: String {
        switch self {
        case .empty: "empty request"
        case .tooLong: "request too long (limit \(ControlRequest.maxLineBytes) bytes)"
        case .malformed(let why): "malformed request: \(why)"
        case .unknownVerb(let verb): "unknown request \"\(verb)\""
        case .badArgument(let verb, let argument): "\(verb): bad argument \"\(argument)\""
        case .unexpectedArgument(let verb, let argument): "\(verb): unexpected argument \"\(argument)\""
        }
    }
}

/// A refusal or failure the daemon reports to a control client.
public struct ControlError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public static let permissionDenied = ControlError("permission denied")
    public static let tooManyClients = ControlError("too many clients")

    public var description: String { message }
}

/// The server's answer: `ok\n` then the payload to end of stream, or one `error <text>\n` line.
public enum ControlResponse: Sendable, Equatable {
    case ok(String)
    case error(String)

    /// Largest reply a client reads: a full status report plus the `ok` line.
    public static let maxBytes = StatusReport.maxEncodedBytes + 16

    public var encoded: String {
        switch self {
        case .ok(let payload): "ok\n" + payload
        // The error text must stay on one line: it is the whole frame.
        case .error(let text): "error " + text.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 } + "\n"
        }
    }

    public init(decoding bytes: [UInt8]) throws(ControlResponseError) {
        guard bytes.count <= Self.maxBytes else { throw .tooLarge(bytes: bytes.count) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .malformed }
        if text.hasPrefix("ok\n") {
            self = .ok(String(text.dropFirst(3)))
        } else if text.hasPrefix("error "), text.hasSuffix("\n") {
            let message = text.dropFirst(6).dropLast()
            // Exactly what `encoded` writes: the text is one line, with no CR either.
            guard !message.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) else { throw .malformed }
            self = .error(String(message))
        } else {
            throw .malformed
        }
    }
}

public enum ControlResponseError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooLarge(bytes: Int)
    case malformed

    public var description: String {
        switch self {
        case .tooLarge(let bytes): "reply too large (\(bytes) bytes)"
        case .malformed: "malformed reply"
        }
    }
}
