import Glibc
import HeartbeatCore

/// The daemon's watchdog, STONITH device and respawned clients (spec §7.2–7.4), each present when
/// ha.cf configures it.
struct FencingParts {
    var watchdog: Watchdog?
    var stonith: Stonith?
    var respawn: RespawnClients?
    /// Respawned clients start once, at the first comm-up.
    var respawnStarted = false
}

extension Daemon {
    /// Opens the watchdog and prepares the STONITH device and the respawn clients; warns about a
    /// heartbeat-only partition risk (spec §10.1) and about shared disks mounted without STONITH.
    func startFencingParts() {
        if config.hasPartitionRisk {
            logger.log(.warning, "\(ClusterConfig.partitionRiskWarning); \(ClusterConfig.partitionRiskHint).")
        }
        for device in config.unfencedSharedDisks {
            logger.log(.warning, "\(ClusterConfig.sharedDiskWarning(device: device)); \(ClusterConfig.sharedDiskHint).")
        }
        if let path = config.watchdog {
            do {
                fencing.watchdog = try Watchdog(path: path, deadtime: config.deadtime, logger: logger)
            } catch {
                // 3.0.6 logs the failure and runs on without the watchdog.
                logger.log(.error, "Cannot use the watchdog: \(error)")
            }
        }
        if let directive = config.activeStonith {
            switch Stonith.resolve(directive, pluginDirectory: Stonith.pluginDirectory()) {
            case .success(let device):
                let stonith = Stonith(device: device, runner: io.scripts, environment: scriptEnvironment.entries(), logger: logger) {
                    [unowned self] node, ok in self.handle(.fenceResult(node, succeeded: ok))
                }
                fencing.stonith = stonith
                logger.log(.info, "STONITH device: \(device)")
                stonith.checkStatus(now: io.clock.now())
            case .failure(let why):
                logger.log(.error, why.message)
            }
        }
        if !config.respawn.isEmpty {
            fencing.respawn = RespawnClients(entries: config.respawn, environment: scriptEnvironment.entries(), logger: logger)
        }
    }

    /// Respawned clients start once communications are up (spec §7.4), once.
    func startRespawnClients() {
        guard !fencing.respawnStarted, !shuttingDown else { return }
        fencing.respawnStarted = true
        fencing.respawn?.startAll()
    }

    func fence(_ node: String) {
        guard let stonith = fencing.stonith else {
            // Only reached when the configured device could not be set up: keep refusing the
            // takeover (the manager retries every 5 s) rather than run without fencing.
            logger.log(.error, "Cannot fence \(node): the STONITH device is not usable")
            handle(.fenceResult(node, succeeded: false))
            return
        }
        stonith.fence(node)
    }
}
