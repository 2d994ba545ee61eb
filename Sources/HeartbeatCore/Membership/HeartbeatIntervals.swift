/// The gaps between one peer's successive status messages, for late-heartbeat statistics:
/// the maximum since start, and the 99th percentile over a bounded window of recent ones.
struct HeartbeatIntervals: Sendable, Hashable {
    private var window: [Duration] = []
    private var nextIndex = 0
    private(set) var samples = 0
    private(set) var lateCount = 0
    private(set) var maximum: Duration?
    /// Every interval since start, counted per `IntervalHistogram.bounds` bucket (for metrics).
    private(set) var histogram = IntervalHistogram()

    mutating func record(_ interval: Duration, late: Bool) {
        samples += 1
        histogram.record(interval)
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
        LateHeartbeatStats(samples: samples, lateCount: lateCount, maxInterval: maximum, p99Interval: p99, histogram: histogram)
    }
}

/// Counts of durations per bucket, Prometheus-style: `counts[i]` holds those ≤ `bounds[i]` and
/// above the bound before; the last count is everything above the last bound.
public struct IntervalHistogram: Sendable, Hashable {
    /// Upper bounds in milliseconds, wide enough for keepalives from 100 ms to deadtimes of minutes.
    public static let bounds: [Int64] = [50, 100, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000]
    public private(set) var counts = [UInt64](repeating: 0, count: bounds.count + 1)
    public private(set) var sum: Duration = .zero

    public init() {}

    /// A histogram read back from its counts (one per bound, then the overflow) and sum.
    public init?(counts: [UInt64], sum: Duration) {
        guard counts.count == Self.bounds.count + 1 else { return nil }
        self.counts = counts
        self.sum = sum
    }

    public mutating func record(_ duration: Duration) {
        let milliseconds = duration.milliseconds
        let index = Self.bounds.firstIndex { milliseconds <= $0 } ?? Self.bounds.count
        counts[index] += 1
        sum += duration
    }

    public var count: UInt64 { counts.reduce(0, +) }
}
