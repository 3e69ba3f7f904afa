import Foundation
import GRDB
import Storage
import VaultModel

extension SQLiteVaultStore {
    /// Every sealed value of a subject, with its location.
    public func sealedRows(of subject: SubjectID) async throws -> [SealedRow] {
        try await pool.read { db in
            let id = subject.description
            var rows: [SealedRow] = []
            for r in try Row.fetchAll(
                db,
                sql: """
                    SELECT record_id, field, key_owner, ciphertext, source FROM field_values WHERE subject_id = ?
                    """, arguments: [id])
            {
                rows.append(
                    SealedRow(
                        table: "field_values", rowID: r["record_id"], field: r["field"], column: "ciphertext",
                        keyOwner: SubjectID(r["key_owner"] as String)!, ciphertext: [UInt8](r["ciphertext"] as Data),
                        source: r["source"], type: nil, purpose: nil, occurredAt: nil))
            }
            for r in try Row.fetchAll(db, sql: "SELECT record_id, key_owner, key_ciphertext, source FROM source_records WHERE subject_id = ?", arguments: [id])
            {
                rows.append(
                    SealedRow(
                        table: "source_records", rowID: r["record_id"], field: nil, column: "key_ciphertext",
                        keyOwner: SubjectID(r["key_owner"] as String)!, ciphertext: [UInt8](r["key_ciphertext"] as Data),
                        source: r["source"], type: nil, purpose: nil, occurredAt: nil))
            }
            for r in try Row.fetchAll(db, sql: "SELECT event_row, key_owner, ciphertext, source, type FROM events WHERE subject_id = ?", arguments: [id]) {
                rows.append(
                    SealedRow(
                        table: "events", rowID: r["event_row"], field: nil, column: "ciphertext",
                        keyOwner: SubjectID(r["key_owner"] as String)!, ciphertext: [UInt8](r["ciphertext"] as Data),
                        source: r["source"], type: r["type"], purpose: nil, occurredAt: nil))
            }
            for r in try Row.fetchAll(
                db, sql: "SELECT event_row, key_owner, ciphertext, purpose, occurred_at FROM consent_events WHERE subject_id = ?", arguments: [id])
            {
                rows.append(
                    SealedRow(
                        table: "consent_events", rowID: r["event_row"], field: nil, column: "ciphertext",
                        keyOwner: SubjectID(r["key_owner"] as String)!, ciphertext: [UInt8](r["ciphertext"] as Data),
                        source: nil, type: nil, purpose: r["purpose"], occurredAt: Self.date(r["occurred_at"])))
            }
            return rows
        }
    }

    /// Installs a subject's new data key with every value re-sealed under it, and deletes the
    /// keys of merged-away subjects that no longer seal anything; one transaction. Fails
    /// (`staleResolution`) if any row changed or was added since they were read.
    public func replaceSubjectKey(_ subject: SubjectID, key: WrappedKey, rows: [(row: SealedRow, ciphertext: [UInt8])], audit: AuditWrite) async throws {
        try await pool.write { db in
            let id = subject.description
            for (row, ciphertext) in rows {
                let match = row.table == "field_values" ? "record_id = ? AND field = ?" : (row.table == "source_records" ? "record_id = ?" : "event_row = ?")
                var arguments: StatementArguments = [Data(ciphertext), id, row.rowID]
                if let field = row.field, row.table == "field_values" { _ = arguments.append(contentsOf: [field]) }
                _ = arguments.append(contentsOf: [Data(row.ciphertext)])
                try db.execute(sql: "UPDATE \(row.table) SET \(row.column) = ?, key_owner = ? WHERE \(match) AND \(row.column) = ?", arguments: arguments)
                guard db.changesCount == 1 else { throw StoreError.staleResolution }
            }
            // A value written for the subject after `rows` were read is sealed under the old key,
            // which is about to go: refuse, and the caller reads again.
            for table in ["field_values", "source_records", "events", "consent_events"] {
                let stored = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE subject_id = ?", arguments: [id]) ?? 0
                guard stored == rows.filter({ $0.row.table == table }).count else { throw StoreError.staleResolution }
            }
            try db.execute(sql: "UPDATE subjects SET kek_version = ?, wrapped_dek = ? WHERE subject_id = ?", arguments: [key.kekVersion, Data(key.bytes), id])
            // The events now have one owner and a new key: their totals are sealed again from them.
            try Self.pendTotals(db, of: id)
            // Merged-away subjects whose keys now seal nothing: their keys go. Their values live
            // under this subject (merges move them here), so only its rows are searched.
            // Each alias header is checked: a forged merge must not cost another person their key.
            for alias in try Self.headers(mergedOrIn: subject, db, self.rowTags).map(\.id.description) where alias != id {
                var used = false
                for table in ["field_values", "source_records", "events", "consent_events"] {
                    if try Bool.fetchOne(db, sql: "SELECT 1 FROM \(table) WHERE subject_id = ? AND key_owner = ? LIMIT 1", arguments: [id, alias]) == true {
                        used = true
                    }
                }
                if !used { try db.execute(sql: "DELETE FROM subjects WHERE subject_id = ?", arguments: [alias]) }
            }
            try self.appendAudit(db, [audit.draft], chain: audit.chain)
        }
    }
}
