/// The split-brain risk `hbctl check` and the daemon's startup log point out (spec §10.1, §10.3).
extension ClusterConfig {
    public static let partitionRiskWarning =
        "one heartbeat medium and no STONITH: if only that link is cut while both nodes run (a heartbeat-only partition), both nodes run every resource group (split brain)"
    public static let partitionRiskHint =
        "add a second, independent medium (serial, or bcast/ucast on another network) and configure stonith or stonith_host"

    /// Whether this node runs groups with a single heartbeat link and no STONITH device.
    public var hasPartitionRisk: Bool {
        activeStonith == nil && !resourceGroups.isEmpty && Set(media.map(\.linkName)).count == 1
    }
}
