import Foundation
import PostgresNIO
import Storage
import VaultModel

extension PostgresVaultStore {
    /// Every sealed value of a subject, with its location (same rows as the SQLite store's).
    public func sealedRows(of subject: SubjectID) async throws -> [SealedRow] {
        try await read { s in
            let id = subject.description
            var rows: [SealedRow] = []
            func owner(_ r: PostgresRandomAccessRow) throws -> SubjectID {
                guard let owner = SubjectID(try r.get("key_owner", as: String.self)) else { throw StoreError.corrupt("key_owner") }
                return owner
            }
            for r in try await s.rows(
                """
                SELECT f.record_id, f.field, f.key_owner, f.ciphertext, s.source FROM field_values f
                JOIN source_records s ON s.record_id = f.record_id WHERE f.subject_id = \(id)
                """)
            {
                rows.append(
                    SealedRow(
                        table: "field_values", rowID: try r.get("record_id"), field: try r.get("field", as: String.self), column: "ciphertext",
                        keyOwner: try owner(r), ciphertext: try r.bytes("ciphertext"), source: try r.get("source", as: String.self),
                        type: nil, purpose: nil, occurredAt: nil))
            }
            for r in try await s.rows("SELECT record_id, key_owner, key_ciphertext, source FROM source_records WHERE subject_id = \(id)") {
                rows.append(
                    SealedRow(
                        table: "source_records", rowID: try r.get("record_id"), field: nil, column: "key_ciphertext",
                        keyOwner: try owner(r), ciphertext: try r.bytes("key_ciphertext"), source: try r.get("source", as: String.self),
                        type: nil, purpose: nil, occurredAt: nil))
            }
            for r in try await s.rows("SELECT event_row, key_owner, ciphertext, source, type FROM events WHERE subject_id = \(id)") {
                rows.append(
                    SealedRow(
                        table: "events", rowID: try r.get("event_row"), field: nil, column: "ciphertext",
                        keyOwner: try owner(r), ciphertext: try r.bytes("ciphertext"), source: try r.get("source", as: String.self),
                        type: try r.get("type", as: String.self), purpose: nil, occurredAt: nil))
            }
            for r in try await s.rows("SELECT event_row, key_owner, ciphertext, purpose, occurred_at FROM consent_events WHERE subject_id = \(id)") {
                rows.append(
                    SealedRow(
                        table: "consent_events", rowID: try r.get("event_row"), field: nil, column: "ciphertext",
                        keyOwner: try owner(r), ciphertext: try r.bytes("ciphertext"), source: nil, type: nil,
                        purpose: try r.get("purpose", as: String.self), occurredAt: try r.date("occurred_at")))
            }
            return rows
        }
    }

    /// Installs a subject's new data key with every value re-sealed under it (compare-and-set
    /// on each row's old ciphertext), and deletes keys of merged-away subjects that seal nothing.
    public func replaceSubjectKey(_ subject: SubjectID, key: WrappedKey, rows: [(row: SealedRow, ciphertext: [UInt8])], audit: AuditWrite) async throws {
        try await write { s in
            let id = subject.description
            for (row, ciphertext) in rows {
                let changed: Int
                switch row.table {
                case "field_values":
                    changed = try await s.execute(
                        """
                        UPDATE field_values SET ciphertext = \(bytea(ciphertext)), key_owner = \(id)
                        WHERE record_id = \(row.rowID) AND field = \(row.field ?? "") AND ciphertext = \(bytea(row.ciphertext))
                        """)
                case "source_records":
                    changed = try await s.execute(
                        """
                        UPDATE source_records SET key_ciphertext = \(bytea(ciphertext)), key_owner = \(id)
                        WHERE record_id = \(row.rowID) AND key_ciphertext = \(bytea(row.ciphertext))
                        """)
                case "events", "consent_events":
                    changed = try await s.execute(
                        """
                        UPDATE \(unescaped: row.table) SET ciphertext = \(bytea(ciphertext)), key_owner = \(id)
                        WHERE event_row = \(row.rowID) AND ciphertext = \(bytea(row.ciphertext))
                        """)
                default:
                    throw StoreError.corrupt("unknown sealed table")
                }
                guard changed == 1 else { throw StoreError.staleResolution }
            }
            // A value written for the subject after `rows` were read is sealed under the old key (see the SQLite store).
            for table in ["field_values", "source_records", "events", "consent_events"] {
                let stored = try await s.column("SELECT COUNT(*) FROM \(unescaped: table) WHERE subject_id = \(id)", as: Int.self).first ?? 0
                guard stored == rows.filter({ $0.row.table == table }).count else { throw StoreError.staleResolution }
            }
            try await s.execute("UPDATE subjects SET kek_version = \(key.kekVersion), wrapped_dek = \(bytea(key.bytes)) WHERE subject_id = \(id)")
            // The events now have one owner and a new key: their totals are sealed again from them.
            try await Self.pendTotals(s, of: id)
            // Merged-away subjects whose keys now seal nothing: their keys go. Their values live
            // under this subject (merges move them here), so only its rows are searched (by
            // key_owner alone it was a scan of each table).
            // Each alias header is checked: a forged merge must not cost another person their key.
            for alias in try await Self.headers(mergedOrIn: subject, s, self.rowTags).map(\.id.description) where alias != id {
                let used = try await s.exists(
                    """
                    SELECT 1 WHERE EXISTS (SELECT 1 FROM field_values WHERE subject_id = \(id) AND key_owner = \(alias))
                        OR EXISTS (SELECT 1 FROM source_records WHERE subject_id = \(id) AND key_owner = \(alias))
                        OR EXISTS (SELECT 1 FROM events WHERE subject_id = \(id) AND key_owner = \(alias))
                        OR EXISTS (SELECT 1 FROM consent_events WHERE subject_id = \(id) AND key_owner = \(alias))
                    """)
                if !used { try await s.execute("DELETE FROM subjects WHERE subject_id = \(alias)") }
            }
            try await self.appendAudit(s, [audit.draft], chain: audit.chain)
        }
    }
}
