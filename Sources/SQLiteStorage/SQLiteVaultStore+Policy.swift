import Foundation
import GRDB
import Storage

extension SQLiteVaultStore {
    public func latestPolicyVersion() async throws -> PolicyVersionRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM policy_versions ORDER BY version DESC LIMIT 1").map(Self.policyVersion)
        }
    }

    public func policyVersions() async throws -> [PolicyVersionRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM policy_versions ORDER BY version").map(Self.policyVersion)
        }
    }

    public func insertPolicyVersion(_ record: PolicyVersionRecord, audit: AuditWrite?) async throws {
        try await pool.write { db in
            let latest = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM policy_versions") ?? 0
            guard record.version == latest + 1 else { throw StoreError.staleResolution }
            let stored = try PolicyVersionRecord.StoredText(record)
            try db.execute(
                sql: "INSERT INTO policy_versions (version, digest, applied_at, applied_by, files, diff, mac) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    record.version, record.digest, Self.millis(record.appliedAt), record.appliedBy, stored.files, stored.diff,
                    record.mac.map { Data($0) },
                ])
            if let audit { try self.appendAudit(db, [audit.draft], chain: audit.chain) }
        }
    }

    static func policyVersion(_ row: Row) throws -> PolicyVersionRecord {
        var record = try PolicyVersionRecord.StoredText(files: row["files"], diff: row["diff"])
            .record(version: row["version"], digest: row["digest"], appliedAt: date(row["applied_at"]), appliedBy: row["applied_by"])
        record.mac = (row["mac"] as Data?).map { [UInt8]($0) }
        return record
    }
}
