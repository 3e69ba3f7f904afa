import Foundation
import PostgresNIO
import Storage

extension PostgresVaultStore {
    public func latestPolicyVersion() async throws -> PolicyVersionRecord? {
        try await session { s in try await s.row("SELECT * FROM policy_versions ORDER BY version DESC LIMIT 1").map(Self.policyVersion) }
    }

    public func policyVersions() async throws -> [PolicyVersionRecord] {
        try await session { s in try await s.rows("SELECT * FROM policy_versions ORDER BY version").map(Self.policyVersion) }
    }

    /// Version numbers are checked under the writer lock, so two replicas applying at once
    /// get one version each or a `staleResolution` for the later one, never a gap or a twin.
    public func insertPolicyVersion(_ record: PolicyVersionRecord, audit: AuditWrite?) async throws {
        try await write { s in
            let latest = try await s.column("SELECT COALESCE(MAX(version), 0) FROM policy_versions", as: Int.self)[0]
            guard record.version == latest + 1 else { throw StoreError.staleResolution }
            let stored = try PolicyVersionRecord.StoredText(record)
            try await s.execute(
                """
                INSERT INTO policy_versions (version, digest, applied_at, applied_by, files, diff, mac)
                VALUES (\(record.version), \(record.digest), \(Self.millis(record.appliedAt)), \(record.appliedBy), \(stored.files), \(stored.diff),
                        \(record.mac.map(bytea)))
                """)
            if let audit { try await self.appendAudit(s, [audit.draft], chain: audit.chain) }
        }
    }

    static func policyVersion(_ row: PostgresRandomAccessRow) throws -> PolicyVersionRecord {
        var record = try PolicyVersionRecord.StoredText(files: try row.get("files"), diff: try row.get("diff"))
            .record(
                version: try row.get("version", as: Int.self), digest: try row.get("digest"), appliedAt: try row.date("applied_at"),
                appliedBy: try row.get("applied_by"))
        record.mac = try row.optionalBytes("mac")
        return record
    }
}
