import GRDB
import Storage

extension SQLiteVaultStore {
    /// Fault injection for tests: caps the database at `pages` pages (SQLite answers
    /// SQLITE_FULL past it, as on a full disk); nil lifts the cap.
    public func limitPages(to pages: Int?) async throws {
        try await pool.barrierWriteWithoutTransaction { db in
            try db.execute(sql: "PRAGMA max_page_count = \(pages ?? 1_073_741_823)")
        }
    }

    /// Pages the database file holds now.
    public func pageCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
    }
}

extension SQLiteReadAuditFile {
    /// Fault injection for tests: caps the reads chain's file at `pages` pages (nil lifts it),
    /// as `SQLiteVaultStore.limitPages` does for the store: a full disk fills both.
    public func limitPages(to pages: Int?) async throws {
        try await pool.barrierWriteWithoutTransaction { db in
            try db.execute(sql: "PRAGMA max_page_count = \(pages ?? 1_073_741_823)")
        }
    }

    public func pageCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
    }
}
