import PostgresNIO

/// The statements every view runs, as named server-side prepared statements: each connection
/// parses and plans them once, then only binds the subject id. (Other statements use the
/// extended protocol with bound parameters too, unnamed; values are never spliced into SQL.)
protocol SubjectStatement: PostgresPreparedStatement where Row == PostgresRandomAccessRow {
    var subject: String { get }
}

extension SubjectStatement {
    static var bindingDataTypes: [PostgresDataType] { [.text] }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(subject)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRandomAccessRow { row.makeRandomAccess() }
}

enum ProfileStatements {
    struct Subject: SubjectStatement {
        static let sql = "SELECT created_at, restricted, merged_into FROM subjects WHERE subject_id = $1"
        let subject: String
    }

    struct Fields: SubjectStatement {
        static let sql = """
            SELECT f.field, r.source, f.key_owner, f.observed_at, f.ciphertext
            FROM field_values f JOIN source_records r ON r.record_id = f.record_id WHERE f.subject_id = $1
            """
        let subject: String
    }

    struct Sources: SubjectStatement {
        static let sql = "SELECT DISTINCT source FROM source_records WHERE subject_id = $1"
        let subject: String
    }

    struct Events: SubjectStatement {
        static let sql = """
            SELECT source, key_owner, type, occurred_at, ciphertext FROM events WHERE subject_id = $1
            ORDER BY occurred_at DESC, event_row DESC
            """
        let subject: String
    }

    struct Consents: SubjectStatement {
        static let sql = "SELECT * FROM consent_events WHERE subject_id = $1 ORDER BY event_row"
        let subject: String
    }
}

extension PostgresSession {
    func rows<Statement: SubjectStatement>(_ statement: Statement) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}
