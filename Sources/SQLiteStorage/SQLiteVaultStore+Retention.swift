import Foundation
import GRDB
import Storage
import VaultModel

extension SQLiteVaultStore {
    public func sweep(
        fields: [FieldName: Date], events: [String: Date], held: [HeldValueKey], dryRun: Bool,
        audit: AuditWrite
    ) async throws -> (fields: [FieldName: Int], events: [String: Int], held: Int) {
        try await pool.write { db in
            var fieldCounts: [FieldName: Int] = [:]
            var eventCounts: [String: Int] = [:]
            for (field, cutoff) in fields {
                let n =
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM field_values WHERE field = ? AND observed_at < ?",
                        arguments: [field.rawValue, Self.millis(cutoff)]) ?? 0
                if n > 0 { fieldCounts[field] = n }
                if !dryRun && n > 0 {
                    try db.execute(
                        sql: """
                            DELETE FROM identifiers WHERE field = ? AND record_id IN
                                (SELECT record_id FROM field_values WHERE field = ? AND observed_at < ?)
                            """, arguments: [field.rawValue, field.rawValue, Self.millis(cutoff)])
                    try db.execute(sql: "DELETE FROM field_values WHERE field = ? AND observed_at < ?", arguments: [field.rawValue, Self.millis(cutoff)])
                }
            }
            for (type, cutoff) in events {
                let n =
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE type = ? AND occurred_at < ?", arguments: [type, Self.millis(cutoff)]) ?? 0
                if n > 0 { eventCounts[type] = n }
                if !dryRun && n > 0 {
                    // The totals of the groups losing events are pending until the vault seals them again.
                    try db.execute(
                        sql: "UPDATE event_totals SET ciphertext = NULL WHERE (record_id, key_owner) IN "
                            + "(SELECT record_id, key_owner FROM events WHERE type = ? AND occurred_at < ?)",
                        arguments: [type, Self.millis(cutoff)])
                    try db.execute(sql: "DELETE FROM events WHERE type = ? AND occurred_at < ?", arguments: [type, Self.millis(cutoff)])
                }
            }
            // Exactly the rows the vault checked, by id, field and checked end: one held again
            // meanwhile (a later end) is kept, and not counted.
            var heldCount = 0
            for key in held {
                let arguments: StatementArguments = [key.subject.description, key.field.rawValue, Self.millis(key.until)]
                if dryRun {
                    heldCount +=
                        try Int.fetchOne(
                            db, sql: "SELECT COUNT(*) FROM held_values WHERE subject_id = ? AND field = ? AND held_until = ?", arguments: arguments)
                        ?? 0
                } else {
                    try db.execute(sql: "DELETE FROM held_values WHERE subject_id = ? AND field = ? AND held_until = ?", arguments: arguments)
                    heldCount += db.changesCount
                }
            }
            let draft = SweepReport.draft(audit.draft, fields: fieldCounts, events: eventCounts, held: heldCount, dryRun: dryRun)
            try self.appendAudit(db, [draft], chain: audit.chain)
            return (fieldCounts, eventCounts, heldCount)
        }
    }
}
