import Audit
import Catalog
import Consent
import Foundation
import Identity
import Storage
import VaultCrypto
import VaultModel

/// The sealed part of a consent event.
///
/// `decision` repeats the columns the state is computed from (status, lawful basis,
/// jurisdiction, expiry) inside the ciphertext: the reader compares them, so a database
/// writer who turns a withdrawal into a grant gets an integrity error, not consent
/// (`ConsentDecision`). Events recorded before it have none and are read as stored.
struct ConsentBody: Codable {
    let channel: String?
    let notice_version: String?
    let evidence: String?
    let decision: String?

    init(channel: String?, notice_version: String?, evidence: String?, decision: String?) {
        self.channel = channel
        self.notice_version = notice_version
        self.evidence = evidence
        self.decision = decision
    }

    /// An opened body, read with `JSONParser` like event bodies (every view opens its subject's
    /// ledger). Missing or null members are nil; any other type is corruption.
    init(opened bytes: [UInt8]) throws {
        guard case .object(let members)? = try? JSONParser.parse(bytes) else { throw StoreError.corrupt("consent body") }
        func text(_ name: String) throws -> String? {
            switch members[name] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default: throw StoreError.corrupt("consent body")
            }
        }
        self.init(
            channel: try text("channel"), notice_version: try text("notice_version"), evidence: try text("evidence"),
            decision: try text("decision"))
    }
}

/// The decision columns of a consent event as one string, sealed in its body and compared
/// with the row when it is read.
enum ConsentDecision {
    static func encode(status: String, lawfulBasis: String, jurisdiction: String?, expiresAt: Date?) -> String {
        let expires = expiresAt.map { String($0.unixMillis) }
        return [status, lawfulBasis, jurisdiction.map { "=" + $0 } ?? "", expires ?? ""].map { "\($0.utf8.count):\($0)" }.joined()
    }
}

/// Records consent events and answers what a subject currently permits.
public struct ConsentService: Sendable {
    let store: any VaultStore
    let keys: VaultKeys
    let policies: PolicyState
    let reader: ProfileReader
    let audit: AuditLog
    var bundle: PolicyBundle { policies.current.bundle }

    public init(store: any VaultStore, keys: VaultKeys, policies: PolicyState, reader: ProfileReader, audit: AuditLog) {
        self.store = store
        self.keys = keys
        self.policies = policies
        self.reader = reader
        self.audit = audit
    }

    /// Records the events of one request for one subject; all or nothing.
    /// Returns the subject (after merges) and the events recorded.
    public func record(
        _ raw: JSONValue, for id: SubjectID, gpcHeader: Bool = false, caller: Caller, now: Date = Date()
    ) async throws -> (SubjectID, [ConsentEvent]) {
        let inputs = try ConsentValidator(purposes: bundle.purposes).validate([raw], gpcHeader: gpcHeader, now: now)[0]
        guard let subject = try await store.canonicalSubject(of: id) else { throw ViewError.notFound }
        try await append([(subject, inputs)], caller: caller, now: now)
        return (subject, inputs)
    }

    /// Bulk from a source: each item names its record by the source's key.
    public func recordBulk(_ raw: [JSONValue], from source: SourceName, gpcHeader: Bool, caller: Caller, now: Date = Date()) async throws -> [(SubjectID, Int)]
    {
        guard !raw.isEmpty else { throw IngestError.emptyBatch }
        guard raw.count <= 1000 else { throw IngestError.batchTooLarge(count: raw.count, limit: 1000) }
        let inputs = try ConsentValidator(purposes: bundle.purposes).validate(raw, gpcHeader: gpcHeader, now: now, requireKey: true)
        var keyIndexes: [BlindIndex] = []
        for item in raw {
            guard case .object(let object) = item, case .string(let key)? = object["key"] else { continue }
            keyIndexes.append(keys.blindIndexer.index(source: source, recordKey: Sensitive(key.trimmingCharacters(in: .whitespacesAndNewlines))))
        }
        let snapshot = try await store.resolutionSnapshot(source: source, sourceKeys: keyIndexes, identifiers: [])
        var issues: [BatchIssue] = []
        var batch: [(SubjectID, [ConsentEvent])] = []
        for (index, keyIndex) in keyIndexes.enumerated() {
            guard let subject = snapshot.subjectBySourceKey[keyIndex.bytes] else {
                issues.append(BatchIssue(index: index, field: "key", type: "unknown-source-key", reason: "no record of this source has this key"))
                continue
            }
            batch.append((subject, inputs[index]))
        }
        guard issues.isEmpty else { throw IngestError.invalidBatch(issues) }
        try await append(batch, caller: caller, now: now)
        return batch.map { ($0.0, $0.1.count) }
    }

    func append(_ batch: [(SubjectID, [ConsentEvent])], caller: Caller, now: Date) async throws {
        for _ in 0..<5 {
            var sealed: [SealedConsent] = []
            var dataKeys: [SubjectID: SymmetricKey] = [:]
            var wrappedKeys: [SubjectID: [UInt8]] = [:]
            for (subject, events) in batch {
                if dataKeys[subject] == nil {
                    guard let wrapped = try await store.wrappedKey(of: subject) else { throw ViewError.notFound }
                    dataKeys[subject] = try keys.unwrapDataKey(wrapped, of: subject)
                    wrappedKeys[subject] = wrapped.bytes
                }
                for event in events {
                    let body = ConsentBody(
                        channel: event.channel, notice_version: event.noticeVersion, evidence: event.evidence?.unsafeValue,
                        decision: ConsentDecision.encode(
                            status: event.status.rawValue, lawfulBasis: event.lawfulBasis.rawValue,
                            jurisdiction: event.jurisdiction, expiresAt: event.expiresAt))
                    let ciphertext = try Envelope.seal(
                        Array(try EventPipeline.encoder.encode(body)), key: dataKeys[subject]!,
                        context: SealContext.consent(owner: subject, purpose: event.purpose.rawValue, occurredAt: event.occurredAt))
                    sealed.append(
                        SealedConsent(
                            subjectID: subject, keyOwner: subject, sealedUnder: wrappedKeys[subject]!, purpose: event.purpose.rawValue,
                            status: event.status.rawValue,
                            lawfulBasis: event.lawfulBasis.rawValue, jurisdiction: event.jurisdiction, occurredAt: event.occurredAt,
                            expiresAt: event.expiresAt, recordedAt: now, recordedBy: caller.principal, ciphertext: ciphertext))
                }
            }
            let purposes = Set(sealed.map(\.purpose)).sorted()
            let audit = AuditWrite(
                draft: caller.draft("consent.record", detail: "\(sealed.count) events: \(purposes.joined(separator: ","))", at: now),
                chain: keys.auditChain)
            do {
                try await store.appendConsents(sealed, audit: audit)
                return
            } catch StoreError.staleResolution {
                continue  // merged or erased meanwhile: resolve again
            }
        }
        throw IngestError.contention
    }

    /// The current state and the whole ledger of a subject, audited as a read; a restricted
    /// subject's to compliance only, as its view.
    public func show(_ id: SubjectID, caller: Caller, now: Date = Date()) async throws -> (SubjectID, ConsentState, [ConsentEvent]) {
        guard let profile = try await reader.readForView(id) else {
            try await audit.record(caller.draft("consent.read", subjects: [id.description], outcome: "refused", detail: "no such subject"))
            throw ViewError.notFound
        }
        if profile.restricted && caller.role != .compliance {
            // Restriction of processing: only compliance reads the subject, its ledger included.
            try await audit.record(caller.draft("consent.read", subjects: [profile.subjectID.description], outcome: "denied", detail: "subject restricted"))
            throw ViewError.restricted
        }
        try await audit.record(caller.draft("consent.read", subjects: [profile.subjectID.description], detail: "\(profile.consents.count) events"))
        return (profile.subjectID, profile.consentState, profile.consents)
    }
}
