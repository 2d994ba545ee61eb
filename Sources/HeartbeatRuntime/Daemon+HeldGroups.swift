import HeartbeatCore

/// The record of held groups (`HeldGroups`), kept in step with the core's `groupStateChanged`
/// effects: written only when a group starts being taken or ends stopped, never per heartbeat.
extension Daemon {
    /// At start: what a daemon that died left recorded stays recorded until it is stopped, by
    /// this daemon releasing the group or by `heartbeat --release-held`.
    static func loadHeldGroups(_ state: StateFiles, config: ClusterConfig, logger: Logger) -> HeldGroups {
        let (held, note) = state.loadHeldGroups(configured: config.resourceGroups)
        if let (level, text) = note { logger.log(level, text) }
        if !held.isEmpty {
            logger.log(.warning, "Resource groups recorded as held by a daemon that did not release them: \(held.keys.joined(separator: " ")) (they stay recorded until this daemon stops them, or heartbeat --release-held does while no daemon runs)")
        }
        return held
    }

    func recordGroupState(_ key: String, _ state: GroupState) {
        guard let group = config.resourceGroups.first(where: { $0.key == key }), heldGroups.update(group, to: state) else { return }
        do {
            try StateFiles(directory: paths.stateDir).saveHeldGroups(heldGroups)
        } catch {
            logger.log(.error, "Cannot record held resource groups: \(error)")
        }
    }
}
