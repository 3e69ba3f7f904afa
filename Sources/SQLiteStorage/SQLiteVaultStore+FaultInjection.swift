import GRDB
import Storage

/// Fault injection for tests: caps a database at `pages` pages (SQLite answers SQLITE_FULL
/// past it, as on a full disk; nil lifts the cap), and its page count now.
extension DatabasePool {
    func limitPages(to pages: Int?) async throws {
        try await barrierWriteWithoutTransaction { db in
            try db.execute(sql: "PRAGMA max_page_count = \(pages ?? 1_073_741_823)")
        }
    }

    func pageCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
    }
}

extension SQLiteVaultStore {
    public func limitPages(to pages: Int?) async throws { try await pool.limitPages(to: pages) }
    public func pageCount() async throws -> Int { try await pool.pageCount() }
}

/// A full disk fills both files: the store's and the reads chain's.
extension SQLiteReadAuditFile {
    public func limitPages(to pages: Int?) async throws { try await pool.limitPages(to: pages) }
    public func pageCount() async throws -> Int { try await pool.pageCount() }
}
