import CLibCrypto

/// The hash functions behind authkeys' HMAC methods (spec §2.2), from the system's OpenSSL.
/// We call its plain functions (`MD5_Init` …) rather than EVP: EVP loads OpenSSL 3's provider
/// machinery on first use, which kept 3.4 MB resident and locked in every daemon and set up a
/// digest context per message. HMAC itself is the few lines in AuthDigest.swift.
protocol BlockHash {
    /// The digest of the parts, concatenated.
    static func hash(_ parts: UnsafeRawBufferPointer...) -> [UInt8]
}

extension BlockHash {
    /// All three work on 64-byte blocks; HMAC pads its key to this size.
    static var blockSize: Int { 64 }
}

/// Runs OpenSSL's init/update/final triple of one hash over the parts.
private func digest<Context>(_ parts: [UnsafeRawBufferPointer], length: Int32, context: Context,
                             initialize: (UnsafeMutablePointer<Context>) -> Int32,
                             update: (UnsafeMutablePointer<Context>, UnsafeRawPointer?, Int) -> Int32,
                             finalize: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<Context>) -> Int32) -> [UInt8] {
    var context = context
    var out = [UInt8](repeating: 0, count: Int(length))
    var ok = initialize(&context) == 1
    for part in parts where !part.isEmpty { ok = ok && update(&context, part.baseAddress, part.count) == 1 }
    ok = ok && out.withUnsafeMutableBufferPointer { finalize($0.baseAddress!, &context) } == 1
    precondition(ok, "OpenSSL hash failed")
    return out
}

struct MD5: BlockHash {
    static func hash(_ parts: UnsafeRawBufferPointer...) -> [UInt8] {
        digest(parts, length: MD5_DIGEST_LENGTH, context: MD5_CTX(), initialize: MD5_Init, update: MD5_Update, finalize: MD5_Final)
    }
}

struct SHA1: BlockHash {
    static func hash(_ parts: UnsafeRawBufferPointer...) -> [UInt8] {
        digest(parts, length: SHA_DIGEST_LENGTH, context: SHA_CTX(), initialize: SHA1_Init, update: SHA1_Update, finalize: SHA1_Final)
    }
}

struct SHA256: BlockHash {
    static func hash(_ parts: UnsafeRawBufferPointer...) -> [UInt8] {
        digest(parts, length: SHA256_DIGEST_LENGTH, context: SHA256_CTX(), initialize: SHA256_Init, update: SHA256_Update, finalize: SHA256_Final)
    }
}
