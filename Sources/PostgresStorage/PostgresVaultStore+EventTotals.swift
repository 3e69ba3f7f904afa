import Foundation
import PostgresNIO
import Storage
import VaultModel

extension PostgresVaultStore {
    static func storedEvent(_ row: PostgresRandomAccessRow) throws -> StoredEvent {
        guard let source = SourceName(try row.get("source", as: String.self)), let owner = SubjectID.stored(try row.get("key_owner", as: String.self))
        else { throw StoreError.corrupt("events row") }
        return StoredEvent(
            source: source, keyOwner: owner, type: try row.get("type"), occurredAt: try row.date("occurred_at"), ciphertext: try row.bytes("ciphertext"))
    }

    static func wrappedKey(_ s: PostgresSession, _ owner: SubjectID) async throws -> WrappedKey? {
        try await s.row("SELECT kek_version, wrapped_dek FROM subjects WHERE subject_id = \(owner.description)").map {
            WrappedKey(kekVersion: try $0.get("kek_version", as: Int.self), bytes: try $0.bytes("wrapped_dek"))
        }
    }

    /// Folds the events a write inserted into their groups' totals (see the SQLite store), each
    /// totals row locked first so concurrent writers to one group take turns; a pending group
    /// stays pending for the healer.
    static func foldTotals(_ s: PostgresSession, added: [EventTotalsGroup: (subject: String, indexes: [Int])], fold: EventTotalsFold) async throws {
        for (group, entry) in added.sorted(by: { ($0.key.recordID, $0.key.keyOwner.description) < ($1.key.recordID, $1.key.keyOwner.description) }) {
            let owner = group.keyOwner.description
            guard let key = try await wrappedKey(s, group.keyOwner) else { throw StoreError.staleResolution }
            let existing = try await s.row("SELECT ciphertext FROM event_totals WHERE record_id = \(group.recordID) AND key_owner = \(owner) FOR UPDATE")
            let sealedBefore = try existing?.optionalBytes("ciphertext")
            if existing != nil && sealedBefore == nil { continue }
            let sealed = try fold(group, key, sealedBefore, entry.indexes)
            try await s.execute(
                """
                INSERT INTO event_totals (record_id, key_owner, subject_id, ciphertext) VALUES (\(group.recordID), \(owner), \(entry.subject), \(bytea(sealed)))
                ON CONFLICT (record_id, key_owner) DO UPDATE SET subject_id = EXCLUDED.subject_id, ciphertext = EXCLUDED.ciphertext
                """)
        }
    }

    /// Marks the totals of `subject`'s groups pending, regrouped from its events as they are now.
    static func pendTotals(_ s: PostgresSession, of subject: String) async throws {
        try await s.execute("DELETE FROM event_totals WHERE subject_id = \(subject)")
        try await s.execute(
            """
            INSERT INTO event_totals (record_id, key_owner, subject_id, ciphertext)
            SELECT record_id, key_owner, MIN(subject_id), NULL FROM events WHERE subject_id = \(subject) GROUP BY record_id, key_owner
            """)
    }

    public func sealedEvents(of subject: SubjectID, after: EventPosition?, limit: Int) async throws -> [(position: EventPosition, event: StoredEvent)] {
        try await session { s in
            let rows: [PostgresRandomAccessRow]
            if let after {
                rows = try await s.rows(
                    """
                    SELECT source, key_owner, type, occurred_at, ciphertext, event_row FROM events
                    WHERE subject_id = \(subject.description) AND (occurred_at, event_row) < (\(after.occurredAt), \(after.row))
                    ORDER BY occurred_at DESC, event_row DESC LIMIT \(limit)
                    """)
            } else {
                rows = try await s.rows(
                    """
                    SELECT source, key_owner, type, occurred_at, ciphertext, event_row FROM events
                    WHERE subject_id = \(subject.description) ORDER BY occurred_at DESC, event_row DESC LIMIT \(limit)
                    """)
            }
            return try rows.map {
                (EventPosition(occurredAt: try $0.get("occurred_at"), row: try $0.get("event_row")), try Self.storedEvent($0))
            }
        }
    }

    public func subjectsWithPendingTotals(after: SubjectID?, limit: Int) async throws -> [SubjectID] {
        try await session { s in
            try await s.column(
                """
                SELECT DISTINCT subject_id FROM event_totals WHERE ciphertext IS NULL AND subject_id > \(after?.description ?? "")
                ORDER BY subject_id LIMIT \(limit)
                """, as: String.self
            ).map { text in
                guard let id = SubjectID.stored(text) else { throw StoreError.corrupt("event_totals row") }
                return id
            }
        }
    }

    public func healEventTotals(of subject: SubjectID, seal: EventTotalsSeal) async throws -> Bool {
        try await write { s in
            let id = subject.description
            // Locks the person's totals rows: an ingest folding into one of them waits.
            let pending = try await s.column(
                "SELECT ciphertext IS NULL AS pending FROM event_totals WHERE subject_id = \(id) FOR UPDATE", as: Bool.self)
            guard pending.contains(true) else { return false }
            var groups: [EventTotalsGroup: [StoredEvent]] = [:]
            var keys: [SubjectID: WrappedKey] = [:]
            for row in try await s.rows(
                """
                SELECT source, key_owner, type, occurred_at, ciphertext, record_id FROM events WHERE subject_id = \(id)
                ORDER BY occurred_at DESC, event_row DESC
                """)
            {
                let event = try Self.storedEvent(row)
                if keys[event.keyOwner] == nil {
                    guard let key = try await Self.wrappedKey(s, event.keyOwner) else { throw StoreError.corrupt("missing data key of a key owner") }
                    keys[event.keyOwner] = key
                }
                groups[EventTotalsGroup(recordID: try row.get("record_id", as: Int64.self), keyOwner: event.keyOwner), default: []].append(event)
            }
            let sealed = try seal(groups, keys)
            try await s.execute("DELETE FROM event_totals WHERE subject_id = \(id)")
            for (group, ciphertext) in sealed {
                try await s.execute(
                    """
                    INSERT INTO event_totals (record_id, key_owner, subject_id, ciphertext)
                    VALUES (\(group.recordID), \(group.keyOwner.description), \(id), \(bytea(ciphertext)))
                    """)
            }
            return true
        }
    }
}
