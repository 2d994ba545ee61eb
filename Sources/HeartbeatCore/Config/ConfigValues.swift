/// Value syntaxes shared by the ha.cf directives: times (spec §5.1), booleans, integers, addresses.
public enum ConfigValues {
    /// A parsed time and whether only our lenient syntax accepted it.
    public struct Time: Sendable, Hashable {
        public var duration: Duration
        /// True for the `s`/`sec` suffix, which 3.0.6 rejects.
        public var usedSecondsSuffix: Bool
    }

    /// Parses Heartbeat's time syntax (spec §5.1): `<number>[ms|msec|us|usec]`, where a plain number
    /// (decimal point allowed) is seconds. The result is rounded to whole milliseconds, as 3.0.6 does
    /// (so `499us` is 0 ms). We also accept `s`/`sec`, and report that 3.0.6 would not.
    public static func time(_ text: String) -> Time? {
        let number = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = text.dropFirst(number.count).lowercased()
        guard number.contains(where: \.isNumber), number.filter({ $0 == "." }).count <= 1,
            let value = Double(number.hasPrefix(".") ? "0" + number : String(number))
        else { return nil }
        let millisecondsPerUnit: Double
        var lenient = false
        switch unit {
        case "": millisecondsPerUnit = 1000
        case "ms", "msec": millisecondsPerUnit = 1
        case "us", "usec": millisecondsPerUnit = 0.001
        case "s", "sec":
            millisecondsPerUnit = 1000
            lenient = true
        default: return nil
        }
        let milliseconds = (value * millisecondsPerUnit + 0.5).rounded(.down)
        guard milliseconds < 1e12 else { return nil }
        return Time(duration: .milliseconds(Int64(milliseconds)), usedSecondsSuffix: lenient)
    }

    /// 3.0.6's boolean words, case-insensitive: true/on/yes/y/1 and false/off/no/n/0.
    public static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "on", "yes", "y", "1": true
        case "false", "off", "no", "n", "0": false
        default: nil
        }
    }

    /// A plain decimal integer (no sign, no suffix).
    public static func integer(_ text: String) -> Int? {
        guard !text.isEmpty, text.count <= 18, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// Parses dotted-quad IPv4 into its four octets.
    public static func ipv4(_ text: String) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        let octets = parts.compactMap { part -> Int? in
            guard part.count <= 3, let value = integer(String(part)), value <= 255 else { return nil }
            return value
        }
        return octets.count == 4 ? octets : nil
    }

    /// Parses an IPv6 address (without `%scope`) into its 16 bytes; accepts `::` and an IPv4 tail.
    public static func ipv6(_ text: String) -> [UInt8]? {
        func groups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let octets = ipv4(String(piece)) {
                    result.append(UInt16(octets[0] << 8 | octets[1]))
                    result.append(UInt16(octets[2] << 8 | octets[3]))
                } else {
                    guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        let halves = text.split(separator: "::", maxSplits: 2, omittingEmptySubsequences: false)
        let words: [UInt16]
        switch halves.count {
        case 1:
            guard let all = groups(halves[0]), all.count == 8 else { return nil }
            words = all
        case 2:
            guard let head = groups(halves[0]), let tail = groups(halves[1]), head.count + tail.count < 8 else {
                return nil
            }
            words = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        default:
            return nil
        }
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    /// Syslog facility names accepted by `logfacility` (plus `none`).
    public static let syslogFacilities: Set<String> = [
        "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news", "syslog", "user", "uucp",
        "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7", "none",
    ]

    /// Serial speeds 3.0.6 accepts for `baud` (spec §4.4).
    public static let baudRates: Set<Int> = [9600, 19200, 38400, 57600, 115200, 230400, 460800]

    /// Renders a duration the way 3.0.6 records derived times: whole milliseconds plus `ms`.
    public static func millisecondsText(_ duration: Duration) -> String { "\(duration.milliseconds)ms" }
}
