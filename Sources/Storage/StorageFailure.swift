import GRDB

/// What a database error means for a caller, without its message (SQLite messages can quote
/// the value of a failed constraint).
public enum StorageFailure: Sendable, Equatable {
    /// The disk is full, read-only, failing or locked: nothing was written; retry later.
    case unavailable
    /// The file is damaged: an operator must restore it.
    case corrupt

    public init?(_ error: any Error) {
        if let reporting = error as? any StorageFailureReporting {
            guard let failure = reporting.storageFailure else { return nil }
            self = failure
            return
        }
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_NOMEM, .SQLITE_PROTOCOL:
            self = .unavailable
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            self = .corrupt
        default:
            return nil
        }
    }
}

/// An error of another backend that says itself what it means for a caller.
public protocol StorageFailureReporting: Error {
    var storageFailure: StorageFailure? { get }
}

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
