import COpenSSL

/// Plain SHA-256, for hashing non-secret material (audit entries, fingerprints).
public enum SHA256 {
    public static func hash(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { bytes in
            EVP_Digest(bytes.baseAddress, bytes.count, &out, &length, FetchedAlgorithms.shared.sha256, nil)
        }
        precondition(ok == 1 && length == 32, "SHA-256 failed")
        return out
    }
}
