/// A file system on a block device moved between nodes without fencing: after a kill -9 of
/// heartbeat or a cut link, the peer takes the group while the old owner still has the device
/// mounted (and its database still writing), and an ext4 or xfs mounted on two nodes at once is
/// destroyed. `hbctl check` warns about it and the daemon logs it at start.
extension ClusterConfig {
    public static func sharedDiskWarning(device: String) -> String {
        "[\(device)] is mounted by a resource group and no STONITH device is configured: after a kill -9 of heartbeat or a cut link, both nodes may mount it at once, which destroys the file system"
    }
    public static let sharedDiskHint =
        "configure a STONITH device in ha.cf (stonith_host * TYPE PARAMS, a power switch or IPMI): the peer then powers the old owner off before it mounts the disk"

    /// The block device a `Filesystem` (or `OCF::Filesystem`, any provider) resource mounts, or
    /// nil for other resources and for sources that are not block devices (tmpfs, NFS, CIFS).
    public static func mountedBlockDevice(_ resource: Resource) -> String? {
        let source: String?
        if resource.script == "Filesystem" {
            source = resource.arguments.first
        } else if resource.script == "OCF", let agent = resource.arguments.first,
                  agent == "Filesystem" || agent.hasSuffix("/Filesystem") {
            source = resource.arguments.dropFirst().first { $0.hasPrefix("device=") }.map { String($0.dropFirst("device=".count)) }
        } else {
            source = nil
        }
        guard let source else { return nil }
        let blockForms = ["/dev/", "-L", "-U", "LABEL=", "UUID=", "PARTLABEL=", "PARTUUID="]
        return blockForms.contains { source.hasPrefix($0) } ? source : nil
    }

    /// The block devices this node's groups mount while it has no STONITH device.
    public var unfencedSharedDisks: [String] {
        guard activeStonith == nil else { return [] }
        return resourceGroups.flatMap { $0.resources.compactMap(Self.mountedBlockDevice) }
    }
}
