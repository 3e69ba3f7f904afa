import Foundation
import GRDB
import Storage
import VaultModel

extension SQLiteVaultStore {
    /// One group's events (`EventTotalsGroup`), newest first.
    static let groupEventsSQL = """
        SELECT source, key_owner, type, occurred_at, ciphertext FROM events WHERE record_id = ? AND key_owner = ?
        ORDER BY occurred_at DESC, event_row DESC
        """

    /// Folds the events a write inserted (`added`: batch indexes by group, with each group's
    /// subject) into their groups' totals, in the writer's transaction.
    static func foldTotals(_ db: Database, added: [EventTotalsGroup: (subject: String, indexes: [Int])], fold: EventTotalsFold) throws {
        // In record order: the same order on every run, whatever the dictionary's.
        for (group, entry) in added.sorted(by: { ($0.key.recordID, $0.key.keyOwner.description) < ($1.key.recordID, $1.key.keyOwner.description) }) {
            let owner = group.keyOwner.description
            guard let key = try wrappedKey(db, group.keyOwner) else { throw StoreError.staleResolution }
            let state: EventTotalsState
            if let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT ciphertext FROM event_totals WHERE record_id = ? AND key_owner = ?"), arguments: [group.recordID, owner])
            {
                if let sealed = row[0] as Data? {
                    state = .sealed([UInt8](sealed))
                } else {
                    state = .pending(try events(db, of: group))
                }
            } else {
                state = .none
            }
            let sealed = try fold(group, key, state, entry.indexes)
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

    static func events(_ db: Database, of group: EventTotalsGroup) throws -> [StoredEvent] {
        try Row.fetchAll(db.cachedStatement(sql: groupEventsSQL), arguments: [group.recordID, group.keyOwner.description]).map { r in
            guard let source = SourceName(r[0] as String), let owner = SubjectID.stored(r[1] as String) else { throw StoreError.corrupt("events row") }
            return StoredEvent(source: source, keyOwner: owner, type: r[2], occurredAt: date(r[3]), ciphertext: [UInt8](r[4] as Data))
        }
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

    public func pendingEventTotals(after: EventTotalsGroup?, limit: Int) async throws -> [EventTotalsGroup] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT record_id, key_owner FROM event_totals INDEXED BY event_totals_pending
                        WHERE ciphertext IS NULL AND (record_id, key_owner) > (?, ?) ORDER BY record_id, key_owner LIMIT ?
                        """), arguments: [after?.recordID ?? Int64.min, after?.keyOwner.description ?? "", limit]
            ).map { r in
                guard let owner = SubjectID.stored(r[1] as String) else { throw StoreError.corrupt("event_totals row") }
                return EventTotalsGroup(recordID: r[0], keyOwner: owner)
            }
        }
    }

    public func healEventTotals(_ group: EventTotalsGroup, fold: EventTotalsFold) async throws -> Bool {
        try await pool.write { db in
            let arguments: StatementArguments = [group.recordID, group.keyOwner.description]
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT ciphertext IS NULL FROM event_totals WHERE record_id = ? AND key_owner = ?"), arguments: arguments),
                row[0] as Bool
            else { return false }
            let events = try Self.events(db, of: group)
            guard !events.isEmpty else {
                try db.execute(sql: "DELETE FROM event_totals WHERE record_id = ? AND key_owner = ?", arguments: arguments)
                return true
            }
            guard let key = try Self.wrappedKey(db, group.keyOwner) else { throw StoreError.corrupt("missing data key of a key owner") }
            let sealed = try fold(group, key, .pending(events), [])
            try db.execute(
                sql: "UPDATE event_totals SET ciphertext = ? WHERE record_id = ? AND key_owner = ?",
                arguments: [Data(sealed), group.recordID, group.keyOwner.description])
            return true
        }
    }
}
