import Glibc
import HeartbeatCore

/// The daemon's persistent identity in the state directory (`/var/lib/heartbeat`), in 3.0.6's formats
/// (spec §3.2, §3.7), so a node keeps its UUID and a rising generation across restarts.
public struct StateFiles {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public var generationPath: String { directory + "/hb_generation" }
    public var uuidPath: String { directory + "/hb_uuid" }
    public var heldGroupsPath: String { directory + "/held_groups" }

    /// Reads, increments and durably writes back the generation. Returns it with a log line to emit.
    public func bumpGeneration(wallClockSeconds: UInt64) throws(SystemError) -> (generation: UInt64, note: (LogLevel, String)?) {
        var note: (LogLevel, String)?
        let generation: UInt64
        if let text = readSmallFile(generationPath) {
            let digits = String(decoding: text, as: UTF8.self).trimmingSpaces
            // Every writer ends the number with a newline; without it the file was cut short and
            // the digits left may be a generation already used.
            if let previous = UInt64(digits), text.last == UInt8(ascii: "\n"), previous < UInt64.max / 2 {
                generation = previous + 1
            } else {
                // 3.0.6 restarts at 1, which peers that remember a higher generation ignore as stale.
                // The clock is past any generation a file or the clock gave before.
                generation = wallClockSeconds + 1
                let shown = String(decoding: text.prefix(40).map { $0 < 32 || $0 > 126 ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
                note = (.error, "BROKEN previous generation [\(shown)] in \(generationPath) - starting at \(generation) (the clock)")
            }
        } else {
            generation = wallClockSeconds + 1
            note = (.warning, "No Previous generation - starting at \(generation)")
        }
        // 3.0.6's format: the number right-justified in 15 characters, then a newline.
        let digits = String(generation)
        let text = String(repeating: " ", count: max(0, 15 - digits.count)) + digits + "\n"
        try writeDurably(Array(text.utf8), to: generationPath, mode: 0o644)
        return (generation, note)
    }

    /// The node's 16-byte UUID, created from the kernel's random source on first start. A file of
    /// another size (cut short, overwritten) is replaced, with a log line to emit: peers then see
    /// a new UUID under the same node name, which they accept as the node's new identity.
    public func loadOrCreateUUID() throws(SystemError) -> (uuid: [UInt8], note: (LogLevel, String)?) {
        let existing = readSmallFile(uuidPath)
        if let existing, existing.count == 16 { return (existing, nil) }
        guard var uuid = readSmallFile("/dev/urandom", limit: 16), uuid.count == 16 else {
            throw SystemError("read /dev/urandom")
        }
        // RFC 4122 version 4 bits, as libuuid sets them.
        uuid[6] = (uuid[6] & 0x0f) | 0x40
        uuid[8] = (uuid[8] & 0x3f) | 0x80
        try writeDurably(uuid, to: uuidPath, mode: 0o644)
        let note = existing.map { (LogLevel.error, "BROKEN node UUID in \(uuidPath) (\($0.count) bytes, not 16): replaced by a new one") }
        return (uuid, note)
    }
}

extension StateFiles {
    /// The groups recorded as held here (none when there is no record). A record that cannot be
    /// read whole says nothing about what runs, so every configured group may: `configured` is
    /// returned, with a log line.
    public func loadHeldGroups(configured: [ResourceGroup]) -> (held: HeldGroups, note: (LogLevel, String)?) {
        guard let bytes = readSmallFile(heldGroupsPath) else { return (HeldGroups(), nil) }
        if let held = HeldGroups(decoding: bytes) { return (held, nil) }
        return (HeldGroups(configured), (.error, "BROKEN record of held resource groups in \(heldGroupsPath) (\(bytes.count) bytes): every configured group may be running here"))
    }

    /// Written through a temporary file renamed into place: a daemon that dies leaves the old
    /// record or the new one. Not fsynced: it is written before each group's start and after its
    /// stop, on the path of every takeover and move, where a sync costs milliseconds (tens on a
    /// busy disk); and what it records (addresses, mounts, processes) does not outlive a power
    /// loss, after which a torn record reads as BROKEN and a stop of a stopped group succeeds.
    public func saveHeldGroups(_ held: HeldGroups) throws(SystemError) {
        try writeReplacing(held.encoded(), to: heldGroupsPath, mode: 0o644, sync: false)
    }
}

/// Reads a file of at most 64 KiB, or nil if it cannot be read.
func readSmallFile(_ path: String, limit: Int = 65_536) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while result.count < limit {
        let wanted = min(buffer.count, limit - result.count)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, wanted) }
        if count < 0 { return nil }
        if count == 0 { break }
        result += buffer[0..<count]
    }
    return result
}

/// Writes a file through a temporary name, fsyncs it and renames it into place.
func writeDurably(_ bytes: [UInt8], to path: String, mode: mode_t) throws(SystemError) {
    try writeReplacing(bytes, to: path, mode: mode, sync: true)
}

/// Writes a file through a temporary name (fsynced first when `sync`) and renames it into place:
/// a reader finds the old file or the new one, never a part of it.
func writeReplacing(_ bytes: [UInt8], to path: String, mode: mode_t, sync: Bool) throws(SystemError) {
    let temporary = path + ".tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw SystemError("open \(temporary)") }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    let code = errno
    let synced = sync ? fsync(fd) : 0
    close(fd)
    guard written == bytes.count, synced == 0 else {
        // A full disk leaves a short temporary file; the old file is still intact.
        unlink(temporary)
        throw SystemError("write \(temporary)", code: written < 0 ? code : written < bytes.count ? ENOSPC : errno)
    }
    guard rename(temporary, path) == 0 else { throw SystemError("rename \(path)") }
    _ = chmod(path, mode)
}

extension String {
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\n" || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\n" || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
