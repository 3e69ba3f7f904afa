import PostgresNIO

extension PostgresSession {
    /// Runs a named prepared statement (parsed and planned once per connection).
    func rows<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [PostgresRandomAccessRow]
    where Statement.Row == PostgresRandomAccessRow {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}
