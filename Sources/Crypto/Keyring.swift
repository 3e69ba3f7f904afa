/// The versioned master keys (KEKs) and the keys derived for each job.
///
/// Data keys are wrapped under a KEK version; the version travels with each wrapped key so
/// rotation can re-wrap lazily and the old version can be retired once nothing uses it.
/// A key check value per version lets the vault refuse a wrong master key before it
/// touches data, instead of discovering it as a thousand authentication failures.
public struct Keyring: Sendable {
    public let versions: [Int: SymmetricKey]
    public let activeVersion: Int

    public init(versions: [Int: SymmetricKey], activeVersion: Int) {
        precondition(versions[activeVersion] != nil, "active key version missing")
        self.versions = versions
        self.activeVersion = activeVersion
    }

    public var activeKey: SymmetricKey { versions[activeVersion]! }

    /// 16 bytes that identify a KEK without revealing it (HMAC under a derived key).
    public static func checkValue(of kek: SymmetricKey) throws -> [UInt8] {
        let checkKey = try HKDF.deriveKey(from: kek, .keyCheck)
        return Array(try HMACKey(checkKey).authenticate(Array("profilevault key check value".utf8)).prefix(16))
    }

    /// The key that wraps DEKs under KEK `version` (derived, so the raw KEK never encrypts data).
    public func wrappingKey(version: Int) throws -> SymmetricKey {
        guard let kek = versions[version] else { throw KeyringError.unknownVersion(version) }
        return try HKDF.deriveKey(from: kek, .dekWrap)
    }
}

public enum KeyringError: Error, Equatable, CustomStringConvertible, Sendable {
    case unknownVersion(Int)
    public var description: String {
        switch self {
        case .unknownVersion(let v): "master key version \(v) is not loaded"
        }
    }
}
