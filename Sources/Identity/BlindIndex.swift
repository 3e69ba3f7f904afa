import VaultCrypto
import VaultModel

/// A keyed HMAC of a normalized identifier, so equality can be tested without plaintext.
///
/// The scheme carries a version from day one: a change of key or input encoding gets a new
/// version, and both can be matched during a migration.
public struct BlindIndex: Hashable, Sendable {
    public static let currentVersion = 1
    public let version: Int
    public let bytes: [UInt8]

    public init(version: Int, bytes: [UInt8]) {
        self.version = version
        self.bytes = bytes
    }
}

/// Computes blind indexes for identifiers and opaque lookup keys (source keys, event ids).
public struct BlindIndexer: Sendable {
    private let key: HMACKey
    public let version = BlindIndex.currentVersion

    /// `indexRoot` is the vault's index root secret; the HMAC key is derived with its own label.
    public init(indexRoot: SymmetricKey) throws {
        key = try HMACKey(HKDF.deriveKey(from: indexRoot, .blindIndex))
    }

    /// Index of a normalized identifier value; the field name is part of the input so equal
    /// strings in different fields (a customer id that looks like a device id) don't match.
    public func index(field: FieldName, normalized value: Sensitive<String>) -> BlindIndex {
        BlindIndex(version: version, bytes: key.authenticate(framed("field", field.rawValue, value.unsafeValue)))
    }

    /// Index of a source's record key: a source key can itself identify a person.
    public func index(source: SourceName, recordKey: Sensitive<String>) -> BlindIndex {
        BlindIndex(version: version, bytes: key.authenticate(framed("record-key", source.rawValue, recordKey.unsafeValue)))
    }

    /// Index of a source's event id, for idempotent event ingest.
    public func index(source: SourceName, eventID: Sensitive<String>) -> BlindIndex {
        BlindIndex(version: version, bytes: key.authenticate(framed("event-id", source.rawValue, eventID.unsafeValue)))
    }

    /// Length-prefixed parts: no two different tuples produce the same input bytes.
    private func framed(_ parts: String...) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            let bytes = Array(part.utf8)
            let n = UInt32(bytes.count)
            out += [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
            out += bytes
        }
        return out
    }
}
