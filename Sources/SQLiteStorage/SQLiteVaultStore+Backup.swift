import Foundation
import GRDB
import Storage

extension SQLiteVaultStore {
    /// A consistent copy of the live database (`VACUUM INTO`: compacted, no free pages, so no
    /// residue of deleted rows) written to `path`, while the vault keeps serving reads.
    public func backup(to path: String) async throws {
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM INTO ?", arguments: [path])
        }
    }

    /// Where the erasure ledger stood when a backup was taken, recorded in the backup file.
    public struct LedgerPosition: Sendable, Equatable {
        public let entries: Int
        /// The request id of the last entry then ("" when there was none).
        public let lastRequestID: String
        /// The vault the backup was taken of; nil in backups taken before it was recorded.
        public let vaultID: String?
        public init(entries: Int, lastRequestID: String, vaultID: String?) {
            self.entries = entries
            self.lastRequestID = lastRequestID
            self.vaultID = vaultID
        }
    }

    /// Writes `position` into the backup file at `path` (a copy no vault serves).
    public static func recordLedgerPosition(_ position: LedgerPosition, inBackup path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            // A database restored from a backup still holds the position of that backup.
            try db.execute(sql: "DROP TABLE IF EXISTS backup_origin")
            try db.execute(sql: "CREATE TABLE backup_origin (ledger_entries INTEGER NOT NULL, ledger_last_request TEXT NOT NULL, vault_id TEXT)")
            try db.execute(sql: "INSERT INTO backup_origin VALUES (?, ?, ?)", arguments: [position.entries, position.lastRequestID, position.vaultID])
        }
        try queue.close()
    }

    /// The ledger position recorded in the backup at `path`; nil for a backup made before
    /// positions were recorded.
    public static func ledgerPosition(inBackup path: String) throws -> LedgerPosition? {
        let queue = try DatabaseQueue(
            path: path,
            configuration: {
                var c = Configuration()
                c.readonly = true
                return c
            }())
        defer { try? queue.close() }
        return try queue.read { db in
            guard try db.tableExists("backup_origin") else { return nil }
            let hasVault = try db.columns(in: "backup_origin").contains { $0.name == "vault_id" }
            return try Row.fetchOne(db, sql: "SELECT * FROM backup_origin").map {
                LedgerPosition(entries: $0["ledger_entries"], lastRequestID: $0["ledger_last_request"], vaultID: hasVault ? $0["vault_id"] : nil)
            }
        }
    }

    /// The stored hash of each audit entry in `seqs` in the (stopped) database at `path`.
    public static func auditHashes(inFile path: String, at seqs: Set<Int64>) throws -> [Int64: [UInt8]] {
        let queue = try DatabaseQueue(
            path: path,
            configuration: {
                var c = Configuration()
                c.readonly = true
                return c
            }())
        defer { try? queue.close() }
        return try queue.read { db in
            var hashes: [Int64: [UInt8]] = [:]
            for seq in seqs {
                if let hash = try Data.fetchOne(db, sql: "SELECT hash FROM audit_log WHERE seq = ?", arguments: [seq]) { hashes[seq] = [UInt8](hash) }
            }
            return hashes
        }
    }
}
