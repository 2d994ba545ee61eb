/// Who may make which control request (spec §7.5 `apiauth`, applied to our control socket).
///
/// Every request has a privilege level. `read` requests (`status`, what `cl_status` and
/// `hbctl status` send) are open to any local user: the socket is mode 0666, as 3.0.6's API
/// socket is. Anything that changes cluster state needs root (uid 0 from `SO_PEERCRED`), or an
/// `apiauth` line naming the API client the request belongs to whose `uid=` or `gid=` list holds
/// the peer's uid or primary gid:
///
/// | request              | privilege | API client names that authorise it |
/// |----------------------|-----------|------------------------------------|
/// | `status`             | read      | (everyone)                         |
/// | `standby [set]`      | admin     | `hb_standby`, `hbctl`              |
/// | `takeover [set]`     | admin     | `hb_takeover`, `hbctl`             |
/// | `reload`             | admin     | `hbctl`                            |
/// | `monitor-reset [g]`  | admin     | `hbctl`                            |
/// | `fence-confirm NODE` | fencing   | root only: no apiauth line grants them |
///
/// Fencing (power-cycling a node, confirming a manual fence) can destroy data when misused, so
/// only root may ask, whatever ha.cf says.
public struct ControlAuthorization: Sendable, Equatable {
    public enum Privilege: Sendable, Equatable, Comparable {
        case read, admin, fencing
    }

    /// The kernel's view of the connecting process (`SO_PEERCRED`).
    public struct Peer: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32

        public init(uid: UInt32, gid: UInt32) {
            self.uid = uid
            self.gid = gid
        }
    }

    /// One `apiauth` line with its user and group names resolved to numbers.
    public struct Grant: Sendable, Equatable {
        public var client: String
        public var uids: Set<UInt32>
        public var gids: Set<UInt32>

        public init(client: String, uids: Set<UInt32>, gids: Set<UInt32>) {
            self.client = client
            self.uids = uids
            self.gids = gids
        }

        func admits(_ peer: Peer) -> Bool { uids.contains(peer.uid) || gids.contains(peer.gid) }
    }

    /// The API client name that grants every admin request.
    public static let adminClient = "hbctl"

    public var grants: [Grant]

    /// Root only (no `apiauth` grants).
    public init(grants: [Grant] = []) {
        self.grants = grants
    }

    public func permits(_ request: ControlRequest, from peer: Peer) -> Bool {
        switch request.privilege {
        case .read: return true
        case .fencing: return peer.uid == 0
        case .admin:
            if peer.uid == 0 { return true }
            let names = request.apiClients + [Self.adminClient]
            return grants.contains { names.contains($0.client) && $0.admits(peer) }
        }
    }

    /// Resolves `apiauth` lines with `lookup` (user or group name, or a number, to an id).
    /// Names that do not resolve grant nothing; they are returned so the daemon can warn.
    public static func resolve(_ entries: [APIAuth], user: (String) -> UInt32?, group: (String) -> UInt32?)
        -> (ControlAuthorization, unresolved: [String]) {
        var unresolved: [String] = []
        func ids(_ names: [String], _ lookup: (String) -> UInt32?, kind: String, client: String) -> Set<UInt32> {
            Set(names.compactMap { name in
                if let id = UInt32(name) ?? lookup(name) { return id }
                unresolved.append("apiauth \(client): no \(kind) named \(name)")
                return nil
            })
        }
        let grants = entries.map { entry in
            Grant(client: entry.client, uids: ids(entry.uids, user, kind: "user", client: entry.client),
                  gids: ids(entry.gids, group, kind: "group", client: entry.client))
        }
        return (ControlAuthorization(grants: grants), unresolved)
    }
}

extension ControlRequest {
    /// How much harm the request can do; see `ControlAuthorization`.
    public var privilege: ControlAuthorization.Privilege {
        switch self {
        case .status: .read
        case .standby, .takeover, .reload, .monitorReset: .admin
        case .fenceConfirm: .fencing
        }
    }

    /// The `apiauth` client names, besides `hbctl`, that authorise this request.
    public var apiClients: [String] {
        switch self {
        case .status, .reload, .fenceConfirm, .monitorReset: []
        case .standby: ["hb_standby"]
        case .takeover: ["hb_takeover"]
        }
    }
}
