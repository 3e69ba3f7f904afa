import GRDB
import GRDBSQLite

/// The current row of a stepped statement, read straight from SQLite's column API.
///
/// For the per-view profile read: GRDB's `Row` boxes every column in a `DatabaseValue`
/// (blobs as `Data`, then copied again into `[UInt8]`), which cost more CPU than SQLite's own
/// work for a view's few dozen rows. Valid only inside `Database.forEachRow`'s body.
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
