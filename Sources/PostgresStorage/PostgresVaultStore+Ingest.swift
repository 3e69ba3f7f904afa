import Audit
import Foundation
import Identity
import PostgresNIO
import Storage
import VaultModel

extension PostgresVaultStore {
    public func resolutionSnapshot(source: SourceName, sourceKeys: [BlindIndex], identifiers: [BlindIndex]) async throws -> ResolutionSnapshot {
        try await read { s in
            var snapshot = ResolutionSnapshot()
            var subjects: Set<String> = []
            for key in sourceKeys {
                if let id = try await s.column("""
                    SELECT subject_id FROM source_records WHERE source = \(source.rawValue) AND key_index = \(bytea(key.bytes))
                    """, as: String.self).first, let subject = SubjectID(id) {
                    snapshot.subjectBySourceKey[key.bytes] = subject
                    subjects.insert(id)
                }
            }
            for index in identifiers {
                let ids = try await s.column("SELECT DISTINCT subject_id FROM identifiers WHERE blind_index = \(bytea(index.bytes))", as: String.self)
                if !ids.isEmpty {
                    snapshot.subjectsByIdentifier[index.bytes] = ids.compactMap(SubjectID.init).sorted()
                    subjects.formUnion(ids)
                }
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
        if checkSuppressions {
            let indexes = ([record.keyIndex] + record.identifiers.map(\.index)).map { bytea($0.bytes) }
            if try await s.exists("SELECT 1 FROM suppressions WHERE blind_index = ANY(\(indexes))") { return .suppressed }
        }
        var candidates: Set<String> = []
        let existing = try await s.row("""
            SELECT record_id, subject_id FROM source_records WHERE source = \(source.rawValue) AND key_index = \(bytea(record.keyIndex.bytes))
            """)
        if let existing { candidates.insert(try existing.get("subject_id", as: String.self)) }
        if let attached = record.attachedTo {
            guard let canonical = try await canonical(s, attached) else { throw StoreError.staleResolution }
            candidates.insert(canonical.description)
        }
        if !record.identifiers.isEmpty {
            let indexes = record.identifiers.map { bytea($0.index.bytes) }
            candidates.formUnion(try await s.column("SELECT DISTINCT subject_id FROM identifiers WHERE blind_index = ANY(\(indexes))", as: String.self))
        }

        let owner = record.keyOwner.description
        if let new = record.newSubject {
            try await s.execute("""
                INSERT INTO subjects (subject_id, kek_version, wrapped_dek, created_at)
                VALUES (\(new.id.description), \(new.wrappedKey.kekVersion), \(bytea(new.wrappedKey.bytes)), \(now))
                """)
        } else {
            guard try await s.exists("SELECT 1 FROM subjects WHERE subject_id = \(owner)") else { throw StoreError.staleResolution }
        }

        let target: String
        let kind: IngestOutcomeKind
        switch candidates.count {
        case 0:
            target = try await canonical(s, record.keyOwner)?.description ?? owner
            kind = record.newSubject == nil ? .linked : .created
        case 1:
            target = candidates.first!
            kind = .linked
        default:
            target = try await mergeAll(s, candidates, at: now)
            kind = .merged
        }
        if record.newSubject != nil, target != owner {
            // The freshly minted subject only holds a data key now: alias it to the target.
            try await s.execute("UPDATE subjects SET merged_into = \(target) WHERE subject_id = \(owner)")
            try await s.execute("""
                INSERT INTO merges (winner, loser, kind, merged_at, record_ids) VALUES (\(target), \(owner), 'key_alias', \(now), '[]')
                """)
        }

        let recordID: Int64
        if let existing {
            recordID = try existing.get("record_id", as: Int64.self)
            try await s.execute("""
                UPDATE source_records SET subject_id = \(target), key_owner = \(owner), key_ciphertext = \(bytea(record.keyCiphertext)),
                    updated_at = \(now) WHERE record_id = \(recordID)
                """)
            // A record moved to another subject takes its older values along.
            for table in ["field_values", "identifiers", "events"] {
                try await s.execute("UPDATE \(unescaped: table) SET subject_id = \(target) WHERE record_id = \(recordID) AND subject_id <> \(target)")
            }
        } else {
            recordID = try await s.column("""
                INSERT INTO source_records (source, key_index, bi_version, subject_id, key_owner, key_ciphertext, first_seen_at, updated_at)
                VALUES (\(source.rawValue), \(bytea(record.keyIndex.bytes)), \(record.keyIndex.version), \(target), \(owner),
                        \(bytea(record.keyCiphertext)), \(now), \(now))
                RETURNING record_id
                """, as: Int64.self)[0]
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

    /// Merges every candidate into the oldest one and records which records moved.
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
                guard try await s.exists("SELECT 1 FROM subjects WHERE subject_id = \(event.keyOwner.description)") else {
                    throw StoreError.staleResolution
                }
                let subject = try record.get("subject_id", as: String.self)
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
