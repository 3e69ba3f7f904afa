import Foundation
import GRDB
import Storage

extension SQLiteVaultStore {
    public func insertConsoleSession(_ session: ConsoleSessionRecord, now: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM console_sessions WHERE expires_at <= ?", arguments: [Self.millis(now)])
            try db.execute(
                sql: "INSERT INTO console_sessions (id_hash, sealed, expires_at) VALUES (?, ?, ?)",
                arguments: [Data(session.idHash), Data(session.sealed), Self.millis(session.expiresAt)])
        }
    }

    public func touchConsoleSession(idHash: [UInt8], now: Date, renewedUntil: Date) async throws -> [UInt8]? {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE console_sessions SET expires_at = ? WHERE id_hash = ? AND expires_at > ?",
                arguments: [Self.millis(renewedUntil), Data(idHash), Self.millis(now)])
            guard db.changesCount > 0 else {
                try db.execute(sql: "DELETE FROM console_sessions WHERE id_hash = ?", arguments: [Data(idHash)])
                return nil
            }
            return try Data.fetchOne(db, sql: "SELECT sealed FROM console_sessions WHERE id_hash = ?", arguments: [Data(idHash)]).map { [UInt8]($0) }
        }
    }

    public func deleteConsoleSession(idHash: [UInt8]) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM console_sessions WHERE id_hash = ?", arguments: [Data(idHash)]) }
    }
}
