import Audit
import Foundation
import GRDB
import Identity
import Storage
import VaultModel

extension SQLiteVaultStore {
    /// A batch's lookups in a few statements (up to `lookupChunk` values in each `IN` list)
    /// instead of one per source key, identifier and subject, ≈ 4 per record. Source-key links
    /// are checked (a lookup by record key answers from them); identifier links only guide the
    /// planner, and the commit reads and checks them again.
    public func resolutionSnapshot(source: SourceName, sourceKeys: [BlindIndex], identifiers: [BlindIndex]) async throws -> ResolutionSnapshot {
        try await pool.read { db in
            var snapshot = ResolutionSnapshot()
            var subjects: Set<String> = []
            for chunk in Self.distinctChunks(sourceKeys.map(\.bytes)) {
                let rows = try Row.fetchCursor(
                    db.makeStatement(
                        sql: """
                            SELECT key_index, subject_id, mac FROM source_records WHERE source = ? AND key_index IN (\(Self.placeholders(chunk.count)))
                            """), arguments: StatementArguments([source.rawValue] + chunk.map { Data($0) }))
                while let row = try rows.next() {
                    let keyIndex = [UInt8](row[0] as Data)
                    let subject = try Self.checkedRecordSubject(
                        source: source.rawValue, keyIndex: keyIndex, subject: row[1], mac: (row[2] as Data?).map { [UInt8]($0) }, self.rowTags)
                    snapshot.subjectBySourceKey[keyIndex] = subject
                    subjects.insert(subject.description)
                }
            }
            var found: [[UInt8]: [SubjectID]] = [:]
            for chunk in Self.distinctChunks(identifiers.map(\.bytes)) {
                let rows = try Row.fetchCursor(
                    db.makeStatement(
                        sql: """
                            SELECT DISTINCT blind_index, subject_id FROM identifiers WHERE blind_index IN (\(Self.placeholders(chunk.count)))
                            """), arguments: StatementArguments(chunk.map { Data($0) }))
                while let row = try rows.next() {
                    guard let subject = SubjectID(row[1] as String) else { continue }
                    found[[UInt8](row[0] as Data), default: []].append(subject)
                    subjects.insert(row[1])
                }
            }
            for (index, ids) in found { snapshot.subjectsByIdentifier[index] = ids.sorted() }
            for chunk in Self.distinctChunks(Array(subjects)) {
                let rows = try Row.fetchCursor(
                    db.makeStatement(
                        sql: """
                            SELECT subject_id, kek_version, wrapped_dek FROM subjects WHERE subject_id IN (\(Self.placeholders(chunk.count)))
                            """), arguments: StatementArguments(chunk))
                while let row = try rows.next() {
                    guard let subject = SubjectID(row[0] as String) else { continue }
                    snapshot.wrappedKeys[subject] = WrappedKey(kekVersion: row[1], bytes: [UInt8](row[2] as Data))
                }
            }
            return snapshot
        }
    }

    /// Most values in one `IN (…)` list; far below SQLite's limit of 32,766 parameters.
    static let lookupChunk = 500

    /// `values` without repeats, in chunks of at most `lookupChunk`.
    static func distinctChunks<T: Hashable>(_ values: [T]) -> [[T]] {
        var seen: Set<T> = []
        let distinct = values.filter { seen.insert($0).inserted }
        return stride(from: 0, to: distinct.count, by: lookupChunk).map { Array(distinct[$0..<min(distinct.count, $0 + lookupChunk)]) }
    }

    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ",")
    }

    public func commit(records: [SealedRecord], source: SourceName, at time: Date, audit: AuditWrite) async throws -> [IngestOutcome] {
        try await pool.write { db in
            // Most vaults have erased nobody yet, or few: one probe per batch spares three per record.
            let anySuppressed = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM suppressions)")) ?? true
            let outcomes = try records.map {
                try Self.commit(db, record: $0, source: source, at: time, checkSuppressions: anySuppressed, headers: self.rowTags)
            }
            var draft = audit.draft
            draft.subjectIDs = Array(Set(outcomes.filter { $0.kind != .suppressed }.map(\.subjectID.description))).sorted()
            let suppressed = outcomes.filter { $0.kind == .suppressed }.count
            if suppressed > 0 { draft.detail = (draft.detail ?? "") + ", \(suppressed) suppressed" }
            try self.appendAudit(db, [draft], chain: audit.chain)
            return outcomes
        }
    }

    /// Resolves and stores one record inside the batch transaction: reads what
    /// `SubjectMatcher` decides on, then applies its plan.
    ///
    /// The resolution here is authoritative: candidates are read in the same transaction. The
    /// planner's choice only decided which data key sealed the values.
    static func commit(
        _ db: Database, record: SealedRecord, source: SourceName, at time: Date, checkSuppressions: Bool = true, headers: StoreRowTags
    ) throws -> IngestOutcome {
        let now = millis(time)
        let reads = try matchReads(db, record: record, source: source, checkSuppressions: checkSuppressions, headers: headers)
        guard let plan = try SubjectMatcher.plan(record.matchRecord, reads).planToApply() else { return .suppressed }
        try apply(db, plan, record: record, source: source, at: now, headers: headers)
        return plan.outcome
    }

    /// What the matcher decides on, read in the write transaction. This function's statements
    /// bind and step through SQLite's C API (SQLiteRawAccess): they run ~10 times per record, and
    /// GRDB's argument boxing cost as much as SQLite's work.
    static func matchReads(
        _ db: Database, record: SealedRecord, source: SourceName, checkSuppressions: Bool, headers: StoreRowTags
    ) throws -> MatchReads {
        var reads = MatchReads()
        for index in [record.keyIndex] + record.identifiers.map(\.index) where checkSuppressions {
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM suppressions WHERE blind_index = ?"), arguments: [Data(index.bytes)]) == true {
                reads.suppressed = true
                return reads
            }
        }
        var existing: (recordID: Int64, subject: SubjectID)?
        try db.forEachRow(
            db.cachedStatement(sql: "SELECT record_id, subject_id, mac FROM source_records WHERE source = ? AND key_index = ?"),
            binding: {
                $0.bind(1, source.rawValue)
                $0.bind(2, record.keyIndex.bytes)
            },
            each: { row in
                guard let recordID = row.int64(0) else { throw StoreError.corrupt("source_records row") }
                let subject = try checkedRecordSubject(
                    source: source.rawValue, keyIndex: record.keyIndex.bytes, subject: row.text(1), mac: row.bytes(2), headers)
                existing = (recordID, subject)
            }
        )
        if let existing {
            var observed: [FieldName: Int64] = [:]
            try db.forEachRow(
                db.cachedStatement(sql: "SELECT field, observed_at FROM field_values WHERE record_id = ?"),
                binding: { $0.bind(1, existing.recordID) },
                each: { row in
                    if let field = row.text(0), let at = row.int64(1) { observed[FieldName(field)] = at }
                }
            )
            reads.existing = .init(recordID: existing.recordID, subject: existing.subject, observedAt: observed)
        }
        if let attached = record.attachedTo {
            reads.attachment = try canonical(db, attached, headers).map { .to($0) } ?? .gone
        }
        reads.identifierMatches = try record.identifiers.flatMap { try identifierSubjects(db, $0.index, headers) }
        if record.newSubject == nil, try holdsKey(db, record.keyOwner, record.sealedUnder), let canonical = try canonical(db, record.keyOwner, headers) {
            reads.owner = .holdsKey(canonical: canonical)
        }
        let candidates = SubjectMatcher.candidates(reads)
        if candidates.count > 1 {
            for id in candidates {
                try db.forEachRow(
                    db.cachedStatement(sql: "SELECT created_at, restricted, merged_into, mac FROM subjects WHERE subject_id = ?"),
                    binding: { $0.bind(1, id.description) },
                    each: { row in
                        let header = try checkedHeader(
                            id, mergedInto: row.text(2), restricted: (row.int64(1) ?? 0) != 0, mac: row.bytes(3).map { Data($0) }, headers)
                        reads.subjects[id] = SubjectFacts(createdAt: row.int64(0) ?? .max, restricted: header.restricted)
                    }
                )
            }
        }
        return reads
    }

    /// Writes what the matcher decided, in the plan's order.
    static func apply(_ db: Database, _ plan: MergePlan, record: SealedRecord, source: SourceName, at now: Int64, headers: StoreRowTags) throws {
        let target = plan.target.description
        let owner = record.keyOwner.description
        if let new = record.newSubject {
            let mac = headers.tag(SubjectHeader(id: new.id, mergedInto: nil, restricted: false))
            try db.run(db.cachedStatement(sql: "INSERT INTO subjects (subject_id, kek_version, wrapped_dek, created_at, mac) VALUES (?, ?, ?, ?, ?)")) {
                $0.bind(1, new.id.description)
                $0.bind(2, new.wrappedKey.kekVersion)
                $0.bind(3, new.wrappedKey.bytes)
                $0.bind(4, now)
                $0.bind(5, mac)
            }
        }
        for loserID in plan.mergedLosers {
            let loser = loserID.description
            let moved = try Int64.fetchAll(db.cachedStatement(sql: "SELECT record_id FROM source_records WHERE subject_id = ?"), arguments: [loser])
            try moveLinks(db, from: loserID, to: plan.target, headers)
            for table in ["field_values", "events", "event_totals", "consent_events"] {
                try db.execute(sql: "UPDATE \(table) SET subject_id = ? WHERE subject_id = ?", arguments: [target, loser])
            }
            // The loser and whatever was merged into it now point at the target, each header
            // checked before it is re-tagged.
            for header in try Self.headers(mergedOrIn: loserID, db, headers) {
                try writeHeader(db, SubjectHeader(id: header.id, mergedInto: plan.target, restricted: header.restricted), headers)
            }
            try db.execute(
                sql: "INSERT INTO merges (winner, loser, kind, merged_at, record_ids) VALUES (?, ?, 'identity', ?, ?)",
                arguments: [target, loser, now, MergePlan.lineage(moved)])
        }
        if plan.restrictTarget {
            try writeHeader(db, SubjectHeader(id: plan.target, mergedInto: nil, restricted: true), headers)
        }
        if let aliasID = plan.keyAliasOf {
            let alias = aliasID.description
            try writeHeader(db, SubjectHeader(id: aliasID, mergedInto: plan.target, restricted: false), headers)
            try db.cachedStatement(sql: "INSERT INTO merges (winner, loser, kind, merged_at, record_ids) VALUES (?, ?, 'key_alias', ?, '[]')")
                .execute(arguments: [target, alias, now])
        }

        let recordID: Int64
        switch plan.record {
        case .update(let id, let movesFrom):
            recordID = id
            let link = RecordLink(source: source.rawValue, keyIndex: record.keyIndex.bytes, subject: plan.target)
            try db.cachedStatement(
                sql: "UPDATE source_records SET subject_id = ?, key_owner = ?, key_ciphertext = ?, updated_at = ?, mac = ? WHERE record_id = ?"
            )
            .execute(arguments: [target, owner, Data(record.keyCiphertext), now, headers.tag(link).map { Data($0) }, recordID])
            // Each update moves rows between subjects' clusters, so it runs only when the subject changed.
            if let movesFrom {
                try db.cachedStatement(sql: "UPDATE field_values SET subject_id = ? WHERE record_id = ?").execute(arguments: [target, recordID])
                try relinkIdentifiers(
                    db, recordID: recordID, source: source.rawValue, keyIndex: record.keyIndex.bytes, from: movesFrom, to: plan.target, headers)
                try db.cachedStatement(sql: "UPDATE events SET subject_id = ? WHERE record_id = ?").execute(arguments: [target, recordID])
                try db.cachedStatement(sql: "UPDATE event_totals SET subject_id = ? WHERE record_id = ?").execute(arguments: [target, recordID])
            }
        case .insert:
            let recordMac = headers.tag(RecordLink(source: source.rawValue, keyIndex: record.keyIndex.bytes, subject: plan.target))
            try db.run(
                db.cachedStatement(
                    sql: """
                        INSERT INTO source_records (source, key_index, bi_version, subject_id, key_owner, key_ciphertext, first_seen_at, updated_at, mac)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """)
            ) {
                $0.bind(1, source.rawValue)
                $0.bind(2, record.keyIndex.bytes)
                $0.bind(3, record.keyIndex.version)
                $0.bind(4, target)
                $0.bind(5, owner)
                $0.bind(6, record.keyCiphertext)
                $0.bind(7, now)
                $0.bind(8, now)
                $0.bind(9, recordMac)
            }
            recordID = db.lastInsertedRowID
        }

        let observed = millis(record.observedAt)
        for field in record.fields where plan.writtenFields.contains(field.field) {
            try db.run(
                db.cachedStatement(
                    sql: """
                        INSERT INTO field_values (record_id, field, subject_id, source, key_owner, observed_at, ciphertext) VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (record_id, field) DO UPDATE SET subject_id = excluded.subject_id, key_owner = excluded.key_owner,
                            observed_at = excluded.observed_at, ciphertext = excluded.ciphertext
                        """)
            ) {
                $0.bind(1, recordID)
                $0.bind(2, field.field.rawValue)
                $0.bind(3, target)
                $0.bind(4, source.rawValue)
                $0.bind(5, owner)
                $0.bind(6, observed)
                $0.bind(7, field.ciphertext)
            }
        }
        for identifier in record.identifiers where plan.writtenFields.contains(identifier.field) {
            let mac = headers.tag(
                IdentifierLink(
                    source: source.rawValue, keyIndex: record.keyIndex.bytes, field: identifier.field.rawValue, blindIndex: identifier.index,
                    subject: plan.target))
            try db.run(
                db.cachedStatement(
                    sql: """
                        INSERT INTO identifiers (record_id, field, bi_version, blind_index, subject_id, mac) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (record_id, field) DO UPDATE SET bi_version = excluded.bi_version, blind_index = excluded.blind_index,
                            subject_id = excluded.subject_id, mac = excluded.mac
                        """)
            ) {
                $0.bind(1, recordID)
                $0.bind(2, identifier.field.rawValue)
                $0.bind(3, identifier.index.version)
                $0.bind(4, identifier.index.bytes)
                $0.bind(5, target)
                $0.bind(6, mac)
            }
        }
    }

    public func commit(events: [SealedEvent], source: SourceName, audit: AuditWrite, totals: EventTotalsFold) async throws -> [EventOutcomeKind] {
        try await pool.write { db in
            var subjects: Set<String> = []
            var added: [EventTotalsGroup: (subject: String, indexes: [Int])] = [:]
            var row = try Self.nextEventRow(db, in: "events")
            let outcomes: [EventOutcomeKind] = try events.enumerated().map { index, event in
                guard
                    let record = try Row.fetchOne(
                        db.cachedStatement(sql: "SELECT record_id, subject_id, mac FROM source_records WHERE source = ? AND key_index = ?"),
                        arguments: [source.rawValue, Data(event.recordKeyIndex.bytes)])
                else { throw StoreError.unknownSourceKey(index: index) }
                try Self.checkedRecordSubject(
                    source: source.rawValue, keyIndex: event.recordKeyIndex.bytes, subject: record["subject_id"],
                    mac: (record["mac"] as Data?).map { [UInt8]($0) }, self.rowTags)
                guard try Self.holdsKey(db, event.keyOwner, event.sealedUnder) else { throw StoreError.staleResolution }
                // Sealed for the subject its record had when planned: if the record has moved to another
                // person since, stored there it would make that profile unreadable. Plan again.
                let subject: String = record["subject_id"]
                if event.keyOwner.description != subject, try Self.canonical(db, event.keyOwner, self.rowTags)?.description != subject {
                    throw StoreError.staleResolution
                }
                try db.cachedStatement(
                    sql: """
                        INSERT INTO events (event_row, source, event_index, record_id, subject_id, key_owner, type, occurred_at, ciphertext)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, event_index) DO NOTHING
                        """
                ).execute(arguments: [
                    row, source.rawValue, Data(event.eventIndex.bytes), record["record_id"] as Int64, subject,
                    event.keyOwner.description, event.type, Self.millis(event.occurredAt), Data(event.ciphertext),
                ])
                row += 1
                subjects.insert(subject)
                guard db.changesCount > 0 else { return .duplicate }
                let group = EventTotalsGroup(recordID: record["record_id"], keyOwner: event.keyOwner)
                added[group, default: (subject, [])].indexes.append(index)
                return .created
            }
            try Self.foldTotals(db, added: added, fold: totals)
            var draft = audit.draft
            draft.subjectIDs = subjects.sorted()
            try self.appendAudit(db, [draft], chain: audit.chain)
            return outcomes
        }
    }

    /// Whether `owner` still exists and still holds the wrapped data key a write was sealed
    /// under: not erased meanwhile, and its key not rotated (values sealed under the old key
    /// would not open under the new one). A master-key rewrap also changes the wrapped bytes;
    /// the write is then planned again, which is harmless.
    static func holdsKey(_ db: Database, _ owner: SubjectID, _ sealedUnder: [UInt8]) throws -> Bool {
        guard
            let current = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT wrapped_dek FROM subjects WHERE subject_id = ?"),
                arguments: [owner.description])
        else { return false }
        return current.elementsEqual(sealedUnder)
    }

    /// The next `event_row` of `events` or `consent_events` (WITHOUT ROWID tables since v7, so the
    /// store numbers their rows): one past the largest, read through its unique index. Writes
    /// are serialized, so the rows a transaction numbers from here are its own.
    static func nextEventRow(_ db: Database, in table: String) throws -> Int64 {
        (try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(event_row) FROM \(table)")) ?? 0) + 1
    }
}
