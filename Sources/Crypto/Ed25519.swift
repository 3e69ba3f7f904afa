import COpenSSL

/// Ed25519 signatures (RFC 8032) over OpenSSL, for audit anchors and receipts.
///
/// The private key is kept as raw seed bytes in `SecureBytes` (wiped on release) and loaded
/// into an `EVP_PKEY` only for the duration of one signature.
public struct Ed25519PrivateKey: Sendable {
    public static let seedCount = 32
    public let seed: SecureBytes

    public init(seed: SecureBytes) throws {
        guard seed.count == Self.seedCount else { throw CryptoError.invalidKeyLength(expected: Self.seedCount, actual: seed.count) }
        self.seed = seed
    }

    public static func generate() throws -> Ed25519PrivateKey {
        try Ed25519PrivateKey(seed: SecureBytes(randomCount: seedCount))
    }

    private func withKey<R>(_ body: (OpaquePointer) throws -> R) throws -> R {
        let pkey = seed.withUnsafeBytes { raw in
            EVP_PKEY_new_raw_private_key_ex(nil, "ED25519", nil, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), raw.count)
        }
        guard let pkey else { throw CryptoError.openSSLFailure(operation: "EVP_PKEY_new_raw_private_key_ex(ED25519)") }
        defer { EVP_PKEY_free(pkey) }
        return try body(pkey)
    }

    public var publicKey: Ed25519PublicKey {
        get throws {
            try withKey { pkey in
                var out = [UInt8](repeating: 0, count: 32)
                var length = out.count
                guard EVP_PKEY_get_raw_public_key(pkey, &out, &length) == 1, length == 32 else {
                    throw CryptoError.openSSLFailure(operation: "EVP_PKEY_get_raw_public_key")
                }
                return Ed25519PublicKey(bytes: out)
            }
        }
    }

    public func signature(for message: [UInt8]) throws -> [UInt8] {
        try withKey { pkey in
            guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.openSSLFailure(operation: "EVP_MD_CTX_new") }
            defer { EVP_MD_CTX_free(ctx) }
            var signature = [UInt8](repeating: 0, count: 64)
            var length = signature.count
            // Ed25519 is a one-shot signature: no digest name, whole message at once.
            guard EVP_DigestSignInit_ex(ctx, nil, nil, nil, nil, pkey, nil) == 1,
                message.withUnsafeBufferPointer({ EVP_DigestSign(ctx, &signature, &length, $0.baseAddress, $0.count) }) == 1,
                length == 64
            else { throw CryptoError.openSSLFailure(operation: "Ed25519 sign") }
            return signature
        }
    }
}

/// An Ed25519 public key (32 bytes), safe to publish.
public struct Ed25519PublicKey: Sendable, Equatable {
    public let bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard bytes.count == 32, signature.count == 64,
            let pkey = EVP_PKEY_new_raw_public_key_ex(nil, "ED25519", nil, bytes, bytes.count)
        else { return false }
        defer { EVP_PKEY_free(pkey) }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit_ex(ctx, nil, nil, nil, nil, pkey, nil) == 1 else { return false }
        return message.withUnsafeBufferPointer { EVP_DigestVerify(ctx, signature, signature.count, $0.baseAddress, $0.count) } == 1
    }
}
