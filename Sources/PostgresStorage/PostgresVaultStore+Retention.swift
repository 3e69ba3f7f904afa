import Foundation
import PostgresNIO
import Storage
import VaultModel

extension PostgresVaultStore {
    public func sweep(
        fields: [FieldName: Date], events: [String: Date], held: [HeldValueKey], dryRun: Bool,
        audit: AuditWrite
    ) async throws -> (fields: [FieldName: Int], events: [String: Int], held: Int) {
        try await write { s in
            var fieldCounts: [FieldName: Int] = [:]
            var eventCounts: [String: Int] = [:]
            for (field, cutoff) in fields {
                let before = Self.millis(cutoff)
                let n = try await s.column("SELECT COUNT(*) FROM field_values WHERE field = \(field.rawValue) AND observed_at < \(before)", as: Int.self)[0]
                if n > 0 { fieldCounts[field] = n }
                if !dryRun && n > 0 {
                    try await s.execute(
                        """
                        DELETE FROM identifiers WHERE field = \(field.rawValue) AND record_id IN
                            (SELECT record_id FROM field_values WHERE field = \(field.rawValue) AND observed_at < \(before))
                        """)
                    try await s.execute("DELETE FROM field_values WHERE field = \(field.rawValue) AND observed_at < \(before)")
                }
            }
            for (type, cutoff) in events {
                let before = Self.millis(cutoff)
                let n = try await s.column("SELECT COUNT(*) FROM events WHERE type = \(type) AND occurred_at < \(before)", as: Int.self)[0]
                if n > 0 { eventCounts[type] = n }
                if !dryRun && n > 0 {
                    // The totals of the groups losing events are pending until the vault seals them again.
                    try await s.execute(
                        """
                        UPDATE event_totals SET ciphertext = NULL
                        WHERE (record_id, key_owner) IN (SELECT record_id, key_owner FROM events WHERE type = \(type) AND occurred_at < \(before))
                        """)
                    try await s.execute("DELETE FROM events WHERE type = \(type) AND occurred_at < \(before)")
                }
            }
            // Exactly the rows the vault checked, by id, field and checked end: one held again
            // meanwhile (a later end) is kept, and not counted.
            var heldCount = 0
            for key in held {
                let (subject, field, until) = (key.subject.description, key.field.rawValue, Self.millis(key.until))
                heldCount +=
                    dryRun
                    ? try await s.column(
                        "SELECT COUNT(*) FROM held_values WHERE subject_id = \(subject) AND field = \(field) AND held_until = \(until)", as: Int.self)[0]
                    : try await s.execute("DELETE FROM held_values WHERE subject_id = \(subject) AND field = \(field) AND held_until = \(until)")
            }
            let draft = SweepReport.draft(audit.draft, fields: fieldCounts, events: eventCounts, held: heldCount, dryRun: dryRun)
            try await self.appendAudit(s, [draft], chain: audit.chain)
            return (fieldCounts, eventCounts, heldCount)
        }
    }
}
