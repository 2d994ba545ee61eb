import HeartbeatCore

/// Which resource groups this node may be running, kept in the state directory so that what a
/// daemon killed without releasing them leaves behind can be stopped (`heartbeat --release-held`).
/// A group is recorded from the moment its first start script is due until its stop ends with the
/// group `stopped`; a failed group stays recorded, since a failed stop may have left it running.
/// Each group keeps its resources as they were started (token, script, path, arguments), so the
/// release stops what ran even if haresources was edited since.
public struct HeldGroups: Sendable, Hashable {
    /// In the order they were taken.
    public private(set) var groups: [ResourceGroup]

    public init(_ groups: [ResourceGroup] = []) { self.groups = groups }

    public var isEmpty: Bool { groups.isEmpty }
    public var keys: [String] { groups.map(\.key) }

    /// Follows one `groupStateChanged` effect. Returns whether the record changed (and needs writing).
    @discardableResult
    public mutating func update(_ group: ResourceGroup, to state: GroupState) -> Bool {
        let index = groups.firstIndex { $0.key == group.key }
        switch (state, index) {
        case (.stopped, let index?):
            groups.remove(at: index)
            return true
        case (.stopped, nil), (_, .some):
            return false
        case (_, nil):
            groups.append(group)
            return true
        }
    }

    /// What the release stops, in order: the group taken last first, each right to left, as the
    /// daemon itself releases (spec §6.2).
    public var releaseOrder: [ResourceGroup] {
        groups.reversed().map { group in
            var reversed = group
            reversed.resources = group.resources.reversed()
            return reversed
        }
    }

    public mutating func remove(key: String) { groups.removeAll { $0.key == key } }

    // MARK: File format

    /// A header, one `group` line per group followed by its `resource` lines, then `end`: a file
    /// without the `end` line was cut short. Fields are tab-separated; haresources tokens never hold
    /// whitespace.
    private static let header = "heartbeat held groups 1"

    public func encoded() -> [UInt8] {
        var lines = [Self.header]
        for group in groups {
            lines.append(["group", group.key, group.preferredNode].joined(separator: "\t"))
            for resource in group.resources {
                lines.append((["resource", resource.token, resource.script, resource.path] + resource.arguments)
                    .joined(separator: "\t"))
            }
        }
        lines.append("end")
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// nil for anything not written by `encoded()` whole: torn, empty or garbage.
    public init?(decoding bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasSuffix("\nend\n") else { return nil }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first == Self.header, lines.last == "end" else { return nil }
        var groups: [ResourceGroup] = []
        for line in lines.dropFirst().dropLast() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch fields.first {
            case "group" where fields.count == 3 && !fields[1].isEmpty:
                groups.append(ResourceGroup(preferredNode: fields[2], key: fields[1], resources: [], line: 0))
            case "resource" where fields.count >= 4 && !groups.isEmpty && fields[3].hasPrefix("/"):
                groups[groups.count - 1].resources.append(
                    Resource(script: fields[2], arguments: Array(fields.dropFirst(4)), token: fields[1], path: fields[3]))
            default:
                return nil
            }
        }
        guard groups.allSatisfy({ !$0.resources.isEmpty }), Set(groups.map(\.key)).count == groups.count else { return nil }
        self.groups = groups
    }
}
