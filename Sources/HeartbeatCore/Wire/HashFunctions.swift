/// The hash functions behind authkeys' HMAC methods (spec §2.2): MD5 (RFC 1321), SHA-1 and
/// SHA-256 (FIPS 180-4). Written out here instead of linking OpenSSL's libcrypto, which kept
/// 3.4 MB resident (and locked) in every daemon and set up a context per message, for three
/// functions over a few hundred bytes. The RFC test vectors in the tests pin them down.
protocol BlockHash {
    init()
    /// MD5 stores the message length little-endian, the SHAs big-endian.
    static var lengthIsBigEndian: Bool { get }
    /// Absorbs one 64-byte block.
    mutating func compress(_ block: UnsafeRawBufferPointer)
    var digest: [UInt8] { get }
}

extension BlockHash {
    /// All three work on 64-byte blocks; HMAC pads its key to this size.
    static var blockSize: Int { 64 }

    /// The digest of the parts, concatenated.
    static func hash(_ parts: UnsafeRawBufferPointer...) -> [UInt8] {
        let length = parts.reduce(0) { $0 + $1.count }
        // The message, 0x80, zeros up to 8 bytes short of a block boundary, the length in bits.
        var padded: [UInt8] = []
        padded.reserveCapacity((length + 8) / blockSize * blockSize + blockSize)
        for part in parts { padded.append(contentsOf: part) }
        padded.append(0x80)
        while padded.count % blockSize != blockSize - 8 { padded.append(0) }
        let bits = UInt64(length) &* 8
        for index in 0..<8 {
            let shift = UInt64(lengthIsBigEndian ? 56 - 8 * index : 8 * index)
            padded.append(UInt8(truncatingIfNeeded: bits >> shift))
        }
        var state = Self()
        padded.withUnsafeBytes { all in
            for start in stride(from: 0, to: all.count, by: blockSize) {
                state.compress(UnsafeRawBufferPointer(rebasing: all[start..<start + blockSize]))
            }
        }
        return state.digest
    }
}

private func rotateLeft(_ value: UInt32, _ count: UInt32) -> UInt32 { (value << count) | (value >> (32 - count)) }
private func rotateRight(_ value: UInt32, _ count: UInt32) -> UInt32 { (value >> count) | (value << (32 - count)) }

private func bytes(of words: [UInt32], bigEndian: Bool) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(words.count * 4)
    for word in words {
        for index in 0..<4 {
            let shift = UInt32(bigEndian ? 24 - 8 * index : 8 * index)
            out.append(UInt8(truncatingIfNeeded: word >> shift))
        }
    }
    return out
}

struct MD5: BlockHash {
    private var state: [UInt32] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476]
    static var lengthIsBigEndian: Bool { false }

    // RFC 1321 §3.4: the per-step shifts, and floor(abs(sin(i + 1)) * 2^32).
    private static let shifts: [UInt32] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]
    private static let constants: [UInt32] = [
        0xd76a_a478, 0xe8c7_b756, 0x2420_70db, 0xc1bd_ceee, 0xf57c_0faf, 0x4787_c62a, 0xa830_4613, 0xfd46_9501,
        0x6980_98d8, 0x8b44_f7af, 0xffff_5bb1, 0x895c_d7be, 0x6b90_1122, 0xfd98_7193, 0xa679_438e, 0x49b4_0821,
        0xf61e_2562, 0xc040_b340, 0x265e_5a51, 0xe9b6_c7aa, 0xd62f_105d, 0x0244_1453, 0xd8a1_e681, 0xe7d3_fbc8,
        0x21e1_cde6, 0xc337_07d6, 0xf4d5_0d87, 0x455a_14ed, 0xa9e3_e905, 0xfcef_a3f8, 0x676f_02d9, 0x8d2a_4c8a,
        0xfffa_3942, 0x8771_f681, 0x6d9d_6122, 0xfde5_380c, 0xa4be_ea44, 0x4bde_cfa9, 0xf6bb_4b60, 0xbebf_bc70,
        0x289b_7ec6, 0xeaa1_27fa, 0xd4ef_3085, 0x0488_1d05, 0xd9d4_d039, 0xe6db_99e5, 0x1fa2_7cf8, 0xc4ac_5665,
        0xf429_2244, 0x432a_ff97, 0xab94_23a7, 0xfc93_a039, 0x655b_59c3, 0x8f0c_cc92, 0xffef_f47d, 0x8584_5dd1,
        0x6fa8_7e4f, 0xfe2c_e6e0, 0xa301_4314, 0x4e08_11a1, 0xf753_7e82, 0xbd3a_f235, 0x2ad7_d2bb, 0xeb86_d391,
    ]

    mutating func compress(_ block: UnsafeRawBufferPointer) {
        var (a, b, c, d) = (state[0], state[1], state[2], state[3])
        for step in 0..<64 {
            var mixed: UInt32
            let word: Int
            switch step / 16 {
            case 0: mixed = (b & c) | (~b & d); word = step
            case 1: mixed = (d & b) | (~d & c); word = (5 * step + 1) % 16
            case 2: mixed = b ^ c ^ d; word = (3 * step + 5) % 16
            default: mixed = c ^ (b | ~d); word = (7 * step) % 16
            }
            mixed = mixed &+ a &+ Self.constants[step]
                &+ UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4 * word, as: UInt32.self))
            a = d
            d = c
            c = b
            b = b &+ rotateLeft(mixed, Self.shifts[step / 16 * 4 + step % 4])
        }
        state[0] &+= a
        state[1] &+= b
        state[2] &+= c
        state[3] &+= d
    }

    var digest: [UInt8] { bytes(of: state, bigEndian: false) }
}

struct SHA1: BlockHash {
    private var state: [UInt32] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0]
    static var lengthIsBigEndian: Bool { true }

    mutating func compress(_ block: UnsafeRawBufferPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { schedule in
            for index in 0..<16 {
                schedule[index] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
            }
            for index in 16..<80 {
                schedule[index] = rotateLeft(schedule[index - 3] ^ schedule[index - 8] ^ schedule[index - 14] ^ schedule[index - 16], 1)
            }
            var (a, b, c, d, e) = (state[0], state[1], state[2], state[3], state[4])
            func step(_ mixed: UInt32, _ constant: UInt32, _ word: UInt32) {
                let next = rotateLeft(a, 5) &+ mixed &+ e &+ constant &+ word
                e = d
                d = c
                c = rotateLeft(b, 30)
                b = a
                a = next
            }
            // One loop per round function: no branch inside the 80 steps.
            for index in 0..<20 { step((b & c) | (~b & d), 0x5a82_7999, schedule[index]) }
            for index in 20..<40 { step(b ^ c ^ d, 0x6ed9_eba1, schedule[index]) }
            for index in 40..<60 { step((b & c) | (b & d) | (c & d), 0x8f1b_bcdc, schedule[index]) }
            for index in 60..<80 { step(b ^ c ^ d, 0xca62_c1d6, schedule[index]) }
            state[0] &+= a
            state[1] &+= b
            state[2] &+= c
            state[3] &+= d
            state[4] &+= e
        }
    }

    var digest: [UInt8] { bytes(of: state, bigEndian: true) }
}

struct SHA256: BlockHash {
    private var state: [UInt32] = [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
                                   0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19]
    static var lengthIsBigEndian: Bool { true }

    // FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
    private static let constants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    mutating func compress(_ block: UnsafeRawBufferPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
            for index in 0..<16 {
                schedule[index] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
            }
            for index in 16..<64 {
                let early = schedule[index - 15], late = schedule[index - 2]
                let sigma0 = rotateRight(early, 7) ^ rotateRight(early, 18) ^ (early >> 3)
                let sigma1 = rotateRight(late, 17) ^ rotateRight(late, 19) ^ (late >> 10)
                schedule[index] = sigma1 &+ schedule[index - 7] &+ sigma0 &+ schedule[index - 16]
            }
            var (a, b, c, d) = (state[0], state[1], state[2], state[3])
            var (e, f, g, h) = (state[4], state[5], state[6], state[7])
            for step in 0..<64 {
                let sum1 = rotateRight(e, 6) ^ rotateRight(e, 11) ^ rotateRight(e, 25)
                let choice = (e & f) ^ (~e & g)
                let first = h &+ sum1 &+ choice &+ Self.constants[step] &+ schedule[step]
                let sum0 = rotateRight(a, 2) ^ rotateRight(a, 13) ^ rotateRight(a, 22)
                let majority = (a & b) ^ (a & c) ^ (b & c)
                h = g
                g = f
                f = e
                e = d &+ first
                d = c
                c = b
                b = a
                a = first &+ sum0 &+ majority
            }
            state[0] &+= a
            state[1] &+= b
            state[2] &+= c
            state[3] &+= d
            state[4] &+= e
            state[5] &+= f
            state[6] &+= g
            state[7] &+= h
        }
    }

    var digest: [UInt8] { bytes(of: state, bigEndian: true) }
}
