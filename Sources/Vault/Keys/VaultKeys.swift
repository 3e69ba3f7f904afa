import Foundation
import Identity
import Storage
import VaultCrypto
import VaultModel

/// The vault's working keys, checked against the database at start.
///
/// The KEK versions wrap subject data keys and one random *index root* secret. Blind-index
/// and token-hash keys are derived from the index root (HKDF, own labels), not from a KEK,
/// so rotating the KEK re-wraps the root without changing a single blind index.
public final class VaultKeys: Sendable {
    public let keyring: Keyring
    public let blindIndexer: BlindIndexer
    let tokenKey: HMACKey
    private let wrappingKeys: [Int: SymmetricKey]

    static let indexRootName = "index-root"

    init(keyring: Keyring, indexRoot: SymmetricKey) throws {
        self.keyring = keyring
        blindIndexer = try BlindIndexer(indexRoot: indexRoot)
        tokenKey = try HMACKey(HKDF.deriveKey(from: indexRoot, label: "profilevault/token-hash/v1"))
        var wrapping: [Int: SymmetricKey] = [:]
        for version in keyring.versions.keys { wrapping[version] = try keyring.wrappingKey(version: version) }
        wrappingKeys = wrapping
    }

    /// Opens the keys for `store`: creates the key material on a fresh database, and refuses
    /// a missing or wrong key for a database that already holds data.
    public static func open(store: any VaultStore, source: MasterKeySource, now: Date = Date()) async throws -> VaultKeys {
        let known = try await store.keyVersions()
        var loaded = try source.load()
        if loaded == nil {
            guard known.isEmpty, case .file = source else {
                if case .file(let path) = source { throw KeySetupError.missingForExistingDatabase(path) }
                throw KeySetupError.malformed("environment")
            }
            loaded = try source.create()
        }
        let versions = loaded!
        for record in known where record.state != "retired" {
            guard let key = versions[record.version] else { throw KeySetupError.versionMissing(version: record.version) }
            let check = try Keyring.checkValue(of: key)
            guard ConstantTime.equals(check, record.checkValue) else { throw KeySetupError.wrongKey(version: record.version) }
        }
        for (version, key) in versions where !known.contains(where: { $0.version == version }) {
            try await store.insertKeyVersion(KeyVersionRecord(version: version, checkValue: try Keyring.checkValue(of: key), createdAt: now, state: "active"))
        }
        let keyring = Keyring(versions: versions, activeVersion: versions.keys.max()!)
        let wrapped = try await store.vaultKey(named: indexRootName)
        let indexRoot: SymmetricKey
        if let wrapped {
            indexRoot = try KeyWrap.unwrap(wrapped.bytes, under: keyring.wrappingKey(version: wrapped.kekVersion), context: Array(indexRootName.utf8))
        } else {
            indexRoot = try SymmetricKey.generate()
            let bytes = try KeyWrap.wrap(indexRoot, under: keyring.wrappingKey(version: keyring.activeVersion), context: Array(indexRootName.utf8))
            try await store.insertVaultKey(named: indexRootName, WrappedKey(kekVersion: keyring.activeVersion, bytes: bytes))
        }
        return try VaultKeys(keyring: keyring, indexRoot: indexRoot)
    }

    /// A fresh data key for `subject`, and its wrapped form under the active KEK.
    public func mintDataKey(for subject: SubjectID) throws -> (key: SymmetricKey, wrapped: WrappedKey) {
        let key = try SymmetricKey.generate()
        let version = keyring.activeVersion
        let bytes = try KeyWrap.wrap(key, under: wrappingKeys[version]!, context: Self.dekContext(subject, version))
        return (key, WrappedKey(kekVersion: version, bytes: bytes))
    }

    public func unwrapDataKey(_ wrapped: WrappedKey, of subject: SubjectID) throws -> SymmetricKey {
        guard let kek = wrappingKeys[wrapped.kekVersion] else { throw KeyringError.unknownVersion(wrapped.kekVersion) }
        return try KeyWrap.unwrap(wrapped.bytes, under: kek, context: Self.dekContext(subject, wrapped.kekVersion))
    }

    /// The keyed hash under which a bearer token is stored.
    public func tokenHash(_ token: String) -> [UInt8] {
        tokenKey.authenticate(Array(token.utf8))
    }

    static func dekContext(_ subject: SubjectID, _ version: Int) -> [UInt8] {
        Array("\(subject.description)|kek-v\(version)".utf8)
    }
}
