import CSystem
import Glibc

/// Where one datagram goes: an IPv4 address and port, or a full IPv6 socket address (its scope
/// id picks the interface for link-local peers).
enum UDPDestination {
    case ipv4(address: UInt32, port: UInt16)
    case ipv6(sockaddr_in6)
}

/// One UDP socket (IPv4 or IPv6), non-blocking. Errors are returned as errno values, never thrown
/// on the send path: a medium whose cable is pulled keeps trying and recovers by itself (issue 3).
final class UDPSocket {
    let fd: Int32

    init(family: Int32 = AF_INET) throws(SystemError) {
        fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
    }

    deinit { close(fd) }

    func setFlag(_ level: Int32, _ option: Int32, _ value: Int32 = 1) throws(SystemError) {
        var value = value
        guard setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SystemError("setsockopt \(option)")
        }
    }

    /// SO_BINDTODEVICE: this socket only sees and uses one interface.
    func bind(toDevice interface: String) throws(SystemError) {
        let result = interface.withCString {
            setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(strlen($0) + 1))
        }
        guard result == 0 else { throw SystemError("SO_BINDTODEVICE \(interface)") }
    }

    func bind(address: UInt32, port: UInt16) throws(SystemError) {
        var sin = sockaddr_in.make(address: address, port: port)
        let result = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw SystemError("bind port \(port)") }
    }

    func bind(address6: sockaddr_in6) throws(SystemError) {
        var sin6 = address6
        let result = withUnsafePointer(to: &sin6) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        }
        guard result == 0 else { throw SystemError("bind [\(ipv6Text(address6))]:\(UInt16(bigEndian: address6.sin6_port))") }
    }

    /// Sends one datagram; returns 0 or the errno.
    func send(_ bytes: [UInt8], to destination: UDPDestination) -> Int32 {
        let sent: Int
        switch destination {
        case .ipv4(let address, let port):
            var sin = sockaddr_in.make(address: address, port: port)
            sent = Self.send(fd, bytes, to: &sin)
        case .ipv6(let address):
            var sin6 = address
            sent = Self.send(fd, bytes, to: &sin6)
        }
        return sent < 0 ? errno : 0
    }

    private static func send<Address>(_ fd: Int32, _ bytes: [UInt8], to address: inout Address) -> Int {
        withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                bytes.withUnsafeBytes {
                    sendto(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT), target, socklen_t(MemoryLayout<Address>.size))
                }
            }
        }
    }

    /// Reads one datagram into `buffer`, returning its length, or nil when nothing is queued.
    func receive(into buffer: inout [UInt8]) -> Int? {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return count >= 0 ? count : nil
    }
}

extension sockaddr_in {
    static func make(address: UInt32, port: UInt16) -> sockaddr_in {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr.s_addr = address
        return sin
    }
}

/// Parses dotted-quad IPv4 text to network byte order.
func ipv4(_ text: String) -> UInt32? {
    var address = in_addr()
    return inet_pton(AF_INET, text, &address) == 1 ? address.s_addr : nil
}

func ipv4Text(_ address: UInt32) -> String {
    var addr = in_addr(s_addr: address)
    var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
    inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
    return string(fromCString: buffer)
}

/// A NUL-terminated C buffer as a Swift string.
func string(fromCString buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
