import Foundation
import GRDB
import Storage
import VaultModel

extension SQLiteVaultStore {
    /// A header as stored, checked against its tag (`StoreRowTags`).
    static func checkedHeader(_ id: SubjectID, mergedInto: String?, restricted: Bool, mac: Data?, _ headers: StoreRowTags) throws -> SubjectHeader {
        var survivor: SubjectID?
        if let mergedInto {
            guard let parsed = SubjectID.stored(mergedInto) else { throw StoreError.corrupt("subjects row") }
            survivor = parsed
        }
        return try headers.check(SubjectHeader(id: id, mergedInto: survivor, restricted: restricted), mac: mac.map { [UInt8]($0) })
    }

    /// Writes a header with its tag (merges, key aliases, restrictions).
    static func writeHeader(_ db: Database, _ header: SubjectHeader, _ headers: StoreRowTags) throws {
        try db.cachedStatement(sql: "UPDATE subjects SET merged_into = ?, restricted = ?, mac = ? WHERE subject_id = ?")
            .execute(arguments: [header.mergedInto?.description, header.restricted ? 1 : 0, headers.tag(header).map { Data($0) }, header.id.description])
    }

    /// The checked headers of `id` and of every subject merged into it (a merge re-points them all).
    static func headers(mergedOrIn id: SubjectID, _ db: Database, _ headers: StoreRowTags) throws -> [SubjectHeader] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT subject_id, merged_into, restricted, mac FROM subjects WHERE subject_id = ? OR merged_into = ?"),
            arguments: [id.description, id.description]
        ).map { row in
            guard let subject = SubjectID.stored(row[0] as String) else { throw StoreError.corrupt("subjects row") }
            return try checkedHeader(subject, mergedInto: row[1], restricted: (row[2] as Int64) != 0, mac: row[3], headers)
        }
    }

    public func setRestricted(_ subject: SubjectID, _ restricted: Bool) async throws {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT merged_into, restricted, mac FROM subjects WHERE subject_id = ?"), arguments: [subject.description])
            else { return }
            // Checked before it is rewritten: a new tag must not launder a changed row.
            let current = try Self.checkedHeader(subject, mergedInto: row[0], restricted: (row[1] as Int64) != 0, mac: row[2], self.rowTags)
            try Self.writeHeader(db, SubjectHeader(id: subject, mergedInto: current.mergedInto, restricted: restricted), self.rowTags)
        }
    }

    public func tagUntaggedSubjects(audit: @Sendable (Int) -> AuditWrite) async throws -> Int {
        try await pool.write { db in
            // Tags already in force somewhere (a row carries one): untagged rows were written outside
            // the vault, and tagging them would launder them. Only a database from before tags has none.
            let tagged = try ["subjects", "source_records", "identifiers", "held_values"].contains { table in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE mac IS NOT NULL)") == true
            }
            let rows = tagged ? [] : try Row.fetchAll(db, sql: "SELECT subject_id, merged_into, restricted FROM subjects WHERE mac IS NULL")
            for row in rows {
                guard let id = SubjectID(row[0] as String) else { throw StoreError.corrupt("subjects row") }
                let survivor = (row[1] as String?).flatMap(SubjectID.init)
                try Self.writeHeader(db, SubjectHeader(id: id, mergedInto: survivor, restricted: (row[2] as Int64) != 0), self.rowTags)
            }
            let links = tagged ? 0 : try Self.tagUntaggedLinks(db, self.rowTags)
            let write = audit(rows.count + links)
            try self.appendAudit(db, [write.draft], chain: write.chain)
            return rows.count + links
        }
    }

    public func rewriteSealedBodies(
        of subject: SubjectID, events: [(old: [UInt8], new: [UInt8])], consents: [(old: [UInt8], new: [UInt8])], audit: AuditWrite?
    ) async throws {
        try await pool.write { db in
            for (table, bodies) in [("events", events), ("consent_events", consents)] {
                for body in bodies {
                    try db.execute(
                        sql: "UPDATE \(table) SET ciphertext = ? WHERE subject_id = ? AND ciphertext = ?",
                        arguments: [Data(body.new), subject.description, Data(body.old)])
                    guard db.changesCount == 1 else { throw StoreError.staleResolution }
                }
            }
            if let audit { try self.appendAudit(db, [audit.draft], chain: audit.chain) }
        }
    }
}
