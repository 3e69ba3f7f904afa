import Foundation
import PostgresNIO
import Storage
import VaultModel

extension PostgresVaultStore {
    /// A header as stored, checked against its tag (`StoreRowTags`).
    static func checkedHeader(_ id: SubjectID, mergedInto: String?, restricted: Bool, mac: [UInt8]?, _ headers: StoreRowTags) throws -> SubjectHeader {
        var survivor: SubjectID?
        if let mergedInto {
            guard let parsed = SubjectID.stored(mergedInto) else { throw StoreError.corrupt("subjects row") }
            survivor = parsed
        }
        return try headers.check(SubjectHeader(id: id, mergedInto: survivor, restricted: restricted), mac: mac)
    }

    /// The checked header of a row that has `subject_id`, `merged_into`, `restricted` and `mac`.
    static func checkedHeader(_ row: PostgresRandomAccessRow, _ headers: StoreRowTags) throws -> SubjectHeader {
        guard let id = SubjectID.stored(try row.get("subject_id", as: String.self)) else { throw StoreError.corrupt("subjects row") }
        return try checkedHeader(
            id, mergedInto: try row.get("merged_into", as: String?.self), restricted: try row.get("restricted", as: Bool.self),
            mac: try row.optionalBytes("mac"), headers)
    }

    /// Writes a header with its tag (merges, key aliases, restrictions).
    static func writeHeader(_ s: PostgresSession, _ header: SubjectHeader, _ headers: StoreRowTags) async throws {
        try await s.execute(
            """
            UPDATE subjects SET merged_into = \(header.mergedInto?.description), restricted = \(header.restricted),
                mac = \(headers.tag(header).map(bytea)) WHERE subject_id = \(header.id.description)
            """)
    }

    /// The checked headers of `id` and of every subject merged into it (a merge re-points them all).
    static func headers(mergedOrIn id: SubjectID, _ s: PostgresSession, _ headers: StoreRowTags) async throws -> [SubjectHeader] {
        try await s.rows(
            "SELECT subject_id, merged_into, restricted, mac FROM subjects WHERE subject_id = \(id.description) OR merged_into = \(id.description)"
        ).map { try checkedHeader($0, headers) }
    }

    /// Follows merges to the survivor, checking each header on the way.
    static func canonical(_ s: PostgresSession, _ id: SubjectID, _ headers: StoreRowTags) async throws -> SubjectID? {
        var current = id
        for _ in 0..<64 {
            guard let row = try await s.row("SELECT subject_id, merged_into, restricted, mac FROM subjects WHERE subject_id = \(current.description)")
            else { return nil }
            guard let next = try checkedHeader(row, headers).mergedInto else { return current }
            current = next
        }
        throw StoreError.corrupt("merge chain too long")
    }

    public func setRestricted(_ subject: SubjectID, _ restricted: Bool) async throws {
        try await write { s in
            guard let row = try await s.row("SELECT subject_id, merged_into, restricted, mac FROM subjects WHERE subject_id = \(subject.description)")
            else { return }
            // Checked before it is rewritten: a new tag must not launder a changed row.
            let current = try Self.checkedHeader(row, self.rowTags)
            try await Self.writeHeader(s, SubjectHeader(id: subject, mergedInto: current.mergedInto, restricted: restricted), self.rowTags)
        }
    }

    public func tagUntaggedSubjects(audit: @Sendable (Int) -> AuditWrite) async throws -> Int {
        try await write { s in
            // Tags already in force somewhere (a row carries one): untagged rows were written outside
            // the vault, and tagging them would launder them. Only a database from before tags has none.
            var tagged = false
            for table in ["subjects", "source_records", "identifiers", "held_values"] where !tagged {
                tagged = try await s.exists("SELECT 1 FROM \(unescaped: table) WHERE mac IS NOT NULL LIMIT 1")
            }
            let rows = tagged ? [] : try await s.rows("SELECT subject_id, merged_into, restricted FROM subjects WHERE mac IS NULL")
            for row in rows {
                guard let id = SubjectID(try row.get("subject_id", as: String.self)) else { throw StoreError.corrupt("subjects row") }
                let survivor = try row.get("merged_into", as: String?.self).flatMap(SubjectID.init)
                try await Self.writeHeader(s, SubjectHeader(id: id, mergedInto: survivor, restricted: try row.get("restricted")), self.rowTags)
            }
            let links = tagged ? 0 : try await Self.tagUntaggedLinks(s, self.rowTags)
            let write = audit(rows.count + links)
            try await self.appendAudit(s, [write.draft], chain: write.chain)
            return rows.count + links
        }
    }

    public func rewriteSealedBodies(
        of subject: SubjectID, events: [(old: [UInt8], new: [UInt8])], consents: [(old: [UInt8], new: [UInt8])], audit: AuditWrite?
    ) async throws {
        try await write { s in
            for (table, bodies) in [("events", events), ("consent_events", consents)] {
                for body in bodies {
                    let changed = try await s.execute(
                        """
                        UPDATE \(unescaped: table) SET ciphertext = \(bytea(body.new))
                        WHERE subject_id = \(subject.description) AND ciphertext = \(bytea(body.old))
                        """)
                    guard changed == 1 else { throw StoreError.staleResolution }
                }
            }
            if let audit { try await self.appendAudit(s, [audit.draft], chain: audit.chain) }
        }
    }
}
