import GRDB
import GRDBSQLite
import Storage

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

/// Binds the parameters of a statement about to be stepped by `Database.run` or `forEachRow(_:binding:each:)`.
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

    /// A blob, or NULL for nil.
    func bind(_ index: Int32, _ bytes: [UInt8]?) {
        guard let bytes else {
            sqlite3_bind_null(handle, index)
            return
        }
        bind(index, bytes)
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
    /// Every parameter is bound afresh on each run. GRDB binds again whenever it is given
    /// arguments, so a cached statement may also serve GRDB calls that pass arguments, never
    /// one that relies on the bindings left in place.
    func run(_ statement: Statement, _ bind: (SQLiteBinder) -> Void) throws {
        let handle = rebind(statement, bind)
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw stepFailure(code, statement) }
    }

    /// Runs a (cached) query with the parameters `bind` sets (the rule of `run`), calling
    /// `body` for each row.
    func forEachRow(_ statement: Statement, binding bind: (SQLiteBinder) -> Void, each body: (SQLiteColumns) throws -> Void) throws {
        _ = rebind(statement, bind)
        try step(statement, body)
    }

    /// Runs a (cached) query with `arguments` bound by GRDB, calling `body` for each row.
    func forEachRow(_ statement: Statement, arguments: StatementArguments, _ body: (SQLiteColumns) throws -> Void) throws {
        try statement.setArguments(arguments)
        try step(statement, body)
    }

    private func rebind(_ statement: Statement, _ bind: (SQLiteBinder) -> Void) -> SQLiteStatement {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        bind(SQLiteBinder(handle: handle))
        return handle
    }

    /// Steps every row, then resets the statement as GRDB would.
    private func step(_ statement: Statement, _ body: (SQLiteColumns) throws -> Void) throws {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw stepFailure(code, statement) }
            try body(SQLiteColumns(handle: handle))
        }
    }

    /// SQLite's message names constraints and columns, never values.
    private func stepFailure(_ code: Int32, _ statement: Statement) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: statement.sql)
    }
}
