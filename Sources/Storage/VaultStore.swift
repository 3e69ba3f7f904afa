import Audit
import Foundation
import Identity
import VaultModel

/// Durable state of the vault. A store sees ciphertext, blind indexes and metadata,
/// never plaintext personal data; each method is one transaction.
public protocol VaultStore: RequestStore, KeyStore, ConsoleSessionStore, EventTotalsStore, AuditChainStorage {
    // Keys
    func keyVersions() async throws -> [KeyVersionRecord]
    func insertKeyVersion(_ record: KeyVersionRecord) async throws
    func vaultKey(named name: String) async throws -> WrappedKey?
    func insertVaultKey(named name: String, _ key: WrappedKey) async throws

    // Ingest
    func resolutionSnapshot(source: SourceName, sourceKeys: [BlindIndex], identifiers: [BlindIndex]) async throws -> ResolutionSnapshot
    func commit(records: [SealedRecord], source: SourceName, at time: Date, audit: AuditWrite) async throws -> [IngestOutcome]
    /// Stores the new events and folds them into their groups' totals (`totals`), one transaction.
    func commit(events: [SealedEvent], source: SourceName, audit: AuditWrite, totals: EventTotalsFold) async throws -> [EventOutcomeKind]

    // Reads
    func canonicalSubject(of id: SubjectID) async throws -> SubjectID?
    /// The sealed profile of `id`, or of the subject it was merged into, with the events asked for.
    func sealedProfile(of id: SubjectID, events: ProfileEvents) async throws -> SealedProfile?
    func subjects(matching identifiers: [BlindIndex]) async throws -> [SubjectID]
    func subjectCount() async throws -> Int
    /// Those of `ids` whose processing is restricted, or whose survivor's is (an id merged away
    /// between a lookup's two reads): one read, no profile loaded.
    func restrictedSubjects(among ids: [SubjectID]) async throws -> Set<SubjectID>
    /// Surviving subjects holding a value of `field` (field names are stored in the clear).
    func subjects(having field: FieldName) async throws -> [SubjectID]
    /// Surviving subjects in id order after `after`, for scans.
    func subjectIDs(after: SubjectID?, limit: Int) async throws -> [SubjectID]

    // Consent: an append-only ledger per subject.
    func appendConsents(_ consents: [SealedConsent], audit: AuditWrite) async throws
    func wrappedKey(of subject: SubjectID) async throws -> WrappedKey?

    // Policy versions: the bundle in force is the latest one.
    func latestPolicyVersion() async throws -> PolicyVersionRecord?
    func policyVersions() async throws -> [PolicyVersionRecord]
    /// Inserts version `record.version`, which must be one more than the latest (else `staleResolution`).
    func insertPolicyVersion(_ record: PolicyVersionRecord, audit: AuditWrite?) async throws

    // Tokens
    func insertToken(_ token: TokenRecord, audit: AuditWrite?) async throws
    func token(withHash hash: [UInt8]) async throws -> TokenRecord?
    func tokens() async throws -> [TokenRecord]
    /// Sets `revoked_at` and the row's new tag `mac` (`RowAuthenticator`, over the revoked row),
    /// only while the row still carries `expectedMAC` (the tag of the state `mac` was computed
    /// from: an approval landing in between would otherwise leave a tag that never matches).
    func revokeToken(id: UUID, at time: Date, mac: [UInt8], expectedMAC: [UInt8]?, audit: AuditWrite) async throws -> Bool
    /// Marks an unrevoked, unapproved token as approved, with its new tag `mac` (the vault decides which may be);
    /// false (and nothing audited) when no such token.
    func approveToken(id: UUID, mac: [UInt8], audit: AuditWrite) async throws -> Bool

    /// Whether the database's pages are intact: `PRAGMA quick_check` on SQLite; nil where the
    /// store has no such check (PostgreSQL verifies page checksums itself as it reads them,
    /// when the cluster was initialised with them).
    func checkIntegrity() async throws -> Bool?

    // Row tags (`RowAuthenticator`)
    /// Tags the untagged rows named, with `audit`, in one transaction (once per vault: `RowTagsInForce`).
    func tagRows(tokens: [UUID: [UInt8]], policyVersions: [Int: [UInt8]], requests: [UUID: [UInt8]], audit: AuditWrite) async throws
    /// Tags and checks subject headers (set by the vault when its keys open).
    var rowTags: StoreRowTags { get }
    /// Tags every subject header without a tag, with the audit entry `audit` makes of their
    /// count, in one transaction (once per vault: `RowTagsInForce`). Returns the count.
    func tagUntaggedSubjects(audit: @Sendable (Int) -> AuditWrite) async throws -> Int
    /// Replaces sealed event and consent bodies of `subject` (each found by its current
    /// ciphertext, which is unique), in one transaction with `audit` if given; a body that
    /// changed meanwhile is `StoreError.staleResolution` and nothing is written.
    func rewriteSealedBodies(
        of subject: SubjectID, events: [(old: [UInt8], new: [UInt8])], consents: [(old: [UInt8], new: [UInt8])], audit: AuditWrite?)
        async throws

    // Audit: appends are fail-closed (see `AuditSinkState`).
    var auditSink: AuditSinkState { get }
    func appendAudit(_ drafts: [AuditDraft], chain: HashChain) async throws
    func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry]
    func auditHead() async throws -> (seq: Int64, hash: [UInt8])?
}

extension VaultStore {
    /// The sealed profile of `id` (or of its survivor) with every event.
    public func sealedProfile(of id: SubjectID) async throws -> SealedProfile? { try await sealedProfile(of: id, events: .all) }
}

/// Storage failures. Descriptions name tables and ids, never values.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// The plan a batch was sealed against no longer holds (a key owner vanished); retry.
    case staleResolution
    /// A source key named by an event has no record.
    case unknownSourceKey(index: Int)
    case corrupt(String)
    /// The audit entry could not be written, so the change or read it records is refused.
    case auditUnavailable
    /// This backend does not offer the operation (the text says what to use instead).
    case unsupported(String)

    public var description: String {
        switch self {
        case .staleResolution: "the batch was planned against state that changed; retry"
        case .unknownSourceKey(let index): "event \(index) names a source key with no record"
        case .corrupt(let what): "stored data is inconsistent: \(what)"
        case .auditUnavailable: "the audit log cannot be written; audited requests are refused until the vault is restarted"
        case .unsupported(let instead): "not available with this storage backend: \(instead)"
        }
    }
}
