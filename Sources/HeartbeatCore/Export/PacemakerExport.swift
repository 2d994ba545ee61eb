/// Translates a Heartbeat 3.0.6 setup (ha.cf + haresources) into a Pacemaker configuration:
/// each haresources group becomes a group of primitives kept on its preferred node,
/// `auto_failback` becomes resource stickiness, ping nodes a connectivity clone and rule,
/// `stonith_host` lines fencing devices. Whatever has no sure equivalent is listed in `unmapped`.
public struct PacemakerExport {
    /// Where a haresources script lives on this machine; resource.d wins over init.d as in 3.0.6.
    public enum ScriptLocation: Sendable { case resourceD, initD, notFound }

    let haCf: HaCf
    let haResources: HaResources
    let haCfFile: String
    let haResourcesFile: String
    let locate: (String) -> ScriptLocation
    var config = PacemakerConfig()
    var usedIDs: Set<String> = []

    /// The score that keeps a group on its preferred node; stickiness above it keeps it where it is.
    static let preferenceScore = "100"

    public static func export(
        haCf: HaCf, haResources: HaResources, haCfFile: String, haResourcesFile: String,
        locate: (String) -> ScriptLocation
    ) -> PacemakerConfig {
        withoutActuallyEscaping(locate) { locate in
            var export = PacemakerExport(
                haCf: haCf, haResources: haResources, haCfFile: haCfFile, haResourcesFile: haResourcesFile, locate: locate)
            export.build()
            return export.config
        }
    }

    mutating func build() {
        let fencing = mapStonith()
        config.properties.append(NameValue("stonith-enabled", fencing ? "true" : "false"))
        // Heartbeat 3.0.6 ran resources without quorum; two nodes cannot have quorum after one dies.
        if haCf.nodes.count == 2 { config.properties.append(NameValue("no-quorum-policy", "ignore")) }
        config.resourceDefaults.append(NameValue("resource-stickiness", stickiness))

        let connectivity = mapPingNodes()
        for (index, group) in haResources.groups.enumerated() {
            let lines = index < haResources.resourceLines.count ? haResources.resourceLines[index] : []
            mapGroup(group, lines: lines, connectivity: connectivity)
        }
        noteUnmappedDirectives()
    }

    /// auto_failback on (and legacy, which also moves groups home) → no stickiness;
    /// off → groups stay wherever they run (spec §6.6).
    var stickiness: String {
        var mode = haCf.autoFailback ?? .legacy
        if haCf.niceFailback != nil { mode = mode == .legacy ? .legacy : .off }
        return mode == .off ? "INFINITY" : "0"
    }

    // MARK: groups

    mutating func mapGroup(_ group: ResourceGroup, lines: [Int], connectivity: String?) {
        var members: [Primitive] = []
        var drbdClones: [String] = []
        for (offset, resource) in group.resources.enumerated() {
            let line = offset < lines.count ? lines[offset] : group.line
            switch mapResource(resource) {
            case .failure(let reason):
                config.unmapped.append(UnmappedItem(file: haResourcesFile, line: line, text: resource.token, reason: reason))
            case .success(let primitive) where primitive.type == "drbd":
                let cloneID = uniqueID("ms_" + primitive.id)
                config.resources.append(.clone(id: cloneID, member: primitive, promotable: true))
                drbdClones.append(cloneID)
            case .success(let primitive):
                members.append(primitive)
            }
        }
        guard !members.isEmpty else { return }
        let groupID = uniqueID("grp_" + members[0].id)
        config.resources.append(.group(id: groupID, members: members))
        config.constraints.append(.location(
            id: uniqueID("loc_\(groupID)_prefers_\(group.preferredNode)"), resource: groupID, node: group.preferredNode,
            score: Self.preferenceScore))
        for clone in drbdClones {
            config.constraints.append(.colocateWithPromoted(
                id: uniqueID("col_\(groupID)_with_\(clone)"), resource: groupID, withResource: clone))
            config.constraints.append(.startAfterPromote(
                id: uniqueID("ord_\(clone)_before_\(groupID)"), first: clone, then: groupID))
        }
        if let connectivity {
            config.constraints.append(.requireAttribute(
                id: uniqueID("loc_\(groupID)_connected"), resource: groupID, attribute: connectivity))
        }
    }

    enum Mapped {
        case success(Primitive)
        case failure(String)
    }

    /// The resource.d wrappers of 3.0.6 that hand their arguments to an OCF agent, and how.
    mutating func mapResource(_ resource: Resource) -> Mapped {
        let arguments = resource.arguments
        func ocf(_ provider: String, _ type: String, _ names: [String], required: Int, idHint: String) -> Mapped {
            guard arguments.count >= required, arguments.count <= names.count else {
                return .failure("\(resource.script) takes \(required == names.count ? "\(required)" : "\(required)–\(names.count)") argument(s) (\(names.joined(separator: ", "))), not \(arguments.count)")
            }
            let parameters = zip(names, arguments).map { NameValue($0, $1) }
            return .success(primitive(provider: provider, type: type, parameters: parameters, idHint: idHint))
        }
        switch resource.script {
        case "IPaddr", "IPaddr2":
            guard arguments.count == 1 else { return .failure("\(resource.script) takes one argument, ip[/netmask[/nic[/broadcast]]]") }
            switch Self.addressParameters(arguments[0], addressName: "ip") {
            case .success(let parameters):
                return .success(primitive(provider: "heartbeat", type: "IPaddr2", parameters: parameters, idHint: "ip_" + parameters[0].value))
            case .failure(let reason): return .failure(reason)
            }
        case "IPv6addr":
            guard arguments.count == 1 else {
                // 3.0.6 splits tokens on "::" too, so a compressed IPv6 address never worked there either.
                return .failure("IPv6addr takes one argument, address[/prefix[/nic]]; '::' splits a token into arguments, so write the address uncompressed")
            }
            switch Self.addressParameters(arguments[0], addressName: "ipv6addr") {
            case .success(let parameters):
                return .success(primitive(provider: "heartbeat", type: "IPv6addr", parameters: parameters, idHint: "ip_" + parameters[0].value))
            case .failure(let reason): return .failure(reason)
            }
        case "Filesystem":
            return ocf("heartbeat", "Filesystem", ["device", "directory", "fstype", "options"], required: 2,
                       idHint: "fs_" + (arguments.count > 1 ? arguments[1] : ""))
        case "SendArp":
            guard arguments.count == 1, let slash = arguments[0].firstIndex(of: "/") else {
                return .failure("SendArp takes one argument, ip/nic")
            }
            let ip = String(arguments[0][..<slash]), nic = String(arguments[0][slash...].dropFirst())
            return .success(primitive(
                provider: "heartbeat", type: "SendArp", parameters: [NameValue("ip", ip), NameValue("nic", nic)], idHint: "arp_" + ip))
        case "Delay":
            return ocf("heartbeat", "Delay", ["startdelay", "stopdelay"], required: 0, idHint: "delay")
        case "MailTo":
            return ocf("heartbeat", "MailTo", ["email", "subject"], required: 1, idHint: "mailto")
        case "apache":
            return ocf("heartbeat", "apache", ["configfile"], required: 0, idHint: "apache")
        case "IPsrcaddr":
            return ocf("heartbeat", "IPsrcaddr", ["ipaddress"], required: 1, idHint: "srcaddr_" + (arguments.first ?? ""))
        case "Xinetd":
            return ocf("heartbeat", "Xinetd", ["service"], required: 1, idHint: "xinetd_" + (arguments.first ?? ""))
        case "LVM":
            return ocf("heartbeat", "LVM", ["volgrpname"], required: 1, idHint: "lvm_" + (arguments.first ?? ""))
        case "drbddisk":
            guard arguments.count == 1 else {
                return .failure("drbddisk without a resource name acts on every DRBD resource; list one drbddisk::NAME per resource")
            }
            var drbd = primitive(
                provider: "linbit", type: "drbd", parameters: [NameValue("drbd_resource", arguments[0])],
                idHint: "drbd_" + arguments[0])
            // Each role needs its own monitor interval.
            drbd.operations = [
                Operation(name: "monitor", interval: "29s", timeout: "20s", role: "Master"),
                Operation(name: "monitor", interval: "31s", timeout: "20s", role: "Slave"),
            ]
            return .success(drbd)
        default:
            switch locate(resource.script) {
            case .resourceD:
                return .failure("a Heartbeat resource script with no known Pacemaker agent; write an OCF agent for it (or run it with ocf:heartbeat:anything)")
            case .initD, .notFound:
                guard arguments.isEmpty else {
                    return .failure("an init script given arguments; lsb: resources take none")
                }
                var lsb = Primitive(
                    id: uniqueID(Self.identifier(resource.script)), agentClass: .lsb, provider: nil, type: resource.script,
                    parameters: [], operations: [])
                lsb.operations = [Operation(name: "monitor", interval: "30s", timeout: "40s", role: nil)]
                return .success(lsb)
            }
        }
    }

    mutating func primitive(provider: String, type: String, parameters: [NameValue], idHint: String) -> Primitive {
        Primitive(
            id: uniqueID(Self.identifier(idHint)), agentClass: .ocf, provider: provider, type: type, parameters: parameters,
            operations: [Operation(name: "monitor", interval: "30s", timeout: "40s", role: nil)])
    }

    enum AddressParameters {
        case success([NameValue])
        case failure(String)
    }

    /// `ip[/netmask[/nic[/broadcast]]]` as 3.0.6's IPaddr wrappers split it: a numeric third part
    /// is the broadcast address, not an interface. A dotted netmask becomes a prefix length.
    static func addressParameters(_ argument: String, addressName: String) -> AddressParameters {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !parts[0].isEmpty, parts.count <= 4 else { return .failure("cannot read the address \(argument)") }
        var parameters = [NameValue(addressName, parts[0])]
        if parts.count > 1, !parts[1].isEmpty {
            guard let prefix = prefixLength(parts[1]) else { return .failure("cannot read the netmask \(parts[1])") }
            parameters.append(NameValue("cidr_netmask", prefix))
        }
        if parts.count > 2, !parts[2].isEmpty {
            if addressName == "ip", let first = parts[2].first, first.isNumber {
                parameters.append(NameValue("broadcast", parts[2]))
                if parts.count > 3 { return .failure("a broadcast address in third place leaves \(parts[3]) unexplained") }
            } else {
                parameters.append(NameValue("nic", parts[2]))
            }
        }
        if parts.count > 3, !parts[3].isEmpty {
            guard addressName == "ip" else { return .failure("IPv6addr takes address/prefix/nic, not \(argument)") }
            parameters.append(NameValue("broadcast", parts[3]))
        }
        return .success(parameters)
    }

    /// "24" stays "24"; "255.255.255.0" becomes "24"; anything else is nil.
    static func prefixLength(_ netmask: String) -> String? {
        if let bits = Int(netmask), (0...128).contains(bits) { return netmask }
        let octets = netmask.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 <= 255 }) else { return nil }
        let mask = octets.reduce(UInt32(0)) { $0 << 8 | $1 }
        let ones = mask.leadingZeroBitCount == 0 ? (~mask).leadingZeroBitCount : 0
        // Contiguous ones only: the mask shifted by its length is zero.
        guard ones == 32 || mask << UInt32(ones) == 0 else { return nil }
        return String(ones)
    }

    // MARK: ping nodes

    /// One `ocf:pacemaker:ping` clone for every ping host; returns the node attribute it sets.
    mutating func mapPingNodes() -> String? {
        let hosts = haCf.pingNodes.map(\.name) + haCf.pingGroups.flatMap(\.hosts)
        guard !hosts.isEmpty else { return nil }
        let ping = Primitive(
            id: uniqueID("ping"), agentClass: .ocf, provider: "pacemaker", type: "ping",
            parameters: [
                NameValue("host_list", hosts.joined(separator: " ")), NameValue("multiplier", "1000"),
                NameValue("dampen", "5s"),
            ],
            operations: [Operation(name: "monitor", interval: "10s", timeout: "60s", role: nil)])
        config.resources.append(.clone(id: uniqueID("ping_clone"), member: ping, promotable: false))
        if !haCf.pingGroups.isEmpty {
            config.unmapped.append(UnmappedItem(
                file: haCfFile, line: haCf.lines["ping_group"] ?? 0, text: "ping_group",
                reason: "its hosts joined the ping clone's host_list; a node now counts each host that answers rather than the group as one"))
        }
        return "pingd"
    }

    // MARK: STONITH

    /// Parameter names of the cluster-glue plugins whose `stonith_host` arguments we can name
    /// (as `stonith -t TYPE -n` lists them); the last name takes the rest of the line.
    static let stonithParameters: [String: [String]] = [
        "ssh": ["hostlist"], "external/ssh": ["hostlist"], "null": ["hostlist"], "meatware": ["hostlist"],
        "baytech": ["ipaddr", "login", "password"], "apcmaster": ["ipaddr", "login", "password"],
        "wti_nps": ["ipaddr", "password"],
        "external/ipmi": ["hostname", "ipaddr", "userid", "passwd", "interface"],
    ]

    /// Returns whether any fencing device was mapped.
    mutating func mapStonith() -> Bool {
        var mapped = false
        for directive in haCf.stonith {
            let text = directive.host == nil
                ? "stonith \(directive.type) \(directive.parameters)"
                : "stonith_host \(directive.host!) \(directive.type) \(directive.parameters)"
            guard let host = directive.host else {
                config.unmapped.append(UnmappedItem(
                    file: haCfFile, line: directive.line, text: text,
                    reason: "the device's parameters are in \(directive.parameters); create a stonith:\(directive.type) resource with them"))
                continue
            }
            guard let names = Self.stonithParameters[directive.type] else {
                config.unmapped.append(UnmappedItem(
                    file: haCfFile, line: directive.line, text: text,
                    reason: "no known parameter names for STONITH type \(directive.type); see `stonith -t \(directive.type) -n`"))
                continue
            }
            let words = directive.parameters.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard words.count >= names.count else {
                config.unmapped.append(UnmappedItem(
                    file: haCfFile, line: directive.line, text: text,
                    reason: "\(directive.type) needs \(names.joined(separator: ", "))"))
                continue
            }
            var values = Array(words.prefix(names.count - 1))
            values.append(words.dropFirst(names.count - 1).joined(separator: " "))
            let id = uniqueID(Self.identifier("fence_\(directive.type)" + (host == "*" ? "" : "_\(host)")))
            let device = Primitive(
                id: id, agentClass: .stonith, provider: nil, type: directive.type,
                parameters: zip(names, values).map { NameValue($0, $1) },
                operations: [Operation(name: "monitor", interval: "60s", timeout: "60s", role: nil)])
            config.resources.append(.primitive(device))
            if host != "*" {
                config.constraints.append(.onlyOn(id: uniqueID("loc_\(id)_on_\(host)"), resource: id, node: host))
            }
            mapped = true
        }
        return mapped
    }

    // MARK: the rest of ha.cf

    mutating func noteUnmappedDirectives() {
        for (index, entry) in haCf.respawn.enumerated() {
            let line = index < haCf.respawnLines.count ? haCf.respawnLines[index] : 0
            let program = entry.path.split(separator: "/").last.map(String.init) ?? entry.path
            // ipfail moved resources to the better-connected node: the ping clone's rule does that now.
            if program == "ipfail" { continue }
            config.unmapped.append(UnmappedItem(
                file: haCfFile, line: line, text: "\(entry.failfast ? "failfast" : "respawn") \(entry.user) \(entry.command)",
                reason: "Pacemaker does not respawn helpers; run it from a systemd unit with Restart=always"))
        }
        if let watchdog = haCf.watchdog {
            config.unmapped.append(UnmappedItem(
                file: haCfFile, line: haCf.lines["watchdog"] ?? 0, text: "watchdog \(watchdog)",
                reason: "Pacemaker uses the watchdog through sbd (SBD_WATCHDOG_DEV=\(watchdog) in /etc/default/sbd)"))
        }
    }

    // MARK: identifiers

    /// An XML ID (and crm/pcs name): letters, digits, `_`, `-`, `.`, starting with a letter or `_`.
    static func identifier(_ hint: String) -> String {
        var text = ""
        for character in hint {
            let allowed = character.isASCII && (character.isLetter || character.isNumber || "_-.".contains(character))
            let next: Character = allowed ? character : "_"
            if next == "_", text.last == "_" { continue }
            text.append(next)
        }
        while text.last == "_" { text.removeLast() }
        if let first = text.first, first.isLetter || first == "_" { return text }
        return "r_" + text
    }

    mutating func uniqueID(_ wanted: String) -> String {
        let base = Self.identifier(wanted)
        var id = base
        var suffix = 2
        while usedIDs.contains(id) {
            id = "\(base)-\(suffix)"
            suffix += 1
        }
        usedIDs.insert(id)
        return id
    }
}
