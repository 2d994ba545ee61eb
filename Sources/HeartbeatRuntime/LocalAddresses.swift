import Glibc

/// IPv4 addresses of this machine's interfaces, as dotted quads.
func localIPv4Addresses() -> [String] {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0 else { return [] }
    defer { freeifaddrs(list) }
    var addresses: [String] = []
    var cursor = list
    while let entry = cursor {
        if let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) {
            let value = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            addresses.append(ipv4Text(value))
        }
        cursor = entry.pointee.ifa_next
    }
    return addresses
}
