import ArgumentParser
import Glibc
import HeartbeatCore
import HeartbeatRuntime

/// `hbctl decode [--config-dir DIR | --key-method M [--key K] [--slot N]] [FILE|-]`: shows what a
/// raw Heartbeat packet (a UDP payload, a serial message, a FIFO message) says, and whether it
/// authenticates. Exit 0 when it decodes and verifies, 1 otherwise.
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode one raw heartbeat packet and check its authentication.",
        discussion: """
            Prints the format, one field per line (name=value; strings with non-printable bytes \
            escaped, binary fields as hex marked "(binary)"), and the authentication result. Keys \
            come from <config-dir>/authkeys ($HA_CONFIG_DIR, else /etc/ha.d), or from --key-method \
            and --key. Exits 0 when the packet decodes and verifies, 1 otherwise.
            """)

    @Option(name: .customLong("config-dir"), help: "The config directory holding authkeys.")
    var configDirectory: String?

    @Option(name: .customLong("key-method"), help: "Verify with this method (crc, md5, sha1, sha256) instead of authkeys.")
    var keyMethod: String?

    @Option(name: .customLong("key"), help: "The secret for --key-method (not allowed for crc).")
    var key: String?

    @Option(name: .customLong("slot"), help: "The key slot number for --key-method (default 1).")
    var slot: Int = 1

    @Argument(help: "The packet file, or - for standard input.")
    var file: String = "-"

    func validate() throws {
        if keyMethod == nil, key != nil { throw ValidationError("--key needs --key-method") }
        if keyMethod != nil, configDirectory != nil {
            throw ValidationError("use either --config-dir or --key-method, not both")
        }
        if let keyMethod {
            guard let method = AuthMethod(rawValue: keyMethod) else {
                throw ValidationError("unknown --key-method '\(keyMethod)' (crc, md5, sha1, sha256)")
            }
            if method.needsKey, key == nil { throw ValidationError("--key-method \(method) needs --key") }
            if !method.needsKey, key != nil { throw ValidationError("--key-method crc takes no --key") }
        }
        guard AuthKeys.slotRange.contains(slot) else { throw ValidationError("--slot must be 0...15") }
    }

    func run() throws {
        let packet: [UInt8]
        do {
            packet = try Self.readPacket(file)
        } catch {
            Self.writeError("hbctl decode: \(file): \(error.message)\n")
            throw ExitCode(1)
        }

        let format: WireFormat
        do {
            format = try Wire.format(of: packet)
        } catch {
            print("rejected: \(error) [\(error.reason)]")
            throw ExitCode(1)
        }
        print("format: \(format.rawValue) (\(packet.count) bytes)")

        let keys = loadKeys()
        var verified: Wire.Decoded?
        var failure: WireError?
        if case .success(let keys) = keys {
            do { verified = try Wire.decode(packet, keys: keys) } catch { failure = error }
        }

        // Show the fields even when authentication fails: that is when an admin needs them most.
        let shown: Wire.Decoded
        if let verified {
            shown = verified
        } else {
            do {
                shown = try Wire.decodeUnauthenticated(packet)
            } catch {
                print("rejected: \(error) [\(error.reason)]")
                if let failure, failure != error { print("auth: FAILED: \(failure) [\(failure.reason)]") }
                throw ExitCode(1)
            }
        }
        for field in shown.message.fields { print(Self.render(field)) }

        switch (keys, verified, failure) {
        case (.success(let keys), let verified?, _):
            let slot = verified.authSlot ?? keys.activeSlot
            let method = keys.slots[slot].map { ", \($0.method.rawValue)" } ?? ""
            print("auth: ok (slot \(slot)\(method))")
        case (_, _, let failure?):
            print("auth: FAILED: \(failure) [\(failure.reason)]")
            throw ExitCode(1)
        case (.failure(let reason), _, _):
            print("auth: not checked: \(reason.message)")
            throw ExitCode(1)
        default:
            throw ExitCode(1)
        }
    }

    // MARK: Keys

    struct Problem: Error { var message: String }

    func loadKeys() -> Result<AuthKeys, Problem> {
        if let keyMethod, let method = AuthMethod(rawValue: keyMethod) {
            return .success(AuthKeys(AuthKey(slot: slot, method: method, secret: Array((key ?? "").utf8))))
        }
        var loader = ConfigLoader()
        if let configDirectory { loader.configDirectory = configDirectory }
        let input = loader.readInput()
        switch input.authKeys {
        case .missing: return .failure(Problem(message: "\(input.authKeysPath) does not exist"))
        case .unreadable(let reason): return .failure(Problem(message: "\(input.authKeysPath): \(reason)"))
        case .text(let text):
            // Permissions matter to the daemon, not to reading one packet: do not check the mode here.
            let (keys, diagnostics) = AuthKeysParser.parse(text, file: input.authKeysPath, mode: nil)
            if let keys { return .success(keys) }
            let errors = diagnostics.filter { $0.severity == .error }.map(\.description)
            return .failure(Problem(message: errors.first ?? "\(input.authKeysPath) is not usable"))
        }
    }

    // MARK: Input

    /// Reads at most one byte more than MAXMSG, so an oversized packet is reported as such
    /// without reading an unbounded file into memory.
    static func readPacket(_ path: String) throws(Problem) -> [UInt8] {
        let descriptor = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Problem(message: String(cString: strerror(errno))) }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        let limit = Wire.maxMessageSize + 1
        var bytes = [UInt8](repeating: 0, count: limit)
        var count = 0
        while count < limit {
            let result = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + count, limit - count)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw Problem(message: String(cString: strerror(errno)))
            }
            if result == 0 { break }
            count += result
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    // MARK: Output

    static func render(_ field: Field) -> String {
        let name = escape(Array(field.name.utf8))
        switch field.value {
        case .string(let bytes): return "\(name)=\(escape(bytes))"
        case .binary(let bytes): return "\(name)=\(hex(bytes)) (binary)"
        case .other(3, let raw): return "\(name)=\(escape(raw)) (list)"
        case .other(4, let raw): return "\(name)=\(hex(raw)) (compress)"
        case .other(let type, let raw):
            return "\(name)=\(escape(raw)) (\(type == 2 ? "struct" : type == 5 ? "uncompress" : "type \(type)"))"
        }
    }

    /// Printable ASCII as is; backslash, tab, CR, LF and every other byte escaped, so one field
    /// is always one line and the output is plain ASCII.
    static func escape(_ bytes: [UInt8]) -> String {
        var text = ""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): text += "\\\\"
            case UInt8(ascii: "\n"): text += "\\n"
            case UInt8(ascii: "\r"): text += "\\r"
            case UInt8(ascii: "\t"): text += "\\t"
            case 0x20...0x7e: text.unicodeScalars.append(Unicode.Scalar(byte))
            default: text += "\\x" + hex([byte])
            }
        }
        return text
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".unicodeScalars)
        var text = ""
        for byte in bytes {
            text.unicodeScalars.append(digits[Int(byte >> 4)])
            text.unicodeScalars.append(digits[Int(byte & 0x0f)])
        }
        return text
    }

    static func writeError(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
