/// Wrapping of subject data keys (DEKs) under a key-encryption key (KEK), by AES-256-GCM.
///
/// GCM wrapping is chosen over RFC 3394 key wrap because it authenticates associated data:
/// the wrapped DEK is bound to its subject id and KEK version, so a wrapped key copied onto
/// another subject's row fails to unwrap instead of decrypting the wrong person's data.
public enum KeyWrap {
    public static func wrap(_ key: SymmetricKey, under kek: SymmetricKey, context: [UInt8]) throws -> [UInt8] {
        try key.secret.withUnsafeBytes { raw in
            // A transient copy of the plaintext key (the seal takes an array): wiped after use.
            var plaintext = Array(raw)
            defer { Wipe.bytes(&plaintext) }
            return try AESGCM.seal(plaintext, key: kek, authenticating: CiphertextContext.dekWrap.bytes + context)
        }
    }

    public static func unwrap(_ wrapped: [UInt8], under kek: SymmetricKey, context: [UInt8]) throws -> SymmetricKey {
        var raw = try AESGCM.open(wrapped, key: kek, authenticating: CiphertextContext.dekWrap.bytes + context)
        defer { Wipe.bytes(&raw) }
        return try SymmetricKey(copying: raw)
    }
}

/// Zeroing of transient byte arrays that held secrets.
public enum Wipe {
    public static func bytes(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            cleanse(base, buffer.count)
        }
    }
}
