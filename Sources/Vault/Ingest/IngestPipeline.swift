import Audit
import Catalog
import Foundation
import Identity
import Storage
import VaultCrypto
import VaultModel

/// Ingest of source records: validate → normalize → blind-index → plan the key owner →
/// seal under its data key → commit (resolution, merges, provenance) in one transaction.
public struct IngestPipeline: Sendable {
    let store: any VaultStore
    let keys: VaultKeys
    let policies: PolicyState
    public let maximumBatch: Int
    var catalog: FieldCatalog { policies.current.catalog }

    public init(store: any VaultStore, keys: VaultKeys, policies: PolicyState, maximumBatch: Int = 1000) {
        self.store = store
        self.keys = keys
        self.policies = policies
        self.maximumBatch = maximumBatch
    }

    public struct Result: Sendable {
        public let key: String
        public let outcome: IngestOutcome
    }

    /// `attachTo`: every record joins this subject (values rectified through a request).
    public func ingest(
        records raw: [JSONValue], from source: SourceName, caller: Caller, now: Date = Date(),
        attachTo: SubjectID? = nil
    ) async throws -> [Result] {
        let catalog = self.catalog  // one snapshot of the bundle for the whole batch
        guard catalog.sources[source] != nil else { throw IngestError.unknownSource(source.rawValue) }
        guard !raw.isEmpty else { throw IngestError.emptyBatch }
        guard raw.count <= maximumBatch else { throw IngestError.batchTooLarge(count: raw.count, limit: maximumBatch) }
        let records = try RecordValidator(catalog: catalog).validate(raw, now: now)
        let indexed = records.map { index($0, source: source, catalog: catalog) }
        let fieldNames = Set(records.flatMap { $0.fields.map(\.name.rawValue) }).sorted()
        let audit = AuditWrite(
            draft: caller.draft("records.ingest", fields: fieldNames, detail: "\(records.count) records", at: now),
            chain: keys.auditChain)
        // A concurrent writer can invalidate the plan (e.g. erase a planned key owner);
        // the store detects it and we plan again against the new state.
        for _ in 0..<5 {
            let sealed = try await plan(indexed, source: source, attachTo: attachTo)
            do {
                let outcomes = try await store.commit(records: sealed, source: source, at: now, audit: audit)
                return zip(records, outcomes).map { Result(key: $0.key.unsafeValue, outcome: $1) }
            } catch StoreError.staleResolution {
                continue
            }
        }
        // Still refused: either writers keep changing these subjects, or a record matches on an
        // identifier that an earlier record of the same batch replaces (planned together, the
        // store refuses that plan every time). The batch is applied atomically or not at all,
        // so nothing is stored; such records go in separate batches.
        throw IngestError.contention
    }

    struct IndexedRecord {
        let record: NormalizedRecord
        let keyIndex: BlindIndex
        let identifiers: [IdentifierIndex]
    }

    func index(_ record: NormalizedRecord, source: SourceName, catalog: FieldCatalog) -> IndexedRecord {
        let identifiers = record.fields.compactMap { field -> IdentifierIndex? in
            guard catalog.fields[field.name]?.isIdentifier == true else { return nil }
            return IdentifierIndex(field: field.name, index: keys.blindIndexer.index(field: field.name, normalized: field.value))
        }
        return IndexedRecord(record: record, keyIndex: keys.blindIndexer.index(source: source, recordKey: record.key), identifiers: identifiers)
    }

    /// Chooses each record's key owner (an existing matching subject, or a new one) and seals.
    func plan(_ records: [IndexedRecord], source: SourceName, attachTo: SubjectID? = nil) async throws -> [SealedRecord] {
        var snapshot = try await store.resolutionSnapshot(
            source: source, sourceKeys: records.map(\.keyIndex), identifiers: records.flatMap { $0.identifiers.map(\.index) })
        if let attachTo, let wrapped = try await store.wrappedKey(of: attachTo) { snapshot.wrappedKeys[attachTo] = wrapped }
        var dataKeys: [SubjectID: SymmetricKey] = [:]
        var wrappedKeys: [SubjectID: [UInt8]] = [:]  // as the store holds them: it checks them on commit
        // Subjects minted earlier in this batch, so two new records of one person share one.
        var minted: [[UInt8]: SubjectID] = [:]
        var sealed: [SealedRecord] = []
        sealed.reserveCapacity(records.count)
        for item in records {
            // The matcher's candidates on the snapshot, with the subjects minted earlier in the batch.
            let candidates = SubjectMatcher.candidates(
                existing: snapshot.subjectBySourceKey[item.keyIndex.bytes] ?? minted[item.keyIndex.bytes], attached: attachTo,
                identifierMatches: item.identifiers.flatMap {
                    (snapshot.subjectsByIdentifier[$0.index.bytes] ?? []) + [minted[$0.index.bytes]].compactMap { $0 }
                })
            var newSubject: NewSubject?
            let owner: SubjectID
            if let existing = SubjectMatcher.keyOwner(among: candidates, hasKey: { dataKeys[$0] != nil || snapshot.wrappedKeys[$0] != nil }) {
                owner = existing
                if dataKeys[owner] == nil {
                    dataKeys[owner] = try keys.unwrapDataKey(snapshot.wrappedKeys[owner]!, of: owner)
                    wrappedKeys[owner] = snapshot.wrappedKeys[owner]!.bytes
                }
            } else {
                owner = SubjectID.mint()
                let (key, wrapped) = try keys.mintDataKey(for: owner)
                dataKeys[owner] = key
                wrappedKeys[owner] = wrapped.bytes
                newSubject = NewSubject(id: owner, wrappedKey: wrapped)
            }
            minted[item.keyIndex.bytes] = minted[item.keyIndex.bytes] ?? (newSubject != nil ? owner : nil)
            for identifier in item.identifiers where minted[identifier.index.bytes] == nil && newSubject != nil {
                minted[identifier.index.bytes] = owner
            }
            let key = dataKeys[owner]!
            let fields = try item.record.fields.map { field in
                SealedFieldValue(
                    field: field.name,
                    ciphertext: try Envelope.seal(
                        Array(field.value.unsafeValue.utf8), key: key, context: SealContext.field(owner: owner, field: field.name, source: source)))
            }
            let keyCiphertext = try Envelope.seal(
                Array(item.record.key.unsafeValue.utf8), key: key,
                context: SealContext.recordKey(owner: owner, source: source))
            sealed.append(
                SealedRecord(
                    keyIndex: item.keyIndex, keyCiphertext: keyCiphertext, observedAt: item.record.observedAt,
                    keyOwner: owner, sealedUnder: wrappedKeys[owner]!, newSubject: newSubject, identifiers: item.identifiers, fields: fields,
                    attachedTo: attachTo))
        }
        return sealed
    }
}
