import CSystem
import Glibc
import HeartbeatCore

/// The ping media (spec §4.5): at each of our heartbeats, one ICMP (or ICMPv6) echo request per
/// `ping` host and per `ping_group` member, whose data is 3.0.6's `NS_st` message (`t=NS_st`,
/// `st=ping`, `info=ping|ping_group`, `src=<ping node>`, `ts`, inner `auth`) in netstring form
/// with its trailer. The host's kernel echoes the data back; a reply that authenticates, names
/// one of our ping nodes with the right `info` and (for a group) comes from one of its members is
/// handed on as a received message. Raw sockets need root (CAP_NET_RAW); a socket that cannot be
/// opened is logged and retried by `reopenBroken()`.
public final class PingMedium {
    public typealias ReplyHandler = (Message) -> Void

    private struct Target {
        var name: String
        var isGroup: Bool
        var hosts: [String]
        var family: PingNode.Family
        /// Resolved once, like 3.0.6 (a host that does not resolve is retried at reopen).
        var addresses: [[UInt8]] = []
    }

    private struct Socket {
        var fd: Int32 = -1
        var token: UInt64 = 0
    }

    private var targets: [Target]
    private var sockets: [PingNode.Family: Socket] = [:]
    private let identifier: UInt16
    private var sequence: UInt16 = 0
    private let loop: EventLoop
    private let logger: Logger
    private let keys: () -> AuthKeys
    private let onReply: ReplyHandler
    private var buffer = [UInt8](repeating: 0, count: 65536)
    /// Echo replies dropped (not ours, not authentic, wrong member); shown at debug level.
    public private(set) var ignoredReplies = 0

    public init(pingNodes: [PingNode], pingGroups: [PingGroup], loop: EventLoop, logger: Logger,
                keys: @escaping () -> AuthKeys, onReply: @escaping ReplyHandler) {
        targets = pingNodes.map { Target(name: $0.name, isGroup: false, hosts: [$0.name], family: $0.family) }
            + pingGroups.map { Target(name: $0.name, isGroup: true, hosts: $0.hosts, family: .ipv4) }
        identifier = UInt16(truncatingIfNeeded: getpid())
        self.loop = loop
        self.logger = logger
        self.keys = keys
        self.onReply = onReply
        reopenBroken()
    }

    deinit {
        for socket in sockets.values where socket.fd >= 0 {
            loop.remove(socket.fd, token: socket.token)
            close(socket.fd)
        }
    }

    /// Opens missing sockets and resolves hosts that did not resolve. Cheap when all is well.
    public func reopenBroken() {
        for index in targets.indices where targets[index].addresses.isEmpty {
            targets[index].addresses = targets[index].hosts.compactMap { resolve($0, family: targets[index].family) }
            if targets[index].addresses.isEmpty {
                logger.log(.error, "Cannot resolve ping node \(targets[index].name)", rateLimited: true)
            }
        }
        for family in Set(targets.map(\.family)) where sockets[family] == nil {
            let (domain, protocolNumber) = family == .ipv4 ? (AF_INET, Int32(IPPROTO_ICMP)) : (AF_INET6, Int32(IPPROTO_ICMPV6))
            let fd = socket(domain, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
                            protocolNumber)
            guard fd >= 0 else {
                logger.log(.error, "Cannot open a raw ICMP socket for ping nodes: \(String(cString: strerror(errno))) (ping needs root)",
                           rateLimited: true)
                continue
            }
            do {
                let token = try loop.watch(fd) { [unowned self] in self.drain(fd, family: family) }
                sockets[family] = Socket(fd: fd, token: token)
            } catch {
                close(fd)
                logger.log(.error, "Cannot watch the ICMP socket: \(error)", rateLimited: true)
            }
        }
    }

    /// Our status went out with this `ts`: one echo request per ping host (spec §4.5).
    public func sendHeartbeat(timestamp: String) {
        let keys = keys()
        for target in targets {
            guard let socket = sockets[target.family] else { continue }
            let message = Message(type: .pingStatus, ("st", "ping"), ("info", target.isGroup ? "ping_group" : "ping"),
                                  ("src", target.name), ("ts", timestamp))
            guard let payload = try? Wire.encodeNetstring(message, signedWith: keys, innerAuth: true) else { continue }
            for address in target.addresses {
                sequence &+= 1
                let packet = echoRequest(payload, family: target.family)
                let error = send(packet, to: address, fd: socket.fd)
                if error != 0 {
                    logger.log(.error, "write failure on ping node \(target.name): \(String(cString: strerror(error)))",
                               rateLimited: true)
                }
            }
        }
    }

    private func echoRequest(_ payload: [UInt8], family: PingNode.Family) -> [UInt8] {
        var packet: [UInt8] = [family == .ipv4 ? 8 : 128, 0, 0, 0,
                               UInt8(identifier >> 8), UInt8(identifier & 0xff),
                               UInt8(sequence >> 8), UInt8(sequence & 0xff)]
        packet += payload
        // The kernel fills the ICMPv6 checksum (it covers a pseudo-header we do not see).
        if family == .ipv4 {
            let sum = Self.internetChecksum(packet)
            packet[2] = UInt8(sum >> 8)
            packet[3] = UInt8(sum & 0xff)
        }
        return packet
    }

    /// RFC 1071 one's-complement sum, as big-endian 16-bit words.
    static func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    private func send(_ packet: [UInt8], to address: [UInt8], fd: Int32) -> Int32 {
        let sent: Int
        if address.count == 4 {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: address) }
            sent = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, packet, packet.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        } else {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: address) }
            sent = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, packet, packet.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        return sent < 0 ? errno : 0
    }

    private func drain(_ fd: Int32, family: PingNode.Family) {
        for _ in 0..<64 {
            var from = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, &length)
                    }
                }
            }
            guard count > 0 else { return }
            let source: [UInt8] = withUnsafeBytes(of: &from) { raw in
                family == .ipv4 ? Array(raw[4..<8]) : Array(raw[8..<24])
            }
            handle(Array(buffer[0..<count]), family: family, source: source)
        }
    }

    /// IPv4 raw sockets deliver the IP header too; ICMPv6 ones start at the ICMP header.
    private func handle(_ packet: [UInt8], family: PingNode.Family, source: [UInt8]) {
        let start = family == .ipv4 ? Int((packet.first ?? 0) & 0x0f) * 4 : 0
        guard packet.count >= start + 8, packet[start] == (family == .ipv4 ? 0 : 129),
              UInt16(packet[start + 4]) << 8 | UInt16(packet[start + 5]) == identifier
        else { return }
        guard let decoded = try? Wire.decode(Array(packet[(start + 8)...]), keys: keys()),
              let name = decoded.message["src"],
              let target = targets.first(where: { $0.name == name && $0.family == family }),
              decoded.message["info"] == (target.isGroup ? "ping_group" : "ping"),
              !target.isGroup || target.addresses.contains(source)
        else {
            ignoredReplies += 1
            logger.log(.debug, "Ignored an ICMP echo reply from \(family == .ipv4 ? dottedQuad(source) : "an IPv6 host")")
            return
        }
        onReply(decoded.message)
    }

    private func resolve(_ host: String, family: PingNode.Family) -> [UInt8]? {
        switch family {
        case .ipv4:
            return resolveIPv4(host).map { value in withUnsafeBytes(of: value) { Array($0) } }
        case .ipv6:
            return resolveIPv6(host, port: 0).map(ipv6Bytes)
        }
    }
}

private func dottedQuad(_ bytes: [UInt8]) -> String {
    bytes.map(String.init).joined(separator: ".")
}
