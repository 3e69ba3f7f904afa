import Foundation
import GRDB
import Storage
import VaultModel

extension SQLiteVaultStore {
    /// Folds the events a write inserted (`added`: batch indexes by group, with each group's
    /// subject) into their groups' totals, in the writer's transaction. A pending group stays
    /// pending: the healer seals it from all the person's events.
    static func foldTotals(_ db: Database, added: [EventTotalsGroup: (subject: String, indexes: [Int])], fold: EventTotalsFold) throws {
        // In record order: the same order on every run, whatever the dictionary's.
        for (group, entry) in added.sorted(by: { ($0.key.recordID, $0.key.keyOwner.description) < ($1.key.recordID, $1.key.keyOwner.description) }) {
            let owner = group.keyOwner.description
            guard let key = try wrappedKey(db, group.keyOwner) else { throw StoreError.staleResolution }
            let existing = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT ciphertext FROM event_totals WHERE record_id = ? AND key_owner = ?"), arguments: [group.recordID, owner])
            if let existing, existing[0] as Data? == nil { continue }
            let sealed = try fold(group, key, existing.map { [UInt8]($0[0] as Data) }, entry.indexes)
            try db.cachedStatement(
                sql: """
                    INSERT INTO event_totals (subject_id, record_id, key_owner, ciphertext) VALUES (?, ?, ?, ?)
                    ON CONFLICT (record_id, key_owner) DO UPDATE SET subject_id = excluded.subject_id, ciphertext = excluded.ciphertext
                    """
            ).execute(arguments: [entry.subject, group.recordID, owner, Data(sealed)])
        }
    }

    static func wrappedKey(_ db: Database, _ owner: SubjectID) throws -> WrappedKey? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT kek_version, wrapped_dek FROM subjects WHERE subject_id = ?"), arguments: [owner.description])
            .map { WrappedKey(kekVersion: $0[0], bytes: [UInt8]($0[1] as Data)) }
    }

    /// Marks the totals of `subject`'s groups pending, regrouped from its events as they are
    /// now (after their key owner changed): the vault seals them again (`EventTotalsHealer`).
    static func pendTotals(_ db: Database, of subject: String) throws {
        try db.execute(sql: "DELETE FROM event_totals WHERE subject_id = ?", arguments: [subject])
        try db.execute(
            sql: """
                INSERT INTO event_totals (subject_id, record_id, key_owner, ciphertext)
                SELECT subject_id, record_id, key_owner, NULL FROM events WHERE subject_id = ? GROUP BY record_id, key_owner
                """, arguments: [subject])
    }

    public func sealedEvents(of subject: SubjectID, after: EventPosition?, limit: Int) async throws -> [(position: EventPosition, event: StoredEvent)] {
        try await pool.read { db in
            var sql = "SELECT source, key_owner, type, occurred_at, ciphertext, event_row FROM events WHERE subject_id = ?"
            var arguments: StatementArguments = [subject.description]
            if let after {
                sql += " AND (occurred_at, event_row) < (?, ?)"
                _ = arguments.append(contentsOf: [after.occurredAt, after.row])
            }
            sql += " ORDER BY occurred_at DESC, event_row DESC LIMIT ?"
            _ = arguments.append(contentsOf: [limit])
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { r in
                guard let source = SourceName(r[0] as String), let owner = SubjectID.stored(r[1] as String) else { throw StoreError.corrupt("events row") }
                return (
                    EventPosition(occurredAt: r[3], row: r[5]),
                    StoredEvent(source: source, keyOwner: owner, type: r[2], occurredAt: Self.date(r[3]), ciphertext: [UInt8](r[4] as Data))
                )
            }
        }
    }

    public func subjectsWithPendingTotals(after: SubjectID?, limit: Int) async throws -> [SubjectID] {
        try await pool.read { db in
            try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT DISTINCT subject_id FROM event_totals INDEXED BY event_totals_pending
                        WHERE ciphertext IS NULL AND subject_id > ? ORDER BY subject_id LIMIT ?
                        """), arguments: [after?.description ?? "", limit]
            ).map { text in
                guard let id = SubjectID.stored(text) else { throw StoreError.corrupt("event_totals row") }
                return id
            }
        }
    }

    public func healEventTotals(of subject: SubjectID, seal: EventTotalsSeal) async throws -> Bool {
        try await pool.write { db in
            let id = subject.description
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM event_totals WHERE subject_id = ? AND ciphertext IS NULL LIMIT 1", arguments: [id]) == true
            else { return false }
            var groups: [EventTotalsGroup: [StoredEvent]] = [:]
            var keys: [SubjectID: WrappedKey] = [:]
            for r in try Row.fetchAll(
                db,
                sql:
                    "SELECT source, key_owner, type, occurred_at, ciphertext, record_id FROM events WHERE subject_id = ? ORDER BY occurred_at DESC, event_row DESC",
                arguments: [id])
            {
                guard let source = SourceName(r[0] as String), let owner = SubjectID.stored(r[1] as String) else { throw StoreError.corrupt("events row") }
                if keys[owner] == nil {
                    guard let key = try Self.wrappedKey(db, owner) else { throw StoreError.corrupt("missing data key of a key owner") }
                    keys[owner] = key
                }
                groups[EventTotalsGroup(recordID: r[5], keyOwner: owner), default: []].append(
                    StoredEvent(source: source, keyOwner: owner, type: r[2], occurredAt: Self.date(r[3]), ciphertext: [UInt8](r[4] as Data)))
            }
            let sealed = try seal(groups, keys)
            try db.execute(sql: "DELETE FROM event_totals WHERE subject_id = ?", arguments: [id])
            for (group, ciphertext) in sealed {
                try db.execute(
                    sql: "INSERT INTO event_totals (subject_id, record_id, key_owner, ciphertext) VALUES (?, ?, ?, ?)",
                    arguments: [id, group.recordID, group.keyOwner.description, Data(ciphertext)])
            }
            return true
        }
    }
}
