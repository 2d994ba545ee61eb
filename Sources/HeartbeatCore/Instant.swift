/// A point on the monotonic clock, passed into the core as a value (the core never reads a clock).
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)

    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    public static func + (a: Instant, d: Duration) -> Instant {
        Instant(nanoseconds: a.nanoseconds + d.nanoseconds)
    }

    public static func - (a: Instant, d: Duration) -> Instant {
        Instant(nanoseconds: a.nanoseconds - d.nanoseconds)
    }

    public static func - (a: Instant, b: Instant) -> Duration {
        // Not `.nanoseconds(_:)`: it takes any BinaryInteger and converts through generic code,
        // on every silence and deadline compared.
        let nanoseconds = a.nanoseconds - b.nanoseconds
        return Duration(secondsComponent: nanoseconds / 1_000_000_000,
                        attosecondsComponent: nanoseconds % 1_000_000_000 * 1_000_000_000)
    }

    /// The earlier of two optional instants; nil only when both are.
    public static func earliest(_ a: Instant?, _ b: Instant?) -> Instant? {
        guard let a else { return b }
        guard let b else { return a }
        return min(a, b)
    }

    public var description: String { "t+\(Double(nanoseconds) / 1e9)s" }
}

extension Duration {
    /// Whole nanoseconds (saturating far beyond any timeout this daemon uses).
    public var nanoseconds: Int64 {
        // One 128-bit division: `components` divides and multiplies, on every deadline asked for.
        Int64(truncatingIfNeeded: attoseconds / 1_000_000_000)
    }

    /// Whole milliseconds, rounded down.
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
