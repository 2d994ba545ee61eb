import Glibc
import HeartbeatCore

extension ControlAuthorization {
    /// The control socket's authorization from ha.cf's `apiauth` lines (and 3.0.6's built-ins), with
    /// user and group names looked up on this machine. A name that does not exist grants nothing and
    /// is logged, so an admin who misspelt a user sees why that user is refused.
    static func fromConfig(_ config: ClusterConfig, logger: Logger) -> ControlAuthorization {
        let (authorization, unresolved) = resolve(
            config.apiAuth,
            user: { name in getpwnam(name).map { $0.pointee.pw_uid } },
            group: { name in getgrnam(name).map { $0.pointee.gr_gid } })
        // The built-in entries name hacluster/haclient, which many machines lack: no noise for those.
        let configured = Set(config.apiAuth.map(\.client)).subtracting(APIAuth.builtIn.map(\.client))
        for problem in unresolved where configured.contains(where: { problem.hasPrefix("apiauth \($0):") }) {
            logger.log(.warning, "\(problem): that entry grants nothing")
        }
        return authorization
    }
}
