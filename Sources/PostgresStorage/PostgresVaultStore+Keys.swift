import Foundation
import PostgresNIO
import Storage
import VaultModel

extension PostgresVaultStore {
    public func wrappedKeyCounts() async throws -> [Int: Int] {
        try await session { s in
            var counts: [Int: Int] = [:]
            for row in try await s.rows(
                """
                SELECT kek_version, COUNT(*) AS n FROM subjects GROUP BY kek_version
                UNION ALL SELECT kek_version, COUNT(*) FROM vault_keys GROUP BY kek_version
                """)
            {
                counts[try row.get("kek_version", as: Int.self), default: 0] += try row.get("n", as: Int.self)
            }
            return counts
        }
    }

    /// The next keys to re-wrap, walking `subjects` by key (`RewrapWalk`).
    public func dataKeys(notUnder version: Int, limit: Int) async throws -> [(subject: SubjectID, key: WrappedKey)] {
        try await rewrapWalk.next(notUnder: version, limit: limit) { after, limit in try await dataKeys(notUnder: version, after: after, limit: limit) }
    }

    private func dataKeys(notUnder version: Int, after: String, limit: Int) async throws -> [(subject: SubjectID, key: WrappedKey)] {
        try await session { s in
            try await s.rows(
                """
                SELECT subject_id, kek_version, wrapped_dek FROM subjects WHERE subject_id > \(after) AND kek_version <> \(version)
                ORDER BY subject_id LIMIT \(limit)
                """
            ).compactMap { row in
                guard let subject = SubjectID(try row.get("subject_id", as: String.self)) else { return nil }
                return (subject, WrappedKey(kekVersion: try row.get("kek_version", as: Int.self), bytes: try row.bytes("wrapped_dek")))
            }
        }
    }

    public func replaceDataKeys(_ updates: [(subject: SubjectID, from: Int, key: WrappedKey)]) async throws -> Int {
        try await write { s in
            var replaced = 0
            for update in updates {
                replaced += try await s.execute(
                    """
                    UPDATE subjects SET kek_version = \(update.key.kekVersion), wrapped_dek = \(bytea(update.key.bytes))
                    WHERE subject_id = \(update.subject.description) AND kek_version = \(update.from)
                    """)
            }
            return replaced
        }
    }

    public func vaultKeys() async throws -> [(name: String, key: WrappedKey)] {
        try await session { s in
            try await s.rows("SELECT name, kek_version, wrapped FROM vault_keys ORDER BY name").map {
                (try $0.get("name", as: String.self), WrappedKey(kekVersion: try $0.get("kek_version", as: Int.self), bytes: try $0.bytes("wrapped")))
            }
        }
    }

    public func replaceVaultKey(named name: String, from: Int, with key: WrappedKey) async throws {
        try await write { s in
            try await s.execute(
                """
                UPDATE vault_keys SET kek_version = \(key.kekVersion), wrapped = \(bytea(key.bytes)) WHERE name = \(name) AND kek_version = \(from)
                """)
        }
    }

    public func setKeyVersionState(_ version: Int, state: String) async throws {
        try await write { s in try await s.execute("UPDATE keyring SET state = \(state) WHERE version = \(version)") }
    }

    public func deleteKeyVersion(_ version: Int, ifState state: String) async throws -> Bool {
        try await session { s in try await s.execute("DELETE FROM keyring WHERE version = \(version) AND state = \(state)") == 1 }
    }

    /// One autocommitted statement: the lease is a lock of its own, not the writer lock (a
    /// concurrent upsert waits for the row lock, then sees the winner's unexpired lease).
    public func acquireKeyOperationLease(holder: String, now: Date, expiresAt: Date) async throws -> Bool {
        var binds = PostgresBindings()
        binds.append(holder)
        binds.append(Self.millis(expiresAt))
        binds.append(Self.millis(now))
        return try await session { [binds] s in try await s.execute(PostgresQuery(unsafeSQL: KeyOperationLeaseSQL.acquire, binds: binds)) == 1 }
    }

    public func releaseKeyOperationLease(holder: String) async throws {
        var binds = PostgresBindings()
        binds.append(holder)
        try await session { [binds] s in _ = try await s.execute(PostgresQuery(unsafeSQL: KeyOperationLeaseSQL.release, binds: binds)) }
    }

    /// PostgreSQL is backed up with its own tools (pg_dump, pg_basebackup, WAL archiving);
    /// a file copy by vaultd would be neither consistent across replicas nor complete.
    public func backup(to path: String) async throws {
        throw StoreError.unsupported("backups of a PostgreSQL vault are taken with pg_dump or pg_basebackup")
    }
}
