import COpenSSL

/// AES-256-GCM authenticated encryption with associated data.
///
/// Wire form of a sealed box: 12-byte nonce ‖ ciphertext ‖ 16-byte tag. Nonces are random
/// (96 bits); with one data key per subject the number of messages per key stays far below
/// the 2^32 bound of NIST SP 800-38D for random nonces.
public enum AESGCM {
    public static let nonceCount = 12
    public static let tagCount = 16
    public static let overhead = nonceCount + tagCount

    // EVP_CTRL_AEAD_GET_TAG / EVP_CTRL_AEAD_SET_TAG from openssl/evp.h.
    private static let ctrlGetTag: Int32 = 0x10
    private static let ctrlSetTag: Int32 = 0x11

    /// Seals `plaintext` with a fresh random nonce.
    public static func seal(_ plaintext: [UInt8], key: SymmetricKey, authenticating aad: [UInt8]) throws -> [UInt8] {
        try seal(plaintext, key: key, nonce: NoncePool.shared.bytes(nonceCount), authenticating: aad)
    }

    /// Seals with a caller-chosen nonce. Only for published test vectors: a repeated nonce
    /// under one key breaks GCM entirely.
    public static func seal(_ plaintext: [UInt8], key: SymmetricKey, nonce: [UInt8], authenticating aad: [UInt8]) throws -> [UInt8] {
        guard nonce.count == nonceCount else { throw CryptoError.malformedCiphertext }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.openSSLFailure(operation: "EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: overhead + plaintext.count)
        let ok: Bool = key.secret.withUnsafeBytes { keyBytes in
            out.withUnsafeMutableBufferPointer { outBuf in
                let base = outBuf.baseAddress!
                for i in 0..<nonceCount { base[i] = nonce[i] }
                guard
                    EVP_EncryptInit_ex2(
                        ctx, FetchedAlgorithms.shared.aes256gcm,
                        keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        base, nil) == 1
                else { return false }
                var length: Int32 = 0
                if !aad.isEmpty {
                    guard EVP_EncryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1 else { return false }
                }
                var written = 0
                if !plaintext.isEmpty {
                    guard EVP_EncryptUpdate(ctx, base + nonceCount, &length, plaintext, Int32(plaintext.count)) == 1 else { return false }
                    written = Int(length)
                }
                guard EVP_EncryptFinal_ex(ctx, base + nonceCount + written, &length) == 1 else { return false }
                return EVP_CIPHER_CTX_ctrl(ctx, ctrlGetTag, Int32(tagCount), base + nonceCount + plaintext.count) == 1
            }
        }
        guard ok else { throw CryptoError.openSSLFailure(operation: "AES-256-GCM seal") }
        return out
    }

    /// Opens a sealed box; any change to nonce, ciphertext, tag, key or `aad` fails.
    public static func open(_ sealed: [UInt8], key: SymmetricKey, authenticating aad: [UInt8]) throws -> [UInt8] {
        try open(sealed, from: 0, key: key, authenticating: aad)
    }

    /// Opens the box that starts at `offset` of `sealed` (after a caller's header), without copying it out first.
    public static func open(_ sealed: [UInt8], from offset: Int, key: SymmetricKey, authenticating aad: [UInt8]) throws -> [UInt8] {
        guard offset >= 0, sealed.count - offset >= overhead else { throw CryptoError.malformedCiphertext }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.openSSLFailure(operation: "EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let bodyCount = sealed.count - offset - overhead
        var out = [UInt8](repeating: 0, count: bodyCount)
        let ok: Bool = key.secret.withUnsafeBytes { keyBytes in
            sealed.withUnsafeBufferPointer { inBuf in
                out.withUnsafeMutableBufferPointer { outBuf in
                    let input = inBuf.baseAddress! + offset
                    guard
                        EVP_DecryptInit_ex2(
                            ctx, FetchedAlgorithms.shared.aes256gcm,
                            keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            input, nil) == 1
                    else { return false }
                    var length: Int32 = 0
                    if !aad.isEmpty {
                        guard EVP_DecryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1 else { return false }
                    }
                    if bodyCount > 0 {
                        guard EVP_DecryptUpdate(ctx, outBuf.baseAddress!, &length, input + nonceCount, Int32(bodyCount)) == 1 else { return false }
                    }
                    let tag = UnsafeMutableRawPointer(mutating: input + nonceCount + bodyCount)
                    guard EVP_CIPHER_CTX_ctrl(ctx, ctrlSetTag, Int32(tagCount), tag) == 1 else { return false }
                    // GCM's final step writes no bytes; it only checks the tag.
                    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) {
                        EVP_DecryptFinal_ex(ctx, $0.baseAddress!, &length) == 1
                    }
                }
            }
        }
        guard ok else {
            // Don't hand back (or leave in memory) unauthenticated plaintext.
            out.withUnsafeMutableBytes { if let p = $0.baseAddress { OPENSSL_cleanse(p, $0.count) } }
            throw CryptoError.authenticationFailed
        }
        return out
    }
}
