import COpenSSL

/// HMAC-SHA256 under one key, for blind indexes, token hashes and audit chaining.
///
/// The key is loaded once into a template `EVP_MAC_CTX`; each computation duplicates it
/// (≈0.25 µs) instead of re-keying (≈1.7 µs for one-shot `HMAC()`).
/// `@unchecked Sendable`: the template is never mutated after `init`, only duplicated,
/// which OpenSSL allows from several threads at once.
public final class HMACKey: @unchecked Sendable {
    public static let outputCount = 32
    private let template: OpaquePointer

    public convenience init(_ key: SymmetricKey) throws {
        try self.init(secret: key.secret)
    }

    /// Any key length (RFC 4231 vectors use 4- and 131-byte keys).
    public init(secret: SecureBytes) throws {
        guard let ctx = EVP_MAC_CTX_new(FetchedAlgorithms.shared.hmac) else {
            throw CryptoError.openSSLFailure(operation: "EVP_MAC_CTX_new")
        }
        // The OSSL_PARAM array points into these C strings: build and use it while both live.
        let ok: Int32 = "digest".withCString { name in
            "SHA256".withCString { digest in
                var params = [
                    OSSL_PARAM_construct_utf8_string(name, UnsafeMutablePointer(mutating: digest), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return secret.withUnsafeBytes { keyBytes in
                    EVP_MAC_init(ctx, keyBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), keyBytes.count, &params)
                }
            }
        }
        guard ok == 1 else {
            EVP_MAC_CTX_free(ctx)
            throw CryptoError.openSSLFailure(operation: "EVP_MAC_init")
        }
        template = ctx
    }

    deinit { EVP_MAC_CTX_free(template) }

    /// The 32-byte tag of `parts` fed in order (no separators added: callers length-prefix).
    public func authenticate(_ parts: [UInt8]...) -> [UInt8] {
        authenticate(parts: parts)
    }

    public func authenticate(parts: [[UInt8]]) -> [UInt8] {
        guard let ctx = EVP_MAC_CTX_dup(template) else { fatalError("EVP_MAC_CTX_dup failed: out of memory") }
        defer { EVP_MAC_CTX_free(ctx) }
        for part in parts where !part.isEmpty {
            _ = EVP_MAC_update(ctx, part, part.count)
        }
        var out = [UInt8](repeating: 0, count: Self.outputCount)
        var length = 0
        let ok = EVP_MAC_final(ctx, &out, &length, out.count)
        precondition(ok == 1 && length == Self.outputCount, "HMAC-SHA256 final failed")
        return out
    }
}
