import COpenSSL

/// OpenSSL algorithm handles fetched once per process.
///
/// OpenSSL 3 looks algorithms up in its provider on every legacy `EVP_aes_256_gcm()` init;
/// fetching once avoids that cost. `@unchecked Sendable`: fetched algorithm objects are
/// immutable and documented as safe to share between threads; they are never freed.
final class FetchedAlgorithms: @unchecked Sendable {
    let aes256gcm: OpaquePointer
    let sha256: OpaquePointer
    let hmac: OpaquePointer

    static let shared = FetchedAlgorithms()

    private init() {
        guard let cipher = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil),
            let md = EVP_MD_fetch(nil, "SHA256", nil),
            let mac = EVP_MAC_fetch(nil, "HMAC", nil)
        else { fatalError("OpenSSL lacks AES-256-GCM, SHA256 or HMAC: the default provider is not loaded") }
        aes256gcm = cipher
        sha256 = md
        hmac = mac
    }
}
