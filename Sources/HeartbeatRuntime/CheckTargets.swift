import Glibc
import HeartbeatCore

/// Where an `http://` check connects and the request it sends: HTTP/1.0, so the server closes the
/// connection after its answer, of which only the status line is read.
struct HTTPTarget: Equatable {
    var host: String
    var port: UInt16
    var request: String

    /// `http://HOST[:PORT][/PATH]`, the host an IPv4 address or a bracketed IPv6 one (`[fd00::1]`).
    init?(url: String) {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count).prefix { $0 != "#" }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return nil }
            portText = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            host = String(authority)
            portText = nil
        }
        guard !host.isEmpty else { return nil }
        if let portText {
            guard let number = UInt16(portText), number > 0 else { return nil }
            port = number
        } else {
            port = 80
        }
        request = "GET \(path) HTTP/1.0\r\nHost: \(authority)\r\nUser-Agent: heartbeat-monitor\r\nConnection: close\r\n\r\n"
    }

    /// The code of a status line (`HTTP/1.1 503 Service Unavailable`), if `response` starts with one.
    static func statusCode(of response: [UInt8]) -> Int? {
        let line = response.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        let words = line.split(separator: UInt8(ascii: " "), maxSplits: 2)
        guard words.count >= 2, words[0].starts(with: Array("HTTP/".utf8)), words[1].count == 3,
              let code = Int(String(decoding: words[1], as: UTF8.self)), code >= 100 else { return nil }
        return code
    }
}

/// What a `tcp:` or `http://` check connects to and sends, made from its monitor line once.
struct SocketTarget {
    var address: NumericSocketAddress
    /// `http://`: the request, sent once connected; `tcp:` has none and passes on connect.
    var request: [UInt8]?
    var expect: HTTPExpectation

    /// Why a line's check cannot be made over a socket, as its failure says it.
    struct Unusable: Error {
        var detail: String
    }

    init(_ check: MonitorSpec.Check) throws(Unusable) {
        switch check {
        case .tcp(let host, let port):
            address = try Self.address(host, port)
            request = nil
            expect = .success
        case .http(let url, let expect, _):
            guard let target = HTTPTarget(url: url) else { throw Unusable(detail: "\(url) is not http://ADDRESS[:PORT]/PATH") }
            address = try Self.address(target.host, target.port)
            request = Array(target.request.utf8)
            self.expect = expect
        case .status, .exec:
            throw Unusable(detail: "not a socket check")
        }
    }

    private static func address(_ host: String, _ port: UInt16) throws(Unusable) -> NumericSocketAddress {
        guard let address = NumericSocketAddress(host: host, port: port) else {
            throw Unusable(detail: "\(host) is not a numeric IPv4 or IPv6 address")
        }
        return address
    }
}

/// A numeric IPv4 or IPv6 address with a port, ready for `connect`. Names are not resolved: a
/// lookup can block for seconds, and the loop that runs checks also runs membership.
struct NumericSocketAddress {
    private var storage = sockaddr_storage()
    private(set) var length: socklen_t = 0
    var family: Int32 { Int32(storage.ss_family) }

    init?(host: String, port: UInt16) {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        length = first.pointee.ai_addrlen
        withUnsafeMutableBytes(of: &storage) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(length)))
        }
    }

    /// Starts a connect on `fd` (non-blocking on a non-blocking socket): 0, or -1 with errno
    /// (EINPROGRESS while it goes on).
    func connect(_ fd: Int32) -> Int32 {
        withSockaddr { Glibc.connect(fd, $0, $1) }
    }

    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }
}

/// `https://` checks run `curl`: TLS in-process would need a TLS library in the daemon for one
/// kind of check. curl prints the status code on a line of its own and stops before our timeout,
/// so a slow server is reported with curl's reason rather than only killed.
enum CurlCheck {
    static func arguments(url: String, verifyCertificate: Bool, timeout: Duration) -> [String] {
        // 90% of our timeout, so curl's own message ("Operation timed out") arrives before the kill.
        let milliseconds = max(timeout.milliseconds * 9 / 10, 1)
        let fraction = String(milliseconds % 1000)
        let seconds = "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
        return ["-q", "--silent", "--show-error", "--output", "/dev/null", "--write-out", "HTTP %{http_code}\\n",
                "--max-time", seconds, "--noproxy", "*"]
            + (verifyCertificate ? [] : ["--insecure"]) + [url]
    }

    /// Exit code 28 is curl's own timeout.
    static let timedOutExitCode: Int32 = 28

    static func outcome(exitCode: Int32, output: String, expect: HTTPExpectation, latency: Duration) -> CheckOutcome {
        if exitCode == timedOutExitCode { return .timedOut }
        let lines = output.split(separator: "\n")
        let code = lines.first { $0.hasPrefix("HTTP ") }.flatMap { Int($0.dropFirst(5)) } ?? 0
        guard exitCode == 0, code > 0 else {
            let reason = lines.first { $0.hasPrefix("curl: ") }.map(String.init) ?? "curl exited \(exitCode)"
            return .failed(latency: latency, detail: reason)
        }
        return expect.accepts(code) ? .passed(latency: latency) : .failed(latency: latency, detail: "HTTP \(code)")
    }
}
