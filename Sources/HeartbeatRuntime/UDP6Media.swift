import CSystem
import Glibc
import HeartbeatCore

// The IPv6 media, `ucast6` and `mcast6` (spec §4.1): the analogues of ucast and mcast on AF_INET6
// sockets. `Media` owns the sockets and their retry; this file only knows how to open them.

/// The scope id of a link-local address without `%scope`: the medium's own interface, so
/// `ucast6 eth1 fe80::2` means "fe80::2 on eth1" as 3.0.6 reads it.
private func scoped(_ address: sockaddr_in6, interface: String) -> sockaddr_in6 {
    var address = address
    if address.sin6_scope_id == 0, isLinkLocalOrMulticastLinkScope(address) {
        address.sin6_scope_id = if_nametoindex(interface)
    }
    return address
}

private func isLinkLocalOrMulticastLinkScope(_ address: sockaddr_in6) -> Bool {
    let bytes = ipv6Bytes(address)
    let linkLocalUnicast = bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80
    let linkScopeMulticast = bytes[0] == 0xff && bytes[1] & 0x0f <= 2
    return linkLocalUnicast || linkScopeMulticast
}

/// Parses an IPv6 literal with an optional `%scope` (the config parser admits nothing else) into
/// a socket address. Numeric only, so it never waits on a name server: it runs in the event loop
/// whenever a broken medium is reopened.
func resolveIPv6(_ host: String, port: UInt16) -> sockaddr_in6? {
    var hints = addrinfo()
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
    hints.ai_family = AF_INET6
    hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
    var result: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { return nil }
    defer { freeaddrinfo(result) }
    return first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
}

/// The 16 address bytes of an IPv6 socket address, in network order.
func ipv6Bytes(_ address: sockaddr_in6) -> [UInt8] {
    withUnsafeBytes(of: address.sin6_addr) { Array($0) }
}

func ipv6Text(_ address: sockaddr_in6) -> String {
    var addr = address.sin6_addr
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
    return string(fromCString: buffer)
}

/// The IPv6 addresses of this machine's interfaces, as 16-byte values: a `ucast6` line naming one
/// of them is this node's own line in a shared ha.cf and is skipped, as for ucast.
func localIPv6Addresses() -> Set<[UInt8]> {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0 else { return [] }
    defer { freeifaddrs(list) }
    var addresses: Set<[UInt8]> = []
    var cursor = list
    while let entry = cursor {
        if let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET6) {
            addresses.insert(address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ipv6Bytes($0.pointee) })
        }
        cursor = entry.pointee.ifa_next
    }
    return addresses
}

/// Opens the sending socket of a `ucast6` or `mcast6` line and finds where it sends to.
func openIPv6Sender(_ medium: Medium, udpport: UInt16) throws(SystemError) -> (UDPSocket, UDPDestination) {
    let socket = try UDPSocket(family: AF_INET6)
    switch medium {
    case .ucast6(let interface, let peer):
        guard let address = resolveIPv6(peer, port: udpport) else {
            throw SystemError("resolve ucast6 peer \(peer)", code: EADDRNOTAVAIL)
        }
        try socket.setFlag(SOL_SOCKET, SO_REUSEPORT)
        try socket.bind(toDevice: interface)
        return (socket, .ipv6(scoped(address, interface: interface)))
    case .mcast6(let interface, let group, let port, let hops, let loop):
        guard let address = resolveIPv6(group, port: UInt16(port)) else {
            throw SystemError("mcast6 group \(group)", code: EINVAL)
        }
        let index = Int32(if_nametoindex(interface))
        guard index > 0 else { throw SystemError("mcast6 interface \(interface)", code: ENODEV) }
        guard hb_mcast6_sender(socket.fd, index, Int32(hops), loop ? 1 : 0) == 0 else {
            throw SystemError("multicast sender on \(interface)")
        }
        return (socket, .ipv6(scoped(address, interface: interface)))
    case .bcast, .ucast, .mcast, .serial:
        throw SystemError("\(medium.linkName) is not an IPv6 medium", code: EINVAL)
    }
}

/// Opens the receiving socket of an IPv6 medium: any address (ucast6) or the group (mcast6) on
/// `port`, this interface only. IPV6_V6ONLY keeps it from taking the IPv4 receivers' port.
func openIPv6Receiver(interface: String, group: String?, port: UInt16) throws(SystemError) -> UDPSocket {
    let socket = try UDPSocket(family: AF_INET6)
    try socket.setFlag(Int32(IPPROTO_IPV6), IPV6_V6ONLY)
    try socket.setFlag(SOL_SOCKET, SO_REUSEADDR)
    try socket.setFlag(SOL_SOCKET, SO_REUSEPORT)
    try socket.bind(toDevice: interface)
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_port = port.bigEndian
    if let group {
        guard let groupAddress = resolveIPv6(group, port: port) else { throw SystemError("mcast6 group \(group)", code: EINVAL) }
        address = scoped(groupAddress, interface: interface)
    }
    try socket.bind(address6: address)
    if group != nil {
        let index = Int32(if_nametoindex(interface))
        let joined = ipv6Bytes(address).withUnsafeBufferPointer { hb_mcast6_join(socket.fd, $0.baseAddress, index) }
        guard index > 0, joined == 0 else { throw SystemError("join \(group ?? "") on \(interface)") }
    }
    return socket
}
