import Foundation
import PostgresNIO
import Storage
import VaultModel

extension PostgresVaultStore {
    /// One group's events (`EventTotalsGroup`), newest first.
    static func events(_ s: PostgresSession, of group: EventTotalsGroup) async throws -> [StoredEvent] {
        try await s.rows(
            """
            SELECT source, key_owner, type, occurred_at, ciphertext FROM events
            WHERE record_id = \(group.recordID) AND key_owner = \(group.keyOwner.description) ORDER BY occurred_at DESC, event_row DESC
            """
        ).map(storedEvent)
    }

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
    /// totals row locked first so concurrent writers to one group take turns.
    static func foldTotals(_ s: PostgresSession, added: [EventTotalsGroup: (subject: String, indexes: [Int])], fold: EventTotalsFold) async throws {
        for (group, entry) in added.sorted(by: { ($0.key.recordID, $0.key.keyOwner.description) < ($1.key.recordID, $1.key.keyOwner.description) }) {
            let owner = group.keyOwner.description
            guard let key = try await wrappedKey(s, group.keyOwner) else { throw StoreError.staleResolution }
            let state: EventTotalsState
            if let row = try await s.row("SELECT ciphertext FROM event_totals WHERE record_id = \(group.recordID) AND key_owner = \(owner) FOR UPDATE") {
                if let sealed = try row.optionalBytes("ciphertext") {
                    state = .sealed(sealed)
                } else {
                    state = .pending(try await events(s, of: group))
                }
            } else {
                state = .none
            }
            let sealed = try fold(group, key, state, entry.indexes)
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

    public func pendingEventTotals(after: EventTotalsGroup?, limit: Int) async throws -> [EventTotalsGroup] {
        try await session { s in
            try await s.rows(
                """
                SELECT record_id, key_owner FROM event_totals
                WHERE ciphertext IS NULL AND (record_id, key_owner) > (\(after?.recordID ?? Int64.min), \(after?.keyOwner.description ?? ""))
                ORDER BY record_id, key_owner LIMIT \(limit)
                """
            ).map { row in
                guard let owner = SubjectID.stored(try row.get("key_owner", as: String.self)) else { throw StoreError.corrupt("event_totals row") }
                return EventTotalsGroup(recordID: try row.get("record_id"), keyOwner: owner)
            }
        }
    }

    public func healEventTotals(_ group: EventTotalsGroup, fold: EventTotalsFold) async throws -> Bool {
        try await write { s in
            let owner = group.keyOwner.description
            guard
                let row = try await s.row(
                    "SELECT ciphertext IS NULL AS pending FROM event_totals WHERE record_id = \(group.recordID) AND key_owner = \(owner) FOR UPDATE"),
                try row.get("pending", as: Bool.self)
            else { return false }
            let events = try await Self.events(s, of: group)
            guard !events.isEmpty else {
                try await s.execute("DELETE FROM event_totals WHERE record_id = \(group.recordID) AND key_owner = \(owner)")
                return true
            }
            guard let key = try await Self.wrappedKey(s, group.keyOwner) else { throw StoreError.corrupt("missing data key of a key owner") }
            let sealed = try fold(group, key, .pending(events), [])
            try await s.execute("UPDATE event_totals SET ciphertext = \(bytea(sealed)) WHERE record_id = \(group.recordID) AND key_owner = \(owner)")
            return true
        }
    }
}
