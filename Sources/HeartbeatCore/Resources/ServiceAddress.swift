/// An address a resource puts on this node (`IPaddr`, `IPaddr2`, `IPv6addr`, or a bare address in
/// haresources, which means `IPaddr`), so that the edge can tell the neighbours where it lives:
/// gratuitous ARP for IPv4, an unsolicited neighbour advertisement for IPv6.
public struct ServiceAddress: Sendable, Hashable, CustomStringConvertible {
    public var address: String
    /// The interface named in the resource's argument, if any; else the edge finds the one that
    /// carries the address.
    public var interface: String?

    public init(address: String, interface: String? = nil) {
        self.address = address
        self.interface = interface
    }

    public var isIPv6: Bool { address.contains(":") }

    public var description: String { interface.map { "\(address) on \($0)" } ?? address }

    /// Scripts whose first argument is `ADDRESS[/NETMASK[/INTERFACE[:LABEL][/BROADCAST]]]`.
    static let addressScripts: Set<String> = ["IPaddr", "IPaddr2", "IPv6addr"]

    /// The address the resource manages; nil for a resource that manages none.
    public init?(resource: Resource) {
        // haresources splits on "::", which an IPv6 address may contain: join the words again.
        guard Self.addressScripts.contains(resource.script), !resource.arguments.isEmpty else { return nil }
        let spec = resource.arguments.joined(separator: "::")
        let fields = spec.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let address = fields.first, !address.isEmpty else { return nil }
        self.address = address
        // A third field starting with a digit is a broadcast address, not an interface (3.0.6).
        let third = fields.count > 2 ? fields[2] : ""
        let device = third.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        self.interface = device.isEmpty || device.first!.isNumber ? nil : device
    }
}
