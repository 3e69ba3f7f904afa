import Catalog
import Foundation
import Policy
import SQLiteStorage
import Storage
import VaultModel

/// The vault's services wired over one store, one key set and the policy in force.
public struct ProfileVault: Sendable {
    /// Nothing outside the vault's services touches the store (tests reach it with `@testable`).
    let store: any VaultStore
    public let keys: VaultKeys
    public let policies: PolicyState
    public let ingest: IngestPipeline
    public let events: EventPipeline
    public let views: ViewService
    public let reader: ProfileReader
    public let tokens: TokenService
    public let lookup: LookupService
    public let audit: AuditLog
    public let consents: ConsentService
    public let policyService: PolicyService
    public let segments: SegmentService
    public let requests: RequestService
    public let rotation: KeyRotation
    public let backups: BackupService
    public let retention: RetentionService
    public let consoleSessions: ConsoleSessionService
    public let subjects: SubjectDirectory
    /// The last page-level check of the database (at start, then on a schedule).
    public let integrity = StorageIntegrity()

    /// Checks the database's pages now and records the result in `integrity`; false when damaged.
    @discardableResult
    public func checkStorageIntegrity() async -> Bool { await integrity.check(store) }

    /// The bundle in force now (a snapshot).
    public var bundle: PolicyBundle { policies.current.bundle }

    /// `dualControl`: a token for a role shown personal values works only once a second
    /// principal approved it (`TokenService.approve`).
    public init(
        store: any VaultStore, readsAudit: (any AuditChainStorage & SynchronousAuditAppending)? = nil, keys: VaultKeys, policy: ActivePolicy,
        dataDirectory: URL, maximumBatch: Int = 1000, dualControl: Bool = false, faultPoint: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        self.store = store
        self.keys = keys
        policies = PolicyState(policy)
        audit = try AuditLog(
            store: store, reads: readsAudit, chain: keys.auditChain, signingKey: keys.signingKey,
            anchorsFile: dataDirectory.appendingPathComponent("audit-anchors.jsonl"))
        ingest = IngestPipeline(store: store, keys: keys, policies: policies, maximumBatch: maximumBatch)
        events = EventPipeline(store: store, keys: keys, policies: policies, maximumBatch: maximumBatch)
        reader = ProfileReader(store: store, keys: keys, policies: policies)
        views = ViewService(reader: reader, keys: keys, policies: policies, audit: audit)
        tokens = TokenService(store: store, keys: keys, policies: policies, dualControl: dualControl)
        lookup = LookupService(store: store, keys: keys, policies: policies, audit: audit)
        consents = ConsentService(store: store, keys: keys, policies: policies, reader: reader, audit: audit)
        policyService = PolicyService(store: store, keys: keys, state: policies, audit: audit)
        segments = SegmentService(store: store, keys: keys, views: views, policies: policies)
        requests = RequestService(
            store: store, keys: keys, policies: policies, reader: reader, lookup: lookup, consents: consents, ingest: ingest,
            audit: audit, ledger: ErasureLedger(file: dataDirectory.appendingPathComponent(ErasureLedger.fileName)),
            faultPoint: faultPoint)
        rotation = KeyRotation(store: store, keys: keys, audit: audit, faultPoint: faultPoint)
        backups = BackupService(store: store, audit: audit, dataDirectory: dataDirectory, vaultID: keys.rows.vaultID)
        retention = RetentionService(store: store, keys: keys, policies: policies)
        consoleSessions = ConsoleSessionService(store: store, keys: keys)
        subjects = SubjectDirectory(store: store)
    }

    /// Opens (or creates) a SQLite vault in `dataDirectory`.
    public static func openSQLite(
        dataDirectory: URL, policies: URL, keySource: MasterKeySource? = nil,
        phoneRegion: String = "US", maximumBatch: Int = 1000, dualControl: Bool = false,
        faultPoint: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> ProfileVault {
        try FileManager.default.createDirectory(
            at: dataDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        try DataDirectoryPermissions.check(dataDirectory)
        let store = try SQLiteVaultStore(path: dataDirectory.appendingPathComponent("vault.sqlite").path)
        // The reads chain in a file of its own: views commit nothing to the store's file.
        let reads = try SQLiteReadAuditFile(path: dataDirectory.appendingPathComponent(SQLiteReadAuditFile.fileName).path)
        let files = ["vault.sqlite", SQLiteReadAuditFile.fileName]
        DataDirectoryPermissions.restrict(files.flatMap { [$0, $0 + "-wal", $0 + "-shm"] }, in: dataDirectory)
        return try await open(
            store: store, readsAudit: reads, dataDirectory: dataDirectory, policies: policies, keySource: keySource, phoneRegion: phoneRegion,
            maximumBatch: maximumBatch, dualControl: dualControl, faultPoint: faultPoint)
    }

    /// Opens a vault over `store`. `dataDirectory` holds what stays on this node whatever the
    /// store: the master key file (unless it comes from the environment), the signed audit
    /// anchors, the erasure ledger and the published anchor-signing key.
    public static func open(
        store: any VaultStore, readsAudit: (any AuditChainStorage & SynchronousAuditAppending)? = nil, dataDirectory: URL, policies: URL,
        keySource: MasterKeySource? = nil,
        phoneRegion: String = "US", maximumBatch: Int = 1000, dualControl: Bool = false,
        faultPoint: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> ProfileVault {
        try FileManager.default.createDirectory(
            at: dataDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        try DataDirectoryPermissions.check(dataDirectory)
        // The policy directory seeds version 1 on the first start only; afterwards the database
        // holds every applied version, and vaultd starts without the directory.
        let seed = { @Sendable () throws -> CompiledPolicy in
            guard FileManager.default.fileExists(atPath: policies.path) else { throw PolicyDirectoryMissing(path: policies.path) }
            return try CompiledPolicy.load(directory: policies, phoneRegion: phoneRegion)
        }
        let source = keySource ?? .file(path: dataDirectory.appendingPathComponent("master.key").path)
        let keys = try await VaultKeys.open(store: store, source: source)
        // A crash inside an append can leave a torn last line in the ledger or the anchors file.
        let anchorsFile = dataDirectory.appendingPathComponent("audit-anchors.jsonl")
        for file in [dataDirectory.appendingPathComponent(ErasureLedger.fileName), anchorsFile] { try AppendOnlyFile.dropTornTail(of: file) }
        // Before anything appends to the chain (row tags, the first policy version): it must
        // still hold every anchored head.
        try await AuditLog(store: store, reads: readsAudit, chain: keys.auditChain, signingKey: keys.signingKey, anchorsFile: anchorsFile)
            .checkAnchorsAtStart()
        try await RowTagsInForce.establish(store: store, keys: keys, dataDirectory: dataDirectory)
        try await RowTagsInForce.establishSubjects(store: store, keys: keys, dataDirectory: dataDirectory)
        try await SealedCopiesInForce.establish(store: store, keys: keys, dataDirectory: dataDirectory)
        let policy = try await PolicyService.initial(store: store, keys: keys, seed: seed, phoneRegion: phoneRegion)
        let vault = try ProfileVault(
            store: store, readsAudit: readsAudit, keys: keys, policy: policy, dataDirectory: dataDirectory, maximumBatch: maximumBatch,
            dualControl: dualControl, faultPoint: faultPoint)
        try vault.requests.ledger.createIfMissing()
        try vault.requests.ledger.claim(for: keys.rows.vaultID)
        try BackupService.removeOrphans(in: dataDirectory)
        DataDirectoryPermissions.restrict([ErasureLedger.fileName, "audit-anchors.jsonl"], in: dataDirectory)
        // Before anything is served: nobody the erasure ledger names may come back, and
        // executions a crash interrupted are finished.
        _ = try await vault.requests.replayErasureLedger()
        _ = try await vault.requests.resumeInProgress()
        // Event totals left pending (by the migration that introduced them, or by a retention
        // sweep or key rotation a crash interrupted) are sealed before anything is served, and
        // after the replay: nobody erased is opened again.
        try await EventTotalsHealer.heal(store: store, keys: keys)
        try await vault.requests.sealClearFreeText()
        await vault.integrity.check(store)
        // Publish the anchor-signing public key so anchors and receipts can be checked outside the vault.
        let publicKey = dataDirectory.appendingPathComponent("audit-signing.pub")
        try (Data(vault.audit.publicKey.bytes).base64EncodedString() + "\n").write(to: publicKey, atomically: true, encoding: .utf8)
        return vault
    }
}
