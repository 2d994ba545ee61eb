/// The gaps between one peer's successive status messages, for late-heartbeat statistics:
/// the maximum since start, and the 99th percentile over a bounded window of recent ones.
struct HeartbeatIntervals: Sendable, Hashable {
    private var window: [Duration] = []
    private var nextIndex = 0
    private(set) var samples = 0
    private(set) var lateCount = 0
    private(set) var maximum: Duration?

    mutating func record(_ interval: Duration, late: Bool) {
        samples += 1
        if late { lateCount += 1 }
        maximum = max(maximum ?? interval, interval)
        if window.count < MembershipLimits.heartbeatIntervalWindow {
            window.append(interval)
        } else {
            window[nextIndex] = interval
        }
        nextIndex = (nextIndex + 1) % MembershipLimits.heartbeatIntervalWindow
    }

    /// Nearest-rank 99th percentile of the window.
    var p99: Duration? {
        guard !window.isEmpty else { return nil }
        let sorted = window.sorted()
        let rank = (sorted.count * 99 + 99) / 100   // ceil(0.99 × n), at least 1
        return sorted[rank - 1]
    }

    var stats: LateHeartbeatStats {
        LateHeartbeatStats(samples: samples, lateCount: lateCount, maxInterval: maximum, p99Interval: p99)
    }
}
