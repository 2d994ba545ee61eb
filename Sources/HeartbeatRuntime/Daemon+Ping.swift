import HeartbeatCore

extension Daemon {
    func startPingMedium() {
        guard !config.pingNodes.isEmpty || !config.pingGroups.isEmpty else { return }
        pingMedium = PingMedium(pingNodes: config.pingNodes, pingGroups: config.pingGroups, loop: loop, logger: logger,
                                keys: { [unowned self] in self.config.authKeys },
                                onReply: { [unowned self] in self.handle(.received($0, link: $0["src"] ?? "")) })
    }
}
