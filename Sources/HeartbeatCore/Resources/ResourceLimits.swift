/// Every fixed limit and interval of the resource manager, with where it comes from.
public enum ResourceLimits {
    /// A standby requester cancels when no `other` reply came within this (3.0.6 STANDBY_INIT_TO_MS, §6.8).
    public static let standbyReplyTimeout: Duration = .seconds(10)
    /// The standby protocol gives up on the peer after this (3.0.6 HB_STANDBY_RSC_TO_MS, §6.8).
    static let standbyTransferTimeout: Duration = .seconds(3600)
    /// Auto failback waits for stability and checks again after this (spec §6.9).
    static let autoFailbackRetry: Duration = .seconds(1)
    /// A failed fencing attempt is repeated after this (3.0.6 retries STONITH every 5 s, §6.7).
    static let fenceRetry: Duration = .seconds(5)
    /// The node expected to lose a fence race waits this long before its first attempt (see
    /// ResourceManager+Fencing.swift): longer than the two nodes' dead-detection skew (at most a
    /// keepalive) plus a typical plugin's reset, so the survivor's reset lands first.
    static let priorityFencingDelay: Duration = .seconds(5)
    /// Script timings kept per group for `hbctl status`.
    static let maxScriptTimings = 32
    /// Longest script output kept in a log line.
    static let maxLoggedOutput = 200
}
