import Audit
import Foundation
import Identity
import Storage
import Synchronization
import VaultCrypto
import VaultModel

/// The vault's working keys, checked against the database at start.
///
/// The KEK versions wrap subject data keys and one random *index root* secret. Blind-index
/// and token-hash keys are derived from the index root (HKDF, own labels), not from a KEK,
/// so rotating the KEK re-wraps the root without changing a single blind index.
public final class VaultKeys: Sendable {
    /// Master key versions and the wrapping keys derived from them; a rotation adds a version
    /// and makes it active, a retirement removes one.
    private let state: Mutex<(keyring: Keyring, wrapping: [Int: SymmetricKey])>
    public var keyring: Keyring { state.withLock { $0.keyring } }
    /// Where the master key versions live (to add or retire one).
    public let source: MasterKeySource
    public let blindIndexer: BlindIndexer
    let tokenKey: HMACKey
    /// Tags the rows that carry an authorization decision (tokens, policy versions).
    public let rows: RowAuthenticator
    /// Console sessions: the cookie's keyed hash names the stored row, the key seals its content.
    let sessionIDKey: HMACKey
    let sessionKey: SymmetricKey
    let pseudonymKey: HMACKey
    /// Keys the audit hash chain: a database writer without it can't forge a consistent chain.
    public let auditChain: HashChain
    /// Signs audit anchors and receipts.
    public let signingKey: Ed25519PrivateKey
    /// Seals source keys in erasure notices until the source acknowledges them.
    public let outboxKey: SymmetricKey
    /// Re-seals values kept under a legal hold once the subject's own key is destroyed.
    public let holdKey: SymmetricKey

    static let indexRootName = "index-root"
    static let signingKeyName = "audit-signing"

    init(
        keyring: Keyring, source: MasterKeySource, indexRoot: SymmetricKey, signingKey: Ed25519PrivateKey, outboxKey: SymmetricKey, holdKey: SymmetricKey
    ) throws {
        self.source = source
        self.signingKey = signingKey
        self.outboxKey = outboxKey
        self.holdKey = holdKey
        blindIndexer = try BlindIndexer(indexRoot: indexRoot)
        tokenKey = try HMACKey(HKDF.deriveKey(from: indexRoot, .tokenHash))
        rows = try RowAuthenticator(indexRoot: indexRoot)
        pseudonymKey = try HMACKey(HKDF.deriveKey(from: indexRoot, .pseudonym))
        sessionIDKey = try HMACKey(HKDF.deriveKey(from: indexRoot, .consoleSessionID))
        sessionKey = try HKDF.deriveKey(from: indexRoot, .consoleSession)
        auditChain = HashChain(key: try HMACKey(HKDF.deriveKey(from: indexRoot, .auditChain)))
        var wrapping: [Int: SymmetricKey] = [:]
        for version in keyring.versions.keys { wrapping[version] = try keyring.wrappingKey(version: version) }
        state = Mutex((keyring, wrapping))
    }

    /// Adds `key` as version `version` and makes it the active one: new data keys are wrapped
    /// under it from now on.
    func activate(_ key: SymmetricKey, version: Int) throws {
        let wrapping = try HKDF.deriveKey(from: key, .dekWrap)
        state.withLock { current in
            var versions = current.keyring.versions
            versions[version] = key
            current.keyring = Keyring(versions: versions, activeVersion: version)
            current.wrapping[version] = wrapping
        }
    }

    /// Forgets a retired version: anything still wrapped under it can no longer be opened.
    func forget(version: Int) {
        state.withLock { current in
            var versions = current.keyring.versions
            versions[version] = nil
            current.keyring = Keyring(versions: versions, activeVersion: current.keyring.activeVersion)
            current.wrapping[version] = nil
        }
    }

    /// `wrapped` (a data key of `subject`) re-wrapped under the active version.
    public func rewrap(_ wrapped: WrappedKey, of subject: SubjectID) throws -> WrappedKey {
        let key = try unwrapDataKey(wrapped, of: subject)
        let (version, kek) = state.withLock { ($0.keyring.activeVersion, $0.wrapping[$0.keyring.activeVersion]!) }
        return WrappedKey(kekVersion: version, bytes: try KeyWrap.wrap(key, under: kek, context: Self.dekContext(subject, version)))
    }

    /// A vault secret (index root, signing seed, …) re-wrapped under the active version.
    func rewrapSecret(named name: String, _ wrapped: WrappedKey) throws -> WrappedKey {
        let (oldKEK, version, kek) = state.withLock { ($0.wrapping[wrapped.kekVersion], $0.keyring.activeVersion, $0.wrapping[$0.keyring.activeVersion]!) }
        guard let oldKEK else { throw KeyringError.unknownVersion(wrapped.kekVersion) }
        let secret = try KeyWrap.unwrap(wrapped.bytes, under: oldKEK, context: Array(name.utf8))
        return WrappedKey(kekVersion: version, bytes: try KeyWrap.wrap(secret, under: kek, context: Array(name.utf8)))
    }

    /// Opens the keys for `store`: creates the key material on a fresh database, and refuses
    /// a missing or wrong key for a database that already holds data.
    public static func open(store: any VaultStore, source: MasterKeySource, now: Date = Date()) async throws -> VaultKeys {
        var known = try await store.keyVersions()
        var loaded = try source.load()
        if loaded == nil {
            guard known.isEmpty, case .file = source else {
                if case .file(let path) = source { throw KeySetupError.missingForExistingDatabase(path) }
                throw KeySetupError.malformed("environment")
            }
            loaded = try source.create()
        }
        let versions = loaded!
        known = try await settlePendingVersions(known, loaded: versions, store: store, now: now)
        try check(versions, against: known)
        let unknown = versions.filter { version, _ in !known.contains { $0.version == version } }
        for (version, key) in unknown {
            try await store.insertKeyVersion(KeyVersionRecord(version: version, checkValue: try Keyring.checkValue(of: key), createdAt: now, state: "active"))
        }
        // Another replica starting at the same moment may have recorded a version first (the
        // store keeps the first): check our keys against what is stored now.
        if !unknown.isEmpty { try check(versions, against: try await store.keyVersions()) }
        let keyring = Keyring(versions: versions, activeVersion: versions.keys.max()!)
        let indexRoot = try await vaultSecret(named: indexRootName, store: store, keyring: keyring)
        let signingSeed = try await vaultSecret(named: signingKeyName, store: store, keyring: keyring)
        return try VaultKeys(
            keyring: keyring, source: source, indexRoot: indexRoot, signingKey: Ed25519PrivateKey(seed: signingSeed.secret),
            outboxKey: await vaultSecret(named: "outbox", store: store, keyring: keyring),
            holdKey: await vaultSecret(named: "legal-hold", store: store, keyring: keyring))
    }

    /// Finishes or drops the `pending` version a rotation killed midway left behind
    /// (`KeyRotation.rotate`): in the key file with its check value, the file was replaced, so
    /// the version becomes active; absent from the file, nothing was ever wrapped under it, so
    /// the row goes. Done under the key-operation lease, so a replica starting while another
    /// rotates leaves that rotation's row alone (and doesn't check it).
    static func settlePendingVersions(
        _ known: [KeyVersionRecord], loaded versions: [Int: SymmetricKey], store: any VaultStore,
        now: Date
    ) async throws -> [KeyVersionRecord] {
        let pending = known.filter { $0.state == "pending" }
        guard !pending.isEmpty else { return known }
        let holder = "start-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
        guard try await store.acquireKeyOperationLease(holder: holder, now: now, expiresAt: now.addingTimeInterval(KeyRotation.leaseDuration)) else {
            return known.filter { $0.state != "pending" }
        }
        do {
            for record in pending {
                if let key = versions[record.version] {
                    guard ConstantTime.equals(try Keyring.checkValue(of: key), record.checkValue) else {
                        throw KeySetupError.wrongKey(version: record.version)
                    }
                    try await store.setKeyVersionState(record.version, state: "active")
                } else {
                    _ = try await store.deleteKeyVersion(record.version, ifState: "pending")
                }
            }
            try await store.releaseKeyOperationLease(holder: holder)
        } catch {
            try? await store.releaseKeyOperationLease(holder: holder)
            throw error
        }
        return try await store.keyVersions()
    }

    /// Every stored, unretired version must be in `versions` with the stored key check value.
    static func check(_ versions: [Int: SymmetricKey], against known: [KeyVersionRecord]) throws {
        for record in known where record.state == "active" {
            guard let key = versions[record.version] else { throw KeySetupError.versionMissing(version: record.version) }
            let value = try Keyring.checkValue(of: key)
            guard ConstantTime.equals(value, record.checkValue) else { throw KeySetupError.wrongKey(version: record.version) }
        }
    }

    /// A random 32-byte vault secret stored wrapped under the active KEK, created on first use.

    static func vaultSecret(named name: String, store: any VaultStore, keyring: Keyring) async throws -> SymmetricKey {
        if let wrapped = try await store.vaultKey(named: name) {
            return try KeyWrap.unwrap(wrapped.bytes, under: keyring.wrappingKey(version: wrapped.kekVersion), context: Array(name.utf8))
        }
        let secret = try SymmetricKey.generate()
        let bytes = try KeyWrap.wrap(secret, under: keyring.wrappingKey(version: keyring.activeVersion), context: Array(name.utf8))
        try await store.insertVaultKey(named: name, WrappedKey(kekVersion: keyring.activeVersion, bytes: bytes))
        // A replica starting at the same moment may have stored its secret first; the stored one is the secret.
        guard let stored = try await store.vaultKey(named: name) else { throw StoreError.corrupt("vault secret \(name) not stored") }
        return try KeyWrap.unwrap(stored.bytes, under: keyring.wrappingKey(version: stored.kekVersion), context: Array(name.utf8))
    }

    /// A fresh data key for `subject`, and its wrapped form under the active KEK.
    public func mintDataKey(for subject: SubjectID) throws -> (key: SymmetricKey, wrapped: WrappedKey) {
        let key = try SymmetricKey.generate()
        let (version, kek) = state.withLock { ($0.keyring.activeVersion, $0.wrapping[$0.keyring.activeVersion]!) }
        let bytes = try KeyWrap.wrap(key, under: kek, context: Self.dekContext(subject, version))
        return (key, WrappedKey(kekVersion: version, bytes: bytes))
    }

    public func unwrapDataKey(_ wrapped: WrappedKey, of subject: SubjectID) throws -> SymmetricKey {
        guard let kek = state.withLock({ $0.wrapping[wrapped.kekVersion] }) else { throw KeyringError.unknownVersion(wrapped.kekVersion) }
        return try KeyWrap.unwrap(wrapped.bytes, under: kek, context: Self.dekContext(subject, wrapped.kekVersion))
    }

    /// A stable pseudonym of a field value (policy action `hash`): equal values of one field
    /// map to the same pseudonym; without the vault's key nothing links it back to the value.
    public func pseudonym(field: FieldName, value: String) -> String {
        "pv_" + pseudonymKey.authenticate(Array(field.rawValue.utf8), [0], Array(value.utf8)).prefix(10).map { String(format: "%02x", $0) }.joined()
    }

    /// The keyed hash under which a bearer token is stored.
    public func tokenHash(_ token: String) -> [UInt8] {
        tokenKey.authenticate(Array(token.utf8))
    }

    static func dekContext(_ subject: SubjectID, _ version: Int) -> [UInt8] {
        Array("\(subject.description)|kek-v\(version)".utf8)
    }
}
