import Foundation
import GRDB
import Storage
import VaultModel

extension SQLiteVaultStore {
    public func appendConsents(_ consents: [SealedConsent], audit: AuditWrite) async throws {
        try await pool.write { db in
            var row = try Self.nextEventRow(db, in: "consent_events")
            for consent in consents {
                // The subject must still exist and be the surviving one; its key owner must still hold the key it was sealed under.
                guard try Self.canonical(db, consent.subjectID, self.rowTags) == consent.subjectID,
                    try Self.holdsKey(db, consent.keyOwner, consent.sealedUnder)
                else { throw StoreError.staleResolution }
                try db.cachedStatement(
                    sql: """
                        INSERT INTO consent_events (event_row, subject_id, key_owner, purpose, status, lawful_basis, jurisdiction, occurred_at,
                                                    expires_at, recorded_at, recorded_by, ciphertext)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    row, consent.subjectID.description, consent.keyOwner.description, consent.purpose, consent.status,
                    consent.lawfulBasis, consent.jurisdiction, Self.millis(consent.occurredAt),
                    consent.expiresAt.map(Self.millis), Self.millis(consent.recordedAt), consent.recordedBy,
                    Data(consent.ciphertext),
                ])
                row += 1
            }
            var draft = audit.draft
            draft.subjectIDs = Array(Set(consents.map(\.subjectID.description))).sorted()
            try self.appendAudit(db, [draft], chain: audit.chain)
        }
    }

    public func wrappedKey(of subject: SubjectID) async throws -> WrappedKey? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT kek_version, wrapped_dek FROM subjects WHERE subject_id = ?"), arguments: [subject.description])
                .map { WrappedKey(kekVersion: $0["kek_version"], bytes: [UInt8]($0["wrapped_dek"] as Data)) }
        }
    }
}

extension SQLiteVaultStore {
    public func subjects(having field: FieldName) async throws -> [SubjectID] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT subject_id FROM field_values WHERE field = ?", arguments: [field.rawValue])
                .compactMap(SubjectID.init)
        }
    }

    public func subjectIDs(after: SubjectID?, limit: Int) async throws -> [SubjectID] {
        try await pool.read { db in
            // `+merged_into`: keeps the planner off the merged_into index, which found every
            // live subject and sorted them all for each page (measured: seconds per page at 1M).
            try String.fetchAll(
                db, sql: "SELECT subject_id FROM subjects WHERE +merged_into IS NULL AND subject_id > ? ORDER BY subject_id LIMIT ?",
                arguments: [after?.description ?? "", limit]
            ).compactMap(SubjectID.init)
        }
    }
}
