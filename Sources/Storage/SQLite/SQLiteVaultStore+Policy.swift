import Foundation
import GRDB

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
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            try db.execute(sql: "INSERT INTO policy_versions (version, digest, applied_at, applied_by, files, diff) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [record.version, record.digest, Self.millis(record.appliedAt), record.appliedBy,
                                       String(decoding: try encoder.encode(record.files), as: UTF8.self),
                                       String(decoding: try encoder.encode(record.diff), as: UTF8.self)])
            if let audit { try self.appendAudit(db, [audit.draft], chain: audit.chain) }
        }
    }

    static func policyVersion(_ row: Row) throws -> PolicyVersionRecord {
        let decoder = JSONDecoder()
        return PolicyVersionRecord(version: row["version"], digest: row["digest"], appliedAt: date(row["applied_at"]), appliedBy: row["applied_by"],
                                   files: try decoder.decode([String: String].self, from: Data((row["files"] as String).utf8)),
                                   diff: try decoder.decode([String: [String]].self, from: Data((row["diff"] as String).utf8)))
    }
}
