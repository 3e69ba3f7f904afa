import COpenSSL

/// HKDF-SHA256 (RFC 5869), to derive independent keys from the master key by label.
///
/// Separate labels give separate keys: the blind-index key, the key-wrapping key and the
/// token key are unrelated even though one master secret backs them.
public enum HKDF {
    public static func derive(from ikm: SecureBytes, salt: [UInt8], info: [UInt8], count: Int) throws -> SecureBytes {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "HKDF", nil) else {
            throw CryptoError.openSSLFailure(operation: "EVP_PKEY_CTX_new_from_name(HKDF)")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: count)
        defer { out.withUnsafeMutableBytes { if let p = $0.baseAddress { OPENSSL_cleanse(p, $0.count) } } }
        // The set1/add1 setters copy their input, so no pointer outlives these calls.
        let ok: Bool = ikm.withUnsafeBytes { key in
            guard EVP_PKEY_derive_init(ctx) == 1,
                EVP_PKEY_CTX_set_hkdf_md(ctx, FetchedAlgorithms.shared.sha256) == 1
            else { return false }
            if !salt.isEmpty {
                guard EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, Int32(salt.count)) == 1 else { return false }
            }
            guard EVP_PKEY_CTX_set1_hkdf_key(ctx, key.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(key.count)) == 1 else { return false }
            if !info.isEmpty {
                guard EVP_PKEY_CTX_add1_hkdf_info(ctx, info, Int32(info.count)) == 1 else { return false }
            }
            var length = count
            return EVP_PKEY_derive(ctx, &out, &length) == 1 && length == count
        }
        guard ok else { throw CryptoError.openSSLFailure(operation: "HKDF derive") }
        return SecureBytes(copying: out)
    }

    /// A 256-bit key for one purpose, named by `label`.
    public static func deriveKey(from ikm: SymmetricKey, label: String) throws -> SymmetricKey {
        try SymmetricKey(secret: derive(from: ikm.secret, salt: Array("profilevault".utf8), info: Array(label.utf8), count: SymmetricKey.byteCount))
    }
}
