import Audit
import Foundation
import Identity
import PostgresNIO
import Storage
import VaultModel

extension PostgresVaultStore {
    /// Three statements for the whole batch (source keys, identifiers, data keys): one round trip
    /// per key or identifier was three per record, most of PostgreSQL ingest's time.
    public func resolutionSnapshot(source: SourceName, sourceKeys: [BlindIndex], identifiers: [BlindIndex]) async throws -> ResolutionSnapshot {
        try await read { s in
            var snapshot = ResolutionSnapshot()
            var subjects: Set<String> = []
            if !sourceKeys.isEmpty {
                for row in try await s.rows("""
                    SELECT key_index, subject_id FROM source_records
                    WHERE source = \(source.rawValue) AND key_index = ANY(\(Self.distinctBytea(sourceKeys)))
                    """) {
                    let id = try row.get("subject_id", as: String.self)
                    if let subject = SubjectID(id) {
                        snapshot.subjectBySourceKey[try row.bytes("key_index")] = subject
                        subjects.insert(id)
                    }
                }
            }
            if !identifiers.isEmpty {
                var found: [[UInt8]: [SubjectID]] = [:]
                for row in try await s.rows("""
                    SELECT DISTINCT blind_index, subject_id FROM identifiers WHERE blind_index = ANY(\(Self.distinctBytea(identifiers)))
                    """) {
                    let id = try row.get("subject_id", as: String.self)
                    if let subject = SubjectID(id) {
                        found[try row.bytes("blind_index"), default: []].append(subject)
                        subjects.insert(id)
                    }
                }
                for (index, ids) in found { snapshot.subjectsByIdentifier[index] = ids.sorted() }
            }
            if !subjects.isEmpty {
                for row in try await s.rows("SELECT subject_id, kek_version, wrapped_dek FROM subjects WHERE subject_id = ANY(\(Array(subjects)))") {
                    if let subject = SubjectID(try row.get("subject_id", as: String.self)) {
                        snapshot.wrappedKeys[subject] = WrappedKey(kekVersion: try row.get("kek_version", as: Int.self), bytes: try row.bytes("wrapped_dek"))
                    }
                }
            }
            return snapshot
        }
    }

    /// Blind indexes bound as one `bytea[]`, each once.
    static func distinctBytea(_ indexes: [BlindIndex]) -> [ByteBuffer] {
        var seen: Set<[UInt8]> = []
        return indexes.compactMap { seen.insert($0.bytes).inserted ? bytea($0.bytes) : nil }
    }

    public func commit(records: [SealedRecord], source: SourceName, at time: Date, audit: AuditWrite) async throws -> [IngestOutcome] {
        try await write { s in
            // Most vaults have erased nobody yet, or few: one probe per batch spares three per record.
            let anySuppressed = try await s.exists("SELECT 1 FROM suppressions LIMIT 1")
            var outcomes: [IngestOutcome] = []
            for record in records {
                outcomes.append(try await Self.commit(s, record: record, source: source, at: time, checkSuppressions: anySuppressed))
            }
            var draft = audit.draft
            draft.subjectIDs = Array(Set(outcomes.filter { $0.kind != .suppressed }.map(\.subjectID.description))).sorted()
            let suppressed = outcomes.filter { $0.kind == .suppressed }.count
            if suppressed > 0 { draft.detail = (draft.detail ?? "") + ", \(suppressed) suppressed" }
            try await self.appendAudit(s, [draft], chain: audit.chain)
            return outcomes
        }
    }

    /// Resolves and stores one record inside the batch transaction; the same rules as the
    /// SQLite store (`SQLiteVaultStore.commit(_:record:…)`), which the conformance suite holds both to.
    static func commit(_ s: PostgresSession, record: SealedRecord, source: SourceName, at time: Date, checkSuppressions: Bool) async throws -> IngestOutcome {
        let now = millis(time)
        let owner = record.keyOwner.description
        // An erased person stays erased: a record carrying any of their identifiers, or a source
        // key of theirs, is refused without storing anything (`RecordProbeStatement`).
        let probe = try await s.rows(RecordProbeStatement(source: source.rawValue, keyIndex: record.keyIndex.bytes,
                                                          identifiers: record.identifiers.map(\.index.bytes), owner: owner,
                                                          checkSuppressions: checkSuppressions))[0]
        if try probe.get("suppressed", as: Bool.self) { return .suppressed }
        var candidates: Set<String> = []
        let existingID = try probe.get("record_id", as: Int64?.self)
        if existingID != nil { candidates.insert(try probe.get("subject_id", as: String.self)) }
        if let attached = record.attachedTo {
            guard let canonical = try await canonical(s, attached) else { throw StoreError.staleResolution }
            candidates.insert(canonical.description)
        }
        candidates.formUnion(try probe.get("matches", as: [String].self))
        // nil: the planned owner is gone (erased meanwhile); false: it was merged away.
        let ownerSurvives = try probe.get("owner_survives", as: Bool?.self)
        if record.newSubject == nil, ownerSurvives == nil { throw StoreError.staleResolution }
        // Its key rotated since the plan: the values would not open under the new one.
        if record.newSubject == nil, try probe.bytes("owner_key") != record.sealedUnder { throw StoreError.staleResolution }

        let target: String
        let kind: IngestOutcomeKind
        switch candidates.count {
        case 0 where record.newSubject != nil || ownerSurvives == true:
            target = owner // a subject not merged away is its own canonical id
            kind = record.newSubject == nil ? .linked : .created
        case 0:
            target = try await canonical(s, record.keyOwner)?.description ?? owner
            kind = .linked
        case 1:
            target = candidates.first!
            kind = .linked
        default:
            target = try await mergeAll(s, candidates, at: now)
            kind = .merged
        }
        if record.newSubject == nil, owner != target, try await canonical(s, record.keyOwner)?.description != target {
            // Sealed for a subject the record no longer resolves to (see the SQLite store).
            throw StoreError.staleResolution
        }
        // A minted subject goes in with its record's statement unless something refers to it first.
        let subjectWithRecord = record.newSubject != nil && target == owner && existingID == nil
        if let new = record.newSubject, !subjectWithRecord { try await insertSubject(s, new, at: now) }
        if record.newSubject != nil, target != owner {
            // The freshly minted subject only holds a data key now: alias it to the target.
            try await s.execute("UPDATE subjects SET merged_into = \(target) WHERE subject_id = \(owner)")
            try await s.execute("""
                INSERT INTO merges (winner, loser, kind, merged_at, record_ids) VALUES (\(target), \(owner), 'key_alias', \(now), '[]')
                """)
        }

        guard let recordID = existingID else {
            // A new record: its subject (if minted and not aliased above), the record, its values
            // and identifiers in one statement. Every value is new, so every identifier follows.
            _ = try await s.rows(NewRecordStatement(record: record, source: source.rawValue, target: target, owner: owner,
                                                    newSubject: subjectWithRecord ? record.newSubject : nil, now: now,
                                                    observed: millis(record.observedAt)))
            return IngestOutcome(subjectID: SubjectID(target)!, kind: kind)
        }
        try await s.execute("""
            UPDATE source_records SET subject_id = \(target), key_owner = \(owner), key_ciphertext = \(bytea(record.keyCiphertext)),
                updated_at = \(now) WHERE record_id = \(recordID)
            """)
        // A record moved to another subject takes its older values along.
        for table in ["field_values", "identifiers", "events"] {
            try await s.execute("UPDATE \(unescaped: table) SET subject_id = \(target) WHERE record_id = \(recordID) AND subject_id <> \(target)")
        }

        // All fields in one statement, all identifiers in another. Out-of-order delivery: the
        // WHERE of the upsert keeps a newer stored observation (SQLite's rule, in SQL), and
        // RETURNING names the fields actually written, whose identifiers follow them.
        let observed = millis(record.observedAt)
        var replaced: Set<String> = []
        if !record.fields.isEmpty {
            let names = record.fields.map(\.field.rawValue), ciphertexts = record.fields.map { bytea($0.ciphertext) }
            replaced = Set(try await s.column("""
                INSERT INTO field_values (record_id, field, subject_id, key_owner, observed_at, ciphertext)
                SELECT \(recordID), f, \(target), \(owner), \(observed), c FROM unnest(\(names)::text[], \(ciphertexts)::bytea[]) AS t(f, c)
                ON CONFLICT (record_id, field) DO UPDATE SET subject_id = EXCLUDED.subject_id, key_owner = EXCLUDED.key_owner,
                    observed_at = EXCLUDED.observed_at, ciphertext = EXCLUDED.ciphertext
                WHERE field_values.observed_at <= EXCLUDED.observed_at
                RETURNING field
                """, as: String.self))
        }
        let identifiers = record.identifiers.filter { replaced.contains($0.field.rawValue) }
        if !identifiers.isEmpty {
            let fields = identifiers.map(\.field.rawValue), versions = identifiers.map(\.index.version), indexes = identifiers.map { bytea($0.index.bytes) }
            try await s.execute("""
                INSERT INTO identifiers (record_id, field, bi_version, blind_index, subject_id)
                SELECT \(recordID), f, v, b, \(target) FROM unnest(\(fields)::text[], \(versions)::bigint[], \(indexes)::bytea[]) AS t(f, v, b)
                ON CONFLICT (record_id, field) DO UPDATE SET bi_version = EXCLUDED.bi_version, blind_index = EXCLUDED.blind_index,
                    subject_id = EXCLUDED.subject_id
                """)
        }
        return IngestOutcome(subjectID: SubjectID(target)!, kind: kind)
    }

    static func insertSubject(_ s: PostgresSession, _ new: NewSubject, at now: Int64) async throws {
        try await s.execute("""
            INSERT INTO subjects (subject_id, kek_version, wrapped_dek, created_at)
            VALUES (\(new.id.description), \(new.wrappedKey.kekVersion), \(bytea(new.wrappedKey.bytes)), \(now))
            """)
    }

    /// Whether `owner` still exists and holds the wrapped data key a write was sealed under
    /// (see the SQLite store's `holdsKey`).
    static func holdsKey(_ s: PostgresSession, _ owner: SubjectID, _ sealedUnder: [UInt8]) async throws -> Bool {
        guard let row = try await s.row("SELECT wrapped_dek FROM subjects WHERE subject_id = \(owner.description)") else { return false }
        return try row.bytes("wrapped_dek") == sealedUnder
    }

    /// Merges every candidate into the oldest one and records which records moved. A
    /// restriction on any of them carries over to the survivor (see the SQLite store).
    static func mergeAll(_ s: PostgresSession, _ candidates: Set<String>, at now: Int64) async throws -> String {
        var created: [(id: String, at: Int64)] = []
        for row in try await s.rows("SELECT subject_id, created_at FROM subjects WHERE subject_id = ANY(\(Array(candidates)))") {
            created.append((try row.get("subject_id"), try row.get("created_at")))
        }
        for id in candidates where !created.contains(where: { $0.id == id }) { created.append((id, .max)) }
        created.sort { $0.at != $1.at ? $0.at < $1.at : $0.id < $1.id }
        let winner = created[0].id
        for loser in created.dropFirst().map(\.id) {
            let moved = try await s.column("SELECT record_id FROM source_records WHERE subject_id = \(loser) ORDER BY record_id", as: Int64.self)
            for table in ["source_records", "field_values", "identifiers", "events", "consent_events"] {
                try await s.execute("UPDATE \(unescaped: table) SET subject_id = \(winner) WHERE subject_id = \(loser)")
            }
            try await s.execute("UPDATE subjects SET merged_into = \(winner) WHERE subject_id = \(loser) OR merged_into = \(loser)")
            try await s.execute("""
                UPDATE subjects SET restricted = TRUE
                WHERE subject_id = \(winner) AND EXISTS (SELECT 1 FROM subjects WHERE subject_id = \(loser) AND restricted)
                """)
            let lineage = "[" + moved.map(String.init).joined(separator: ",") + "]"
            try await s.execute("""
                INSERT INTO merges (winner, loser, kind, merged_at, record_ids) VALUES (\(winner), \(loser), 'identity', \(now), \(lineage))
                """)
        }
        return winner
    }

    public func commit(events: [SealedEvent], source: SourceName, audit: AuditWrite) async throws -> [EventOutcomeKind] {
        try await write { s in
            var subjects: Set<String> = []
            var outcomes: [EventOutcomeKind] = []
            for (index, event) in events.enumerated() {
                guard let record = try await s.row("""
                    SELECT record_id, subject_id FROM source_records WHERE source = \(source.rawValue) AND key_index = \(bytea(event.recordKeyIndex.bytes))
                    """) else { throw StoreError.unknownSourceKey(index: index) }
                guard try await Self.holdsKey(s, event.keyOwner, event.sealedUnder) else { throw StoreError.staleResolution }
                let subject = try record.get("subject_id", as: String.self)
                if event.keyOwner.description != subject, try await Self.canonical(s, event.keyOwner)?.description != subject {
                    throw StoreError.staleResolution // sealed for the record's earlier subject (see the SQLite store)
                }
                let inserted = try await s.execute("""
                    INSERT INTO events (source, event_index, record_id, subject_id, key_owner, type, occurred_at, ciphertext)
                    VALUES (\(source.rawValue), \(bytea(event.eventIndex.bytes)), \(try record.get("record_id", as: Int64.self)), \(subject),
                            \(event.keyOwner.description), \(event.type), \(Self.millis(event.occurredAt)), \(bytea(event.ciphertext)))
                    ON CONFLICT (source, event_index) DO NOTHING
                    """)
                subjects.insert(subject)
                outcomes.append(inserted > 0 ? .created : .duplicate)
            }
            var draft = audit.draft
            draft.subjectIDs = subjects.sorted()
            try await self.appendAudit(s, [draft], chain: audit.chain)
            return outcomes
        }
    }
}
