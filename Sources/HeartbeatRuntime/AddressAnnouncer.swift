import CSystem
import Glibc
import HeartbeatCore

/// Carries out `Node.Effect.announce`: for each of a group's addresses that is configured on this
/// machine, a gratuitous ARP (IPv4) or an unsolicited neighbour advertisement with the override
/// flag (IPv6) on the interface that carries it, at once and `repeats` more times a second apart,
/// since one packet can be lost. Each is one non-blocking send on a fresh socket, so the event loop
/// never waits; an address that has left this machine by the time a repeat is due is dropped.
///
/// While a resource's `start` runs, its IPv4 address is announced the moment it appears (an
/// rtnetlink address event), not when the script and its group are done: after a takeover the
/// clients' ARP caches still point at the dead node, so until the announcement they cannot reach
/// the address, and what a script does after adding it (its own ARP sender, logging) is outage.
/// IPv6 waits for the group: a new address may still be tentative (duplicate detection).
final class AddressAnnouncer {
    static let repeats = 2
    static let repeatInterval: Duration = .seconds(1)

    private struct Pending {
        let address: ServiceAddress
        var remaining: Int
        var due: Instant
    }

    private let logger: Logger
    private let loop: EventLoop
    private var pending: [Pending] = []
    /// The address each running `start` script is expected to add, by script id.
    private var awaited: [UInt64: ServiceAddress] = [:]
    /// The address-event socket and its loop token, open only while something is awaited.
    private var events: (fd: Int32, token: UInt64)?
    /// Called after an address event, so that the daemon announces what appeared (`announceAppeared`).
    var onAddressEvent: () -> Void = {}

    init(logger: Logger, loop: EventLoop) {
        self.logger = logger
        self.loop = loop
    }

    var nextDeadline: Instant? { pending.map(\.due).min() }

    func announce(group: String, addresses: [ServiceAddress], now: Instant) {
        for address in addresses { announce(address, now: now) }
    }

    private func announce(_ address: ServiceAddress, now: Instant) {
        pending.removeAll { $0.address == address }
        guard send(address, firstTime: true) else { return }
        pending.append(Pending(address: address, remaining: Self.repeats, due: now + Self.repeatInterval))
    }

    /// Script `id` starts a resource that adds `address`: listen for it before the script runs.
    func awaitAddress(_ address: ServiceAddress, script id: UInt64) {
        guard !address.isIPv6 else { return }
        if events == nil {
            let fd = hb_ipv4_address_events_open()
            guard fd >= 0 else {
                logger.log(.debug, "Cannot watch address changes: \(String(cString: strerror(errno))); \(address) is announced when its group has started.")
                return
            }
            do {
                events = (fd, try loop.watch(fd) { [unowned self] in
                    hb_address_events_drain(fd)
                    self.onAddressEvent()
                })
            } catch {
                close(fd)
                return
            }
        }
        awaited[id] = address
    }

    /// Script `id` ended: its address, if it never appeared, is left to the group's announcement.
    func scriptEnded(_ id: UInt64) {
        awaited[id] = nil
        stopWatchingWhenIdle()
    }

    /// Announces each awaited address that is now configured here, once.
    func announceAppeared(now: Instant) {
        for (id, address) in awaited where interfaceCarrying(address) != nil {
            awaited[id] = nil
            announce(address, now: now)
        }
        stopWatchingWhenIdle()
    }

    /// Nothing awaited: no address event should wake the loop.
    private func stopWatchingWhenIdle() {
        guard awaited.isEmpty, let (fd, token) = events else { return }
        loop.remove(fd, token: token)
        close(fd)
        events = nil
    }

    func sendDue(now: Instant) {
        for index in pending.indices.reversed() where pending[index].due <= now {
            pending[index].remaining -= 1
            pending[index].due = now + Self.repeatInterval
            if !send(pending[index].address, firstTime: false) || pending[index].remaining == 0 {
                pending.remove(at: index)
            }
        }
    }

    /// One packet; false when the address is not here (any more) or cannot be announced.
    private func send(_ address: ServiceAddress, firstTime: Bool) -> Bool {
        guard let device = interfaceCarrying(address) else {
            if firstTime { logger.log(.info, "Not announcing \(address): it is not configured on this node.") }
            return false
        }
        let index = Int32(bitPattern: if_nametoindex(device))
        var mac = [UInt8](repeating: 0, count: 6)
        guard index > 0, hb_if_hwaddr(device, &mac) == 0 else {
            if firstTime { logger.log(.info, "Not announcing \(address.address) on \(device): it has no Ethernet address.") }
            return false
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(address.isIPv6 ? AF_INET6 : AF_INET, address.address, &bytes) == 1 else { return false }
        let rc = address.isIPv6 ? hb_send_unsolicited_na(index, mac, bytes) : hb_send_gratuitous_arp(index, mac, bytes)
        let what = address.isIPv6 ? "unsolicited neighbour advertisement" : "gratuitous ARP"
        if rc != 0 {
            logger.log(.warning, "Cannot send \(what) for \(address.address) on \(device): \(String(cString: strerror(errno)))")
            return false
        }
        if firstTime { logger.log(.info, "Sent \(what) for \(address.address) on \(device).") }
        return true
    }

    /// The interface (without an alias label) that has the address, restricted to the resource's
    /// own interface when it names one; nil when none has it, or it cannot have neighbours.
    private func interfaceCarrying(_ address: ServiceAddress) -> String? {
        var wanted = [UInt8](repeating: 0, count: 16)
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        guard inet_pton(family, address.address, &wanted) == 1 else { return nil }
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            cursor = entry.pointee.ifa_next
            guard let socketAddress = entry.pointee.ifa_addr, Int32(socketAddress.pointee.sa_family) == family,
                  entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK | IFF_NOARP) == 0 else { continue }
            let device = String(cString: entry.pointee.ifa_name).split(separator: ":").first.map(String.init) ?? ""
            if let named = address.interface, named != device { continue }
            let matches = address.isIPv6
                ? socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) == wanted }
                }
                : socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) == Array(wanted.prefix(4)) }
                }
            if matches { return device }
        }
        return nil
    }
}
