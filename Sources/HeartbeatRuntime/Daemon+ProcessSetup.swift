import CSystem
import Glibc
import HeartbeatCore

/// How the process is set up around the event loop: where the log goes, and realtime priority
/// with locked memory when ha.cf asks for them.
extension Daemon {
    static func logDestinations(_ config: ClusterConfig, _ options: DaemonOptions) -> Logger.Destinations {
        let facility = config.logging.facility.flatMap(syslogFacility)
        let nothingConfigured = config.logging.logfile == nil && config.logging.debugfile == nil && facility == nil
        return Logger.Destinations(
            logFile: config.logging.logfile, debugFile: config.logging.debugfile,
            // 3.0.6 falls back to logd; we have none, so syslog's daemon facility takes its place.
            syslogFacility: nothingConfigured ? LOG_DAEMON : facility,
            toStderr: options.foreground && nothingConfigured,
            debugLevel: config.debug + options.debugBoost)
    }

    func enterRealtimeIfAsked() {
        guard config.realtime, options.realtimeAllowed, geteuid() == 0 else { return }
        if hb_set_realtime(Int32(config.rtprio)) != 0 {
            logger.log(.warning, "Cannot set realtime priority \(config.rtprio): \(String(cString: strerror(errno)))")
        }
        if hb_mlockall() != 0 {
            logger.log(.warning, "Cannot lock memory: \(String(cString: strerror(errno)))")
        }
    }
}

/// A syslog facility by its ha.cf name (`daemon`, `local0`…`local7`, …).
func syslogFacility(_ name: String) -> Int32? {
    let facilities: [String: Int32] = [
        "auth": LOG_AUTH, "authpriv": LOG_AUTHPRIV, "cron": LOG_CRON, "daemon": LOG_DAEMON, "kern": LOG_KERN,
        "lpr": LOG_LPR, "mail": LOG_MAIL, "news": LOG_NEWS, "syslog": LOG_SYSLOG, "user": LOG_USER, "uucp": LOG_UUCP,
        "local0": LOG_LOCAL0, "local1": LOG_LOCAL1, "local2": LOG_LOCAL2, "local3": LOG_LOCAL3,
        "local4": LOG_LOCAL4, "local5": LOG_LOCAL5, "local6": LOG_LOCAL6, "local7": LOG_LOCAL7,
    ]
    return facilities[name.lowercased()]
}
