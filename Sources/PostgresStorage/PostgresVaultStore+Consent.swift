import Foundation
import PostgresNIO
import Storage
import VaultModel

extension PostgresVaultStore {
    public func appendConsents(_ consents: [SealedConsent], audit: AuditWrite) async throws {
        try await write { s in
            for consent in consents {
                // The subject must still exist and be the surviving one; its key owner must still hold a key.
                guard try await Self.canonical(s, consent.subjectID, self.rowTags) == consent.subjectID,
                    try await Self.holdsKey(s, consent.keyOwner, consent.sealedUnder)
                else { throw StoreError.staleResolution }
                try await s.execute(
                    """
                    INSERT INTO consent_events (subject_id, key_owner, purpose, status, lawful_basis, jurisdiction, occurred_at, expires_at,
                                                recorded_at, recorded_by, ciphertext)
                    VALUES (\(consent.subjectID.description), \(consent.keyOwner.description), \(consent.purpose), \(consent.status),
                            \(consent.lawfulBasis), \(consent.jurisdiction), \(Self.millis(consent.occurredAt)), \(consent.expiresAt.map(Self.millis)),
                            \(Self.millis(consent.recordedAt)), \(consent.recordedBy), \(bytea(consent.ciphertext)))
                    """)
            }
            var draft = audit.draft
            draft.subjectIDs = Array(Set(consents.map(\.subjectID.description))).sorted()
            try await self.appendAudit(s, [draft], chain: audit.chain)
        }
    }

    public func wrappedKey(of subject: SubjectID) async throws -> WrappedKey? {
        try await session { s in
            try await s.row("SELECT kek_version, wrapped_dek FROM subjects WHERE subject_id = \(subject.description)").map {
                WrappedKey(kekVersion: try $0.get("kek_version", as: Int.self), bytes: try $0.bytes("wrapped_dek"))
            }
        }
    }

    public func subjects(having field: FieldName) async throws -> [SubjectID] {
        try await session { s in
            try await s.column("SELECT DISTINCT subject_id FROM field_values WHERE field = \(field.rawValue)", as: String.self).compactMap(SubjectID.init)
        }
    }

    public func subjectIDs(after: SubjectID?, limit: Int) async throws -> [SubjectID] {
        try await session { s in
            // COLLATE "C": the same byte order as SQLite's, whatever the database's collation.
            try await s.column(
                """
                SELECT subject_id FROM subjects WHERE merged_into IS NULL AND subject_id COLLATE "C" > \(after?.description ?? "")
                ORDER BY subject_id COLLATE "C" LIMIT \(limit)
                """, as: String.self
            ).compactMap(SubjectID.init)
        }
    }
}
