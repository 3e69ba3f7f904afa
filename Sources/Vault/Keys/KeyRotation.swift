import Audit
import Foundation
import Storage
import Synchronization
import VaultCrypto
import VaultModel

public enum KeyRotationError: Error, Sendable, CustomStringConvertible {
    case environmentKeySource
    case versionActive(Int)
    case versionInUse(Int, count: Int)
    case unknownVersion(Int)
    case pendingRectification
    case operationInProgress
    case rewrapPending(Int)
    case staleKeyring(active: Int, stored: Int)

    public var description: String {
        switch self {
        case .environmentKeySource:
            "the master key comes from the environment: add the next version to PROFILEVAULT_MASTER_KEY (VERSION:BASE64) and restart; the rewrap then runs by itself"
        case .versionActive(let v): "version \(v) is the active one and can't be retired"
        case .versionInUse(let v, let count): "version \(v) still wraps \(count) keys; wait for the rewrap to finish"
        case .unknownVersion(let v): "no master key version \(v)"
        case .pendingRectification: "the subject has a rectification request waiting for execution; execute or reject it first"
        case .operationInProgress: "another key rotation or retirement is in progress; try again when it has finished"
        case .rewrapPending(let n): "the previous rotation is still re-wrapping \(n) keys; rotate again once `keys status` shows none pending"
        case .staleKeyring(let active, let stored):
            "this vaultd's active master key is version \(active) but the database records version \(stored); restart it with the current key file"
        }
    }
}

/// Online master-key rotation: a new version becomes active at once (new data keys are wrapped
/// under it), and a background job re-wraps every existing data key and vault secret, in
/// batches, each row only if it is still under the version it was read under. The job's
/// state is the database itself (`kek_version` per row), so it resumes after any restart.
/// Rotation is complete when no key remains under an older version; only then can the old
/// version be retired (removed from the key file and from memory: unusable from then on).
public final class KeyRotation: Sendable {
    let store: any VaultStore
    let keys: VaultKeys
    let audit: AuditLog
    let faultPoint: @Sendable (String) -> Void
    /// Keys re-wrapped by this process and when the current run started, for the rate.
    private let progress = Mutex<(done: Int, since: ContinuousClock.Instant?)>((0, nil))

    init(store: any VaultStore, keys: VaultKeys, audit: AuditLog, faultPoint: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.keys = keys
        self.audit = audit
        self.faultPoint = faultPoint
    }

    public struct Status: Sendable {
        public let activeVersion: Int
        /// Keys (data keys and vault secrets) wrapped under each version.
        public let counts: [Int: Int]
        public var pending: Int { counts.filter { $0.key != activeVersion }.values.reduce(0, +) }
        public var total: Int { counts.values.reduce(0, +) }
        public let ratePerSecond: Double?
        public var etaSeconds: Double? { ratePerSecond.flatMap { $0 > 0 ? Double(pending) / $0 : nil } }
    }

    /// The keyring as the database records it: each master-key version, its state and check value.
    public func versions() async throws -> [KeyVersionRecord] { try await store.keyVersions() }

    public func status() async throws -> Status {
        let counts = try await store.wrappedKeyCounts()
        let idle = counts.filter { $0.key != keys.keyring.activeVersion }.values.reduce(0, +) == 0
        let rate: Double? = progress.withLock { state in
            // Nothing left to rewrap: the last rotation's rate is history, not a rate (and the
            // next rotation measures from its own start).
            if idle { state = (0, nil) }
            guard let since = state.since, state.done > 0 else { return nil }
            let elapsed = ContinuousClock.now - since
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return seconds > 0 ? Double(state.done) / seconds : nil
        }
        return Status(activeVersion: keys.keyring.activeVersion, counts: counts, ratePerSecond: rate)
    }

    /// How long a key operation may hold its lease before another may take it over (a holder
    /// killed mid-rotation blocks the next one this long at most; a rotation takes milliseconds).
    static let leaseDuration: TimeInterval = 60

    /// Runs `body` holding the key-operation lease; `operationInProgress` if another has it.
    func withKeyOperationLease<T: Sendable>(now: Date, _ body: () async throws -> T) async throws -> T {
        let holder = "\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
        guard try await store.acquireKeyOperationLease(holder: holder, now: now, expiresAt: now.addingTimeInterval(Self.leaseDuration)) else {
            throw KeyRotationError.operationInProgress
        }
        do {
            let value = try await body()
            try await store.releaseKeyOperationLease(holder: holder)
            return value
        } catch {
            try? await store.releaseKeyOperationLease(holder: holder)
            throw error
        }
    }

    /// Creates the next master-key version and makes it active, one rotation at a time across
    /// replicas (the key-operation lease; a second request gets `operationInProgress`, 409).
    ///
    /// Order, each step durable before the next, so a kill -9 between any two leaves a vault
    /// that starts (`VaultKeys.open` finishes or drops a `pending` version):
    /// 1. the new version's keyring row, `pending`, with its key check value: the number is the
    ///    database's, not this process's memory, so no two rotations can pick the same one;
    /// 2. the key file, written under a name of its own and read back (it must hold the key);
    /// 3. the row marked `active`; only then is the key used to wrap anything.
    public func rotate(caller: Caller, now: Date = Date()) async throws -> Int {
        guard case .file = keys.source else { throw KeyRotationError.environmentKeySource }
        let next = try await withKeyOperationLease(now: now) { () async throws -> Int in
            let known = try await store.keyVersions()
            let storedActive = known.filter { $0.state == "active" }.map(\.version).max() ?? 0
            guard storedActive == keys.keyring.activeVersion else {
                throw KeyRotationError.staleKeyring(active: keys.keyring.activeVersion, stored: storedActive)
            }
            let pending = try await status().pending
            guard pending == 0 else { throw KeyRotationError.rewrapPending(pending) }
            let next = max(known.map(\.version).max() ?? 0, keys.keyring.versions.keys.max() ?? 0) + 1
            let key = try SymmetricKey.generate()
            let checkValue = try Keyring.checkValue(of: key)
            try await store.insertKeyVersion(KeyVersionRecord(version: next, checkValue: checkValue, createdAt: now, state: "pending"))
            faultPoint("rotate-after-pending-row")
            var versions = keys.keyring.versions
            versions[next] = key
            try keys.source.write(versions)
            faultPoint("rotate-after-key-file")
            try await store.setKeyVersionState(next, state: "active")
            // The row must be ours and active before anything is wrapped under the key.
            guard
                try await store.keyVersions().contains(where: { $0.version == next && $0.state == "active" && ConstantTime.equals($0.checkValue, checkValue) })
            else {
                throw KeyRotationError.operationInProgress
            }
            faultPoint("rotate-after-activate-row")
            try keys.activate(key, version: next)
            return next
        }
        try await audit.record(caller.draft("keys.rotate", detail: "master key version \(next) active; re-wrapping older keys", at: now))
        return next
    }

    /// Re-wraps up to `limit` keys not under the active version; returns how many.
    public func rewrapBatch(limit: Int = 500) async throws -> Int {
        let active = keys.keyring.activeVersion
        var rewrapped = 0
        for (name, wrapped) in try await store.vaultKeys() where wrapped.kekVersion != active {
            try await store.replaceVaultKey(named: name, from: wrapped.kekVersion, with: try keys.rewrapSecret(named: name, wrapped))
            rewrapped += 1
        }
        let batch = try await store.dataKeys(notUnder: active, limit: limit)
        if !batch.isEmpty {
            let updates = try batch.map { (subject: $0.subject, from: $0.key.kekVersion, key: try keys.rewrap($0.key, of: $0.subject)) }
            rewrapped += try await store.replaceDataKeys(updates)
        }
        if rewrapped > 0 {
            progress.withLock { state in
                if state.since == nil { state.since = .now }
                state.done += rewrapped
            }
            faultPoint("rewrap-after-batch")
        }
        return rewrapped
    }

    /// Retires `version` once nothing is wrapped under it (under the key-operation lease).
    public func retire(_ version: Int, caller: Caller, now: Date = Date()) async throws {
        try await withKeyOperationLease(now: now) {
            guard keys.keyring.versions[version] != nil else { throw KeyRotationError.unknownVersion(version) }
            guard version != keys.keyring.activeVersion else { throw KeyRotationError.versionActive(version) }
            let count = try await store.wrappedKeyCounts()[version] ?? 0
            guard count == 0 else { throw KeyRotationError.versionInUse(version, count: count) }
            // The database first: a version it still lists as in use must stay in the key file, or
            // a crash between the two writes leaves a vault that refuses to start. The other way
            // round, a crash leaves a retired version in the file, which retiring again removes.
            try await store.setKeyVersionState(version, state: "retired")
            var versions = keys.keyring.versions
            versions[version] = nil
            if case .file = keys.source { try keys.source.write(versions) }
            keys.forget(version: version)
        }
        try await audit.record(caller.draft("keys.retire", detail: "master key version \(version) retired"))
    }
}

extension KeyRotation {
    /// Rotates one subject's data key: every value (fields, source keys, events, consents,
    /// also those sealed under merged-away subjects' keys) is re-encrypted under a fresh key
    /// in one transaction; the old keys are gone afterwards.
    public func rotateDataKey(of id: SubjectID, caller: Caller) async throws -> Int {
        guard let subject = try await store.canonicalSubject(of: id) else { throw ViewError.notFound }
        var pending = RequestFilter()
        pending.subjectID = subject
        pending.openOnly = true
        // A rectification waiting for execution holds values sealed under the current key.
        if try await store.requests(pending).contains(where: { $0.sealedDetails != nil }) {
            throw KeyRotationError.pendingRectification
        }
        for _ in 0..<3 {
            let rows = try await store.sealedRows(of: subject)
            var oldKeys: [SubjectID: SymmetricKey] = [:]
            for owner in Set(rows.map(\.keyOwner)).union([subject]) {
                // A value sealed by another subject is re-sealed as this person's only if that
                // subject was merged into them (authentic headers): otherwise a row moved here in
                // the database would become their authentic data.
                if owner != subject, try await store.canonicalSubject(of: owner) != subject { throw RowIntegrityError.subject }
                guard let wrapped = try await store.wrappedKey(of: owner) else { throw StoreError.corrupt("missing data key") }
                oldKeys[owner] = try keys.unwrapDataKey(wrapped, of: owner)
            }
            let (newKey, wrapped) = try keys.mintDataKey(for: subject)
            let resealed = try rows.map { row -> (row: SealedRow, ciphertext: [UInt8]) in
                let oldContext = Self.context(row, owner: row.keyOwner)
                let newContext = Self.context(row, owner: subject)
                let plaintext = try Envelope.open(row.ciphertext, key: oldKeys[row.keyOwner]!, context: oldContext)
                return (row, try Envelope.seal(plaintext, key: newKey, context: newContext))
            }
            let draft = caller.draft("keys.rotate_subject", subjects: [subject.description], detail: "\(rows.count) values re-encrypted under a new data key")
            do {
                try await store.replaceSubjectKey(subject, key: wrapped, rows: resealed, audit: AuditWrite(draft: draft, chain: keys.auditChain))
                // The replaced key left the subject's event totals pending: sealed again under the new one.
                _ = try? await EventTotalsHealer.heal(store: store, keys: keys, only: subject)
                return rows.count
            } catch StoreError.staleResolution {
                continue  // a write touched the subject meanwhile: read again
            }
        }
        throw IngestError.contention
    }

    static func context(_ row: SealedRow, owner: SubjectID) -> [UInt8] {
        switch row.table {
        case "field_values": SealContext.field(owner: owner, field: FieldName(row.field ?? ""), source: SourceName(row.source ?? "")!)
        case "source_records": SealContext.recordKey(owner: owner, source: SourceName(row.source ?? "")!)
        case "events": SealContext.event(owner: owner, source: SourceName(row.source ?? "")!, type: row.type ?? "")
        default: SealContext.consent(owner: owner, purpose: row.purpose ?? "", occurredAt: row.occurredAt ?? Date())
        }
    }
}
