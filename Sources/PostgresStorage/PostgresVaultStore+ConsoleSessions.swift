import Foundation
import PostgresNIO
import Storage

extension PostgresVaultStore {
    // Sessions are not part of resolution or the audit chain: no writer lock.

    public func insertConsoleSession(_ record: ConsoleSessionRecord, now: Date) async throws {
        try await session { s in
            try await s.execute("DELETE FROM console_sessions WHERE expires_at <= \(Self.millis(now))")
            try await s.execute(
                """
                INSERT INTO console_sessions (id_hash, sealed, expires_at)
                VALUES (\(bytea(record.idHash)), \(bytea(record.sealed)), \(Self.millis(record.expiresAt)))
                """)
        }
    }

    public func touchConsoleSession(idHash: [UInt8], now: Date, renewedUntil: Date) async throws -> [UInt8]? {
        try await session { s in
            let renewed = try await s.row(
                """
                UPDATE console_sessions SET expires_at = \(Self.millis(renewedUntil))
                WHERE id_hash = \(bytea(idHash)) AND expires_at > \(Self.millis(now)) RETURNING sealed
                """)
            if let renewed { return try renewed.bytes("sealed") }
            try await s.execute("DELETE FROM console_sessions WHERE id_hash = \(bytea(idHash))")
            return nil
        }
    }

    public func deleteConsoleSession(idHash: [UInt8]) async throws {
        try await session { s in try await s.execute("DELETE FROM console_sessions WHERE id_hash = \(bytea(idHash))") }
    }
}
