import Foundation
import GRDB
import Storage
import VaultModel

extension SQLiteVaultStore {
    public func wrappedKeyCounts() async throws -> [Int: Int] {
        try await pool.read { db in
            var counts: [Int: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT kek_version, COUNT(*) AS n FROM subjects GROUP BY kek_version
                    UNION ALL SELECT kek_version, COUNT(*) FROM vault_keys GROUP BY kek_version
                    """)
            {
                counts[row["kek_version"], default: 0] += row["n"] as Int
            }
            return counts
        }
    }

    /// The next keys to re-wrap, walking `subjects` by key (`RewrapWalk`).
    public func dataKeys(notUnder version: Int, limit: Int) async throws -> [(subject: SubjectID, key: WrappedKey)] {
        try await rewrapWalk.next(notUnder: version, limit: limit) { after, limit in try await dataKeys(notUnder: version, after: after, limit: limit) }
    }

    private func dataKeys(notUnder version: Int, after: String, limit: Int) async throws -> [(subject: SubjectID, key: WrappedKey)] {
        try await pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT subject_id, kek_version, wrapped_dek FROM subjects WHERE subject_id > ? AND kek_version != ? ORDER BY subject_id LIMIT ?
                        """), arguments: [after, version, limit]
            ).compactMap { row in
                guard let subject = SubjectID(row["subject_id"] as String) else { return nil }
                return (subject, WrappedKey(kekVersion: row["kek_version"], bytes: [UInt8](row["wrapped_dek"] as Data)))
            }
        }
    }

    public func replaceDataKeys(_ updates: [(subject: SubjectID, from: Int, key: WrappedKey)]) async throws -> Int {
        try await pool.write { db in
            var replaced = 0
            for update in updates {
                try db.execute(
                    sql: "UPDATE subjects SET kek_version = ?, wrapped_dek = ? WHERE subject_id = ? AND kek_version = ?",
                    arguments: [update.key.kekVersion, Data(update.key.bytes), update.subject.description, update.from])
                replaced += db.changesCount
            }
            return replaced
        }
    }

    public func vaultKeys() async throws -> [(name: String, key: WrappedKey)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, kek_version, wrapped FROM vault_keys ORDER BY name").map {
                ($0["name"], WrappedKey(kekVersion: $0["kek_version"], bytes: [UInt8]($0["wrapped"] as Data)))
            }
        }
    }

    public func replaceVaultKey(named name: String, from: Int, with key: WrappedKey) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE vault_keys SET kek_version = ?, wrapped = ? WHERE name = ? AND kek_version = ?",
                arguments: [key.kekVersion, Data(key.bytes), name, from])
        }
    }

    public func setKeyVersionState(_ version: Int, state: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE keyring SET state = ? WHERE version = ?", arguments: [state, version])
        }
    }

    public func deleteKeyVersion(_ version: Int, ifState state: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM keyring WHERE version = ? AND state = ?", arguments: [version, state])
            return db.changesCount == 1
        }
    }

    public func acquireKeyOperationLease(holder: String, now: Date, expiresAt: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: KeyOperationLeaseSQL.acquire, arguments: [holder, Self.millis(expiresAt), Self.millis(now)])
            return db.changesCount == 1
        }
    }

    public func releaseKeyOperationLease(holder: String) async throws {
        try await pool.write { db in try db.execute(sql: KeyOperationLeaseSQL.release, arguments: [holder]) }
    }
}
