import CSystem
import Glibc
import HeartbeatCore

/// Every configured IPv4 UDP medium: one sending socket per medium line and one receiving socket per
/// interface and port. A medium that cannot be opened (interface missing or down) is retried on every
/// `reopenBroken()` call, so a pulled cable or a late interface never takes the daemon down (issue 3).
public final class Media {
    /// A datagram arrived on the named link (the medium's interface).
    public typealias PacketHandler = (_ bytes: ArraySlice<UInt8>, _ link: String) -> Void

    private struct Sender {
        var medium: Medium
        var socket: UDPSocket?
        var destination: UInt32?
        var port: UInt16
        var lastError: Int32 = 0
    }

    private struct ReceiverKey: Hashable {
        var interface: String
        var address: UInt32  // 0 for bcast/ucast; the group for mcast
        var port: UInt16
    }

    private struct Receiver {
        var socket: UDPSocket?
        var token: UInt64 = 0
    }

    private var senders: [Sender] = []
    private var receivers: [ReceiverKey: Receiver] = [:]
    private let loop: EventLoop
    private let logger: Logger
    private let onPacket: PacketHandler
    private var buffer = [UInt8](repeating: 0, count: 65_536)
    /// Sends that failed, by errno text; shown by `hbctl status`.
    public private(set) var sendFailures = 0

    public init(media: [Medium], udpport: Int, localAddresses: Set<String>, loop: EventLoop, logger: Logger,
                onPacket: @escaping PacketHandler) {
        self.loop = loop
        self.logger = logger
        self.onPacket = onPacket
        let port = UInt16(udpport)
        for medium in media {
            switch medium {
            case .bcast(let interface):
                senders.append(Sender(medium: medium, port: port))
                receivers[ReceiverKey(interface: interface, address: 0, port: port)] = Receiver()
            case .ucast(let interface, let peer):
                // An identical ha.cf on both nodes names each node's own address once: skip that line (3.0.6 does too).
                if localAddresses.contains(peer) { continue }
                senders.append(Sender(medium: medium, destination: resolveIPv4(peer), port: port))
                receivers[ReceiverKey(interface: interface, address: 0, port: port)] = Receiver()
            case .mcast(let interface, let group, let mcastPort, _, _):
                let groupAddress = ipv4(group) ?? 0
                senders.append(Sender(medium: medium, destination: groupAddress, port: UInt16(mcastPort)))
                receivers[ReceiverKey(interface: interface, address: groupAddress, port: UInt16(mcastPort))] = Receiver()
            case .ucast6, .mcast6, .serial:
                logger.log(.error, "Medium \(medium.linkName) (\(medium)) is not available in this build; it carries no heartbeats.")
            }
        }
        reopenBroken()
    }

    /// Opens every socket that is not open yet. Cheap when all are open.
    public func reopenBroken() {
        for index in senders.indices where senders[index].socket == nil {
            senders[index].socket = openSender(senders[index].medium)
        }
        for (key, receiver) in receivers where receiver.socket == nil {
            guard let socket = openReceiver(key) else { continue }
            let fd = socket.fd
            guard let token = try? loop.watch(fd, { [unowned self] in self.drain(socket, link: key.interface) }) else { continue }
            receivers[key] = Receiver(socket: socket, token: token)
        }
    }

    /// Sends one encoded message on every medium. Never blocks; failures are counted and retried next time.
    public func send(_ bytes: [UInt8]) {
        for index in senders.indices {
            guard let socket = senders[index].socket else { continue }
            if senders[index].destination == nil, case .bcast(let interface) = senders[index].medium {
                senders[index].destination = interfaceBroadcast(interface)
            }
            guard let destination = senders[index].destination else { continue }
            let error = socket.send(bytes, to: destination, port: senders[index].port)
            if error != 0 {
                sendFailures += 1
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

    private func drain(_ socket: UDPSocket, link: String) {
        // Level-triggered: a bounded batch per wake-up keeps timers and other media served under a flood.
        for _ in 0..<64 {
            guard let count = socket.receive(into: &buffer) else { return }
            onPacket(buffer[0..<count], link)
        }
    }

    private func openSender(_ medium: Medium) -> UDPSocket? {
        do throws(SystemError) {
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
                return nil
            }
            return socket
        } catch {
            logger.log(.error, "Cannot open \(medium.linkName) for sending: \(error)", rateLimited: true)
            return nil
        }
    }

    private func openReceiver(_ key: ReceiverKey) -> UDPSocket? {
        do throws(SystemError) {
            let socket = try UDPSocket()
            try socket.setFlag(SOL_SOCKET, SO_REUSEADDR)
            try socket.bind(toDevice: key.interface)
            try socket.bind(address: key.address, port: key.port)
            if key.address != 0 {
                let index = Int32(if_nametoindex(key.interface))
                guard index > 0, hb_mcast_join(socket.fd, key.address, index) == 0 else {
                    throw SystemError("join \(ipv4Text(key.address)) on \(key.interface)")
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
