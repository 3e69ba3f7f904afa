import GRDB
import GRDBSQLite

// Direct use of SQLite's C API for the two hottest paths, a view's profile read and an ingested
// record's statements: GRDB's `Row`, `DatabaseValue` and `StatementArguments` box every value
// (blobs as `Data`, copied again into `[UInt8]`), which cost as much CPU as SQLite's own work
// there. Statements still come from GRDB's statement cache, inside GRDB's transactions.

/// The current row of a stepped statement, read straight from SQLite's column API. Valid only
/// inside `Database.forEachRow`'s body.
struct SQLiteColumns {
    let handle: SQLiteStatement

    func text(_ column: Int32) -> String? {
        guard let characters = sqlite3_column_text(handle, column) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: characters, count: Int(sqlite3_column_bytes(handle, column))), as: UTF8.self)
    }

    func int64(_ column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    func bytes(_ column: Int32) -> [UInt8]? {
        guard sqlite3_column_type(handle, column) != SQLITE_NULL else { return nil }
        // SQLite's order: the pointer first, then its size.
        guard let pointer = sqlite3_column_blob(handle, column) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column))))
    }
}

extension Database {
    /// Runs a (cached) statement with `arguments`, calling `body` for each row.
    ///
    /// GRDB binds the arguments (and so keeps its own idea of the statement's state); the rows
    /// are stepped here, and the statement is reset afterwards as GRDB would.
    func forEachRow(_ statement: Statement, arguments: StatementArguments, _ body: (SQLiteColumns) throws -> Void) throws {
        try statement.setArguments(arguments)
        try step(statement, body)
    }

    /// Runs a (cached) query with the parameters `bind` sets (see `run` for the rule), calling
    /// `body` for each row.
    func forEachRow(_ statement: Statement, binding bind: (SQLiteBinder) -> Void, _ body: (SQLiteColumns) throws -> Void) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        bind(SQLiteBinder(handle: handle))
        try step(statement, body)
    }

    private func step(_ statement: Statement, _ body: (SQLiteColumns) throws -> Void) throws {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: statement.sql)
            }
            try body(SQLiteColumns(handle: handle))
        }
    }
}

/// Binds the parameters of a statement about to be stepped by `Database.run`.
struct SQLiteBinder {
    let handle: SQLiteStatement
    /// SQLite copies the value before the call returns (SQLITE_TRANSIENT).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ value: String) {
        sqlite3_bind_text(handle, index, value, -1, Self.transient)
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Int) {
        sqlite3_bind_int64(handle, index, Int64(value))
    }

    func bind(_ index: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            // An empty array may have no address, which SQLite would store as NULL.
            if let address = buffer.baseAddress {
                sqlite3_bind_blob(handle, index, address, Int32(buffer.count), Self.transient)
            } else {
                sqlite3_bind_zeroblob(handle, index, 0)
            }
        }
    }
}

extension Database {
    /// Runs a (cached) data-changing statement once with the parameters `bind` sets.
    ///
    /// Only for statements no other code runs through GRDB with arguments (GRDB would not know
    /// these bindings); every parameter is bound afresh on each run.
    func run(_ statement: Statement, _ bind: (SQLiteBinder) -> Void) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        bind(SQLiteBinder(handle: handle))
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: statement.sql)
        }
    }
}
