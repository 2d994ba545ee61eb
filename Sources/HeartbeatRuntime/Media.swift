import CSystem
import Glibc
import HeartbeatCore

/// Every configured medium (spec §4.1): one sending socket per UDP medium line (bcast, ucast,
/// mcast, ucast6, mcast6), one receiving socket per interface, family and port, and one
/// `SerialPort` per serial device. Every message goes out on every medium. A medium that cannot
/// be opened (interface missing or down, device absent) or whose interface was re-created is
/// (re)opened by `reopenBroken()`, so a pulled cable or a late interface never takes the daemon or
/// another medium down (issue 3).
public final class Media {
    /// A datagram or serial message arrived on the named link (the interface or the device).
    public typealias PacketHandler = (_ bytes: ArraySlice<UInt8>, _ link: String) -> Void

    private struct Sender {
        var medium: Medium
        var socket: UDPSocket?
        var destination: UDPDestination?
        /// The interface index the socket was bound to: a different index later means the
        /// interface was deleted and created again, and the socket must be opened anew.
        var interfaceIndex: UInt32 = 0
        var lastError: Int32 = 0
    }

    private struct ReceiverKey: Hashable {
        enum Family: Hashable { case ipv4, ipv6 }
        var interface: String
        var family: Family
        var group: String?  // nil for bcast/ucast/ucast6; the multicast group otherwise
        var port: UInt16
    }

    private struct Receiver {
        var socket: UDPSocket?
        var token: UInt64 = 0
        var interfaceIndex: UInt32 = 0
    }

    private var senders: [Sender] = []
    private var receivers: [ReceiverKey: Receiver] = [:]
    private var serialPorts: [SerialPort] = []
    private let udpport: UInt16
    private let loop: EventLoop
    private let logger: Logger
    private let onPacket: PacketHandler
    private var buffer = [UInt8](repeating: 0, count: Wire.maxMessageSize)
    private var udpSendFailures = 0

    /// Writes that failed on any medium; shown by `hbctl status`.
    public var sendFailures: Int { serialPorts.reduce(udpSendFailures) { $0 + $1.sendFailures } }
    /// Serial messages dropped because the line could not keep up (oldest first).
    public var serialOutputDropped: Int { serialPorts.reduce(0) { $0 + $1.droppedOutput } }

    /// `baud` is ha.cf's `baud` (spec §4.4); it only matters to serial media.
    public init(media: [Medium], udpport: Int, baud: Int = 19200, localAddresses: Set<String>, loop: EventLoop,
                logger: Logger, onPacket: @escaping PacketHandler) {
        self.loop = loop
        self.logger = logger
        self.onPacket = onPacket
        let port = UInt16(udpport)
        self.udpport = port
        let localIPv6 = localIPv6Addresses()
        for medium in media {
            switch medium {
            case .bcast(let interface):
                senders.append(Sender(medium: medium))
                receivers[ReceiverKey(interface: interface, family: .ipv4, port: port)] = Receiver()
            case .ucast(let interface, let peer):
                // An identical ha.cf on both nodes names each node's own address once: skip that line (3.0.6 does too).
                if localAddresses.contains(peer) { continue }
                senders.append(Sender(medium: medium, destination: resolveIPv4(peer).map { .ipv4(address: $0, port: port) }))
                receivers[ReceiverKey(interface: interface, family: .ipv4, port: port)] = Receiver()
            case .mcast(let interface, let group, let mcastPort, _, _):
                senders.append(Sender(medium: medium, destination: .ipv4(address: ipv4(group) ?? 0, port: UInt16(mcastPort))))
                receivers[ReceiverKey(interface: interface, family: .ipv4, group: group, port: UInt16(mcastPort))] = Receiver()
            case .ucast6(let interface, let peer):
                if let address = resolveIPv6(peer, port: port), localIPv6.contains(ipv6Bytes(address)) { continue }
                senders.append(Sender(medium: medium))
                receivers[ReceiverKey(interface: interface, family: .ipv6, port: port)] = Receiver()
            case .mcast6(let interface, let group, let mcastPort, _, _):
                senders.append(Sender(medium: medium))
                receivers[ReceiverKey(interface: interface, family: .ipv6, group: group, port: UInt16(mcastPort))] = Receiver()
            case .serial(let device):
                guard !serialPorts.contains(where: { $0.device == device }) else { continue }
                serialPorts.append(SerialPort(device: device, baud: baud, loop: loop, logger: logger, onPacket: onPacket))
            }
        }
        reopenBroken()
    }

    /// Opens every socket and device that is not open, and re-opens those whose interface was
    /// re-created; resumes serial output. Cheap when all is well: call it once a second.
    public func reopenBroken() {
        for index in senders.indices {
            let interface = senders[index].medium.linkName
            if senders[index].socket != nil, if_nametoindex(interface) != senders[index].interfaceIndex {
                logger.log(.warning, "Interface \(interface) changed; reopening its sending socket", rateLimited: true)
                senders[index].socket = nil
            }
            if senders[index].socket == nil { open(sender: index) }
        }
        for (key, receiver) in receivers {
            if let socket = receiver.socket {
                guard if_nametoindex(key.interface) != receiver.interfaceIndex else { continue }
                logger.log(.warning, "Interface \(key.interface) changed; reopening its receiving socket", rateLimited: true)
                loop.remove(socket.fd, token: receiver.token)
                receivers[key] = Receiver()
            }
            guard let socket = openReceiver(key) else { continue }
            let interfaceIndex = if_nametoindex(key.interface)
            guard let token = try? loop.watch(socket.fd, { [unowned self] in self.receive(from: socket, link: key.interface) }) else { continue }
            receivers[key] = Receiver(socket: socket, token: token, interfaceIndex: interfaceIndex)
        }
        for port in serialPorts { port.openIfClosed() }
    }

    /// Sends one message on every medium: the netstring encoding (spec §1.4, §2.4; with the inner
    /// `auth` when `innerAuth`, i.e. msgfmt classic) on the UDP media, and the classic encoding
    /// with the inner `auth` recomputed on the serial media (spec §4.4). Each encoding is made
    /// once and only if some medium needs it. Never blocks; a medium that fails is counted and
    /// retried, and does not keep the message from the others. Throws the first encoding error.
    public func send(_ message: Message, keys: AuthKeys, innerAuth: Bool) throws(WireError) {
        var failure: WireError?
        if !senders.isEmpty {
            do throws(WireError) {
                sendOnUDP(try Wire.encodeNetstring(message, signedWith: keys, innerAuth: innerAuth))
            } catch {
                failure = error
            }
        }
        if !serialPorts.isEmpty {
            do throws(WireError) {
                let classic = try Wire.encodeClassic(message, signedWith: keys)
                for port in serialPorts { port.send(classic) }
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }

    /// Sends one netstring-encoded message on every UDP medium. Never blocks; failures are
    /// counted and retried next time.
    private func sendOnUDP(_ bytes: [UInt8]) {
        for index in senders.indices {
            guard let socket = senders[index].socket else { continue }
            if senders[index].destination == nil, case .bcast(let interface) = senders[index].medium {
                senders[index].destination = interfaceBroadcast(interface).map { .ipv4(address: $0, port: udpport) }
            }
            guard let destination = senders[index].destination else { continue }
            let error = socket.send(bytes, to: destination)
            if error != 0 {
                udpSendFailures += 1
                if error != senders[index].lastError {
                    logger.log(.error, "write failure on \(senders[index].medium.linkName): \(String(cString: strerror(error)))",
                               rateLimited: true)
                }
                // The interface may have been renumbered: look the broadcast address up again next time.
                if case .bcast = senders[index].medium { senders[index].destination = nil }
            } else if senders[index].lastError != 0 {
                logger.log(.info, "write on \(senders[index].medium.linkName) works again")
            }
            senders[index].lastError = error
        }
    }

    private func receive(from socket: UDPSocket, link: String) {
        // One datagram per readiness: the loop is level-triggered, so another one queued makes the
        // next wait return at once, and the usual lone heartbeat costs no second, empty read.
        guard let count = socket.receive(into: &buffer) else { return }
        onPacket(buffer[0..<count], link)
    }

    private func open(sender index: Int) {
        let medium = senders[index].medium
        do throws(SystemError) {
            switch medium {
            case .ucast6, .mcast6:
                let (socket, destination) = try openIPv6Sender(medium, udpport: udpport)
                senders[index].socket = socket
                senders[index].destination = destination
            default:
                senders[index].socket = try openIPv4Sender(medium)
            }
            senders[index].interfaceIndex = if_nametoindex(medium.linkName)
        } catch {
            logger.log(.error, "Cannot open \(medium.linkName) for sending: \(error)", rateLimited: true)
        }
    }

    private func openIPv4Sender(_ medium: Medium) throws(SystemError) -> UDPSocket {
        let socket = try UDPSocket()
        switch medium {
        case .bcast(let interface):
            try socket.setFlag(SOL_SOCKET, SO_BROADCAST)
            try socket.setFlag(SOL_SOCKET, SO_DONTROUTE)
            try socket.bind(toDevice: interface)
        case .ucast(let interface, _):
            try socket.setFlag(Int32(IPPROTO_IP), IP_TOS, 0x10)  // IPTOS_LOWDELAY, as 3.0.6 sets it
            try socket.bind(toDevice: interface)
        case .mcast(let interface, _, _, let ttl, let loopBack):
            let index = Int32(if_nametoindex(interface))
            guard index > 0, hb_mcast_sender(socket.fd, index, Int32(ttl), loopBack ? 1 : 0) == 0 else {
                throw SystemError("multicast sender on \(interface)")
            }
        case .ucast6, .mcast6, .serial:
            throw SystemError("\(medium.linkName) is not an IPv4 medium", code: EINVAL)
        }
        return socket
    }

    private func openReceiver(_ key: ReceiverKey) -> UDPSocket? {
        do throws(SystemError) {
            if key.family == .ipv6 {
                return try openIPv6Receiver(interface: key.interface, group: key.group, port: key.port)
            }
            let socket = try UDPSocket()
            try socket.setFlag(SOL_SOCKET, SO_REUSEADDR)
            try socket.bind(toDevice: key.interface)
            let group = key.group.flatMap(ipv4) ?? 0
            try socket.bind(address: group, port: key.port)
            if group != 0 {
                let index = Int32(if_nametoindex(key.interface))
                guard index > 0, hb_mcast_join(socket.fd, group, index) == 0 else {
                    throw SystemError("join \(ipv4Text(group)) on \(key.interface)")
                }
            }
            return socket
        } catch {
            logger.log(.error, "Cannot open \(key.interface) port \(key.port) for receiving: \(error)", rateLimited: true)
            return nil
        }
    }
}

func interfaceBroadcast(_ interface: String) -> UInt32? {
    var address: UInt32 = 0
    return hb_if_broadcast(interface, &address) == 0 ? address : nil
}

/// Resolves a ucast peer once (spec §4.1): dotted quad, or a host name through the resolver.
func resolveIPv4(_ host: String) -> UInt32? {
    if let address = ipv4(host) { return address }
    var hints = addrinfo()
    hints.ai_family = AF_INET
    hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
    var result: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return nil }
    defer { freeaddrinfo(result) }
    return first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
}
