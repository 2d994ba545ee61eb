import HeartbeatCore

/// The parsers hostile bytes reach, one fuzz target each. Every target must return normally for
/// any input; a trap, an ASan report or a broken invariant (`check`) is a finding.
enum FuzzTarget: String, CaseIterable {
    /// A UDP/serial datagram: format detection, netstring/classic split, authentication, fields.
    case wire
    /// A serial line's byte stream through the framer, each frame then decoded and authenticated.
    case serial
    /// Bytes written to the FIFO by scripts: framing and unauthenticated classic decoding.
    case fifo
    /// `ha.cf` text, validated together with a good authkeys and haresources.
    case hacf
    /// `authkeys` text.
    case authkeys
    /// `haresources` text, validated together with a good ha.cf and authkeys.
    case haresources
    /// A control-socket request line and the replies a tool decodes.
    case control
    /// `monitors` text, validated together with the good three files.
    case monitors

    func run(_ bytes: [UInt8]) {
        switch self {
        case .wire: Self.wire(bytes)
        case .serial: Self.serial(bytes)
        case .fifo: Self.fifo(bytes)
        case .hacf: Self.validate(haCf: String(decoding: bytes, as: UTF8.self), haResources: Samples.haResources)
        case .authkeys: Self.authkeys(bytes)
        case .haresources: Self.validate(haCf: Samples.haCf, haResources: String(decoding: bytes, as: UTF8.self))
        case .control: Self.control(bytes)
        case .monitors:
            Self.validate(haCf: Samples.haCf, haResources: Samples.haResources, monitors: String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Every method the captures and vectors use, so genuine packets reach the field parser.
    static let keys = AuthKeys(slots: [
        1: AuthKey(slot: 1, method: .sha1, secret: Array("secret".utf8)),
        2: AuthKey(slot: 2, method: .md5, secret: Array("secret".utf8)),
        3: AuthKey(slot: 3, method: .crc),
    ], activeSlot: 1)

    private static func wire(_ bytes: [UInt8]) {
        if let decoded = try? Wire.decode(bytes, keys: keys) {
            check(decoded.authSlot != nil, "an authenticated decode names its key slot")
            // What we accepted, we can sign and read back unchanged.
            // (Encoding refuses what it cannot frame, such as an oversized result; that is fine.)
            if let encoded = try? Wire.encodeNetstring(decoded.message, signedWith: keys, innerAuth: false) {
                check((try? Wire.decode(encoded, keys: keys))?.message == decoded.message, "netstring re-encoding round-trips")
            }
        }
        _ = try? Wire.decodeUnauthenticated(bytes)
    }

    private static func serial(_ bytes: [UInt8]) {
        var framer = SerialFramer()
        var frames = 0
        framer.feed(bytes) { frame in
            frames += 1
            check(frame.count <= Wire.maxMessageSize, "a serial frame is at most MAXMSG")
            _ = try? Wire.decode(frame, keys: keys)
        }
        check(frames <= bytes.count / 8, "a frame takes at least `>>>\\n<<<\\n`")
    }

    private static func fifo(_ bytes: [UInt8]) {
        var framer = FifoFramer()
        let kept = framer.append(bytes)
        _ = framer.takeMessages()
        check(framer.buffer.count <= (kept ? bytes.count : 0), "framing never grows the buffer")
    }

    private static func authkeys(_ bytes: [UInt8]) {
        let (keys, diagnostics) = AuthKeysParser.parse(String(decoding: bytes, as: UTF8.self), file: "authkeys", mode: 0o600)
        check((keys == nil) == diagnostics.hasErrors, "keys exactly when there is no error")
        if let keys { check(keys.slots[keys.activeSlot] != nil, "the active slot is defined") }
    }

    private static func validate(haCf: String, haResources: String, monitors: String? = nil) {
        let input = ConfigInput(configDirectory: "/etc/ha.d", haCf: .text(haCf), authKeys: .text(Samples.authKeys),
                                authKeysMode: 0o600, haResources: .text(haResources), monitors: monitors.map { .text($0) } ?? .missing)
        let (config, diagnostics) = ClusterConfig.validate(input, machine: Samples.Machine())
        check((config == nil) == diagnostics.hasErrors, "a config exactly when there is no error")
        if let config {
            let keys = Set(config.resourceGroups.map(\.key))
            check(config.monitors.allSatisfy { keys.contains($0.group) }, "every check names a group key")
        }
        for diagnostic in diagnostics { check(diagnostic.line >= 0, "diagnostic lines are 1-based or 0") }
    }

    private static func control(_ bytes: [UInt8]) {
        if let request = try? ControlRequest(line: bytes) {
            check((try? ControlRequest(line: request.line)) == request, "a request's line parses back to it")
        }
        if let response = try? ControlResponse(decoding: bytes) {
            check((try? ControlResponse(decoding: Array(response.encoded.utf8))) == response, "a reply re-encodes")
        }
        _ = try? StatusReport(decoding: bytes)
    }

    /// Stops the run with a message: libFuzzer records the input as a crash.
    static func check(_ condition: Bool, _ invariant: String) {
        if !condition { fatalError("invariant broken: \(invariant)") }
    }
}

/// A consistent two-node configuration for the targets that fuzz one file of three.
enum Samples {
    static let haCf = """
        keepalive 200ms
        deadtime 2
        warntime 1
        initdead 4
        udpport 694
        bcast eth0
        auto_failback on
        node node1 node2
        logfacility none
        logfile /dev/null

        """
    static let authKeys = "auth 1\n1 sha1 secret\n"
    static let haResources = "node1 10.0.0.10 Dummy::web\nnode2 Dummy::db\n"

    struct Machine: MachineFacts {
        var localNodeName: String { "node1" }
        func isLocalAddress(_ address: String) -> Bool { address == "10.0.0.1" }
        func isExecutableFile(_ path: String) -> Bool { path.hasSuffix("/Dummy") || path.hasSuffix("/IPaddr") }
        func userExists(_ name: String) -> Bool { name == "root" || name == "hacluster" }
    }
}
