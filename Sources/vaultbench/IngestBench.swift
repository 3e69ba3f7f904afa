import Foundation
import GRDB
import SQLiteStorage
import Vault
import VaultModel

/// Ingest throughput against its floor: `vaultbench ingest PEOPLE`.
///
/// Baseline: the same records' JSON bytes inserted as one row each with raw GRDB, 500 rows
/// per transaction, into a fresh file with the same pragmas. Then the same records through
/// the pipeline (validate, normalize, blind-index, resolve, encrypt, audit), 500 per batch.
///
/// A second baseline, the floor of the vault's own storage work: the rows the pipeline wrote,
/// copied row by row with raw GRDB into an empty file of the same schema (tables, indexes) and
/// pragmas, in as many transactions as the pipeline had batches. No resolution reads, no crypto,
/// no audit chain: what any pipeline writing this schema would at least pay per record.
///
/// `vaultbench ingest-batches DIR PEOPLE` writes the same batches as request bodies
/// (`DIR/NNNN-source.json`) for `benchmarks/http-ingest.sh` and prints the raw baseline.
///
/// `PV_EXPERIMENT_SQL='DROP INDEX …'` runs SQL on the fresh store before the timed ingest, to
/// price a piece of the schema (BENCHMARKS.md, "Ingest, session 7"). A benchmark-only knob:
/// nothing but this binary reads it.
enum IngestBench {
    static func run(people: Int) async throws {
        let batches = batches(people: people)
        let count = batches.reduce(0) { $0 + $1.count }
        let rawRate = try await rawInsertRate(batches)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-ingest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let policies = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("policies")
        let vault = try await ProfileVault.openSQLite(dataDirectory: directory, policies: policies)
        if let experiment = ProcessInfo.processInfo.environment["PV_EXPERIMENT_SQL"] {
            let connection = try DatabaseQueue(path: directory.appendingPathComponent("vault.sqlite").path)
            try await connection.write { try $0.execute(sql: experiment) }
            try connection.close()
        }
        let caller = Caller(requestID: "bench-ingest", principal: "bench")
        let vaultStart = ContinuousClock.now
        for batch in batches {
            _ = try await vault.ingest.ingest(records: batch.map(\.json), from: SourceName(batch[0].source)!, caller: caller)
        }
        let vaultRate = Double(count) / VaultBench.seconds(ContinuousClock.now - vaultStart)
        let floor = try await schemaFloor(copying: directory.appendingPathComponent("vault.sqlite"), records: count, transactions: batches.count)
        print("ingest of \(count) records (\(people) people), batches of 500 of one source:")
        print(String(format: "  raw GRDB inserts of the records' JSON (baseline): %8.0f records/s", rawRate))
        print(String(format: "  ProfileVault ingest pipeline:                      %8.0f records/s   ratio %.2f", vaultRate, vaultRate / rawRate))
        print(
            String(
                format: "  raw GRDB inserts of the rows the pipeline wrote (%.1f rows per record, the vault's schema): %.0f records/s   ratio %.2f;"
                    + " pipeline / this floor %.2f", floor.rowsPerRecord, floor.recordsPerSecond, floor.recordsPerSecond / rawRate,
                vaultRate / floor.recordsPerSecond))
        print("    rows per record by table: \(floor.tables)")
    }

    /// Writes the batches as `{"records": [...]}` bodies, in ingest order, and prints the raw baseline.
    static func writeBatches(to directory: URL, people: Int) async throws {
        let batches = batches(people: people)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        for (i, batch) in batches.enumerated() {
            let body = try encoder.encode(JSONValue.object(["records": .array(batch.map(\.json))]))
            try body.write(to: directory.appendingPathComponent(String(format: "%04d-%@.json", i, batch[0].source)))
        }
        let rawRate = try await rawInsertRate(batches)
        print(String(format: "{\"records\": %d, \"batches\": %d, \"raw_rps\": %.0f}", batches.reduce(0) { $0 + $1.count }, batches.count, rawRate))
    }

    /// The demo's records in batches of 500 of one source (the API takes one source per batch),
    /// sources in the demo's order: crm first, so later sources link to existing subjects.
    static func batches(people: Int) -> [[DemoDataset.Record]] {
        let records = DemoDataset.generate(people: people, seed: 5).records
        return DemoDataset.sources.flatMap { source in
            let ofSource = records.filter { $0.source == source }
            return stride(from: 0, to: ofSource.count, by: 500).map { Array(ofSource[$0..<min(ofSource.count, $0 + 500)]) }
        }
    }

    /// Rows per second of the records' JSON inserted with raw GRDB, one transaction per batch.
    static func rawInsertRate(_ batches: [[DemoDataset.Record]]) async throws -> Double {
        let rawDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-raw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: rawDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: rawDirectory) }
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        let raw = try DatabasePool(path: rawDirectory.appendingPathComponent("raw.sqlite").path, configuration: configuration)
        try await raw.write { try $0.execute(sql: "CREATE TABLE rows (id INTEGER PRIMARY KEY, source TEXT NOT NULL, body BLOB NOT NULL)") }
        let encoder = JSONEncoder()
        let bodies = try batches.map { batch in try batch.map { (source: $0.source, body: try encoder.encode($0.json)) } }
        let rawStart = ContinuousClock.now
        for batch in bodies {
            try await raw.write { db in
                for row in batch {
                    try db.cachedStatement(sql: "INSERT INTO rows (source, body) VALUES (?, ?)").execute(arguments: [row.source, row.body])
                }
            }
        }
        return Double(bodies.reduce(0) { $0 + $1.count }) / VaultBench.seconds(ContinuousClock.now - rawStart)
    }

    /// Records per second when only the pipeline's rows are written: every row of `database`
    /// inserted again, with prepared statements, into a fresh file with its schema, each
    /// transaction taking the same share of every table. Rows go in the order they arrived:
    /// rowid tables by rowid; tables clustered by subject (`WITHOUT ROWID`, stored in key
    /// order) a subject's rows together, subjects in random order, as random subject ids
    /// arrive. Foreign keys are not checked (shares of tables need not line up), which
    /// only makes this floor cheaper.
    ///
    /// Two knobs price the layout (BENCHMARKS.md, "What this machine allows"):
    /// `PV_FLOOR_KEY_ORDER=1` inserts the clustered tables' subjects in key order, as subject
    /// keys that arrive in order would; `PV_FLOOR_TABLES_ONLY=1` leaves out the secondary indexes.
    static func schemaFloor(
        copying database: URL, records: Int, transactions: Int
    ) async throws -> (rowsPerRecord: Double, recordsPerSecond: Double, tables: String) {
        let environment = ProcessInfo.processInfo.environment
        let inKeyOrder = environment["PV_FLOOR_KEY_ORDER"] == "1"
        let tablesOnly = environment["PV_FLOOR_TABLES_ONLY"] == "1"
        var readOnly = Configuration()
        readOnly.readonly = true
        let source = try DatabaseQueue(path: database.path, configuration: readOnly)
        let (schema, tables) = try await source.read { db -> ([String], [(name: String, columns: Int, rows: [[DatabaseValue]])]) in
            let schema = try String.fetchAll(
                db,
                sql: """
                    SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
                    \(tablesOnly ? "AND type = 'table'" : "")
                    ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, rowid
                    """)
            let listed = try Row.fetchAll(
                db,
                sql:
                    "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'"
            )
            let tables = try listed.map { table in
                let name: String = table["name"]
                var rows = try Row.fetchAll(db, sql: "SELECT * FROM \"\(name)\"\((table["wr"] as Int) == 0 ? " ORDER BY rowid" : "")").map {
                    Array($0.databaseValues)
                }
                if (table["wr"] as Int) != 0 {
                    let bySubject = Dictionary(grouping: rows) { $0[0] }
                    let subjects = inKeyOrder ? bySubject.keys.sorted { "\($0)" < "\($1)" } : bySubject.keys.shuffled()
                    rows = subjects.flatMap { bySubject[$0]! }
                }
                return (name: name, columns: rows.first?.count ?? 0, rows: rows)
            }
            return (schema, tables)
        }
        try source.close()

        let copyDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-floor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copyDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: copyDirectory) }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        let copy = try DatabasePool(path: copyDirectory.appendingPathComponent("floor.sqlite").path, configuration: configuration)
        // The vault's writer cache size (SQLiteVaultStore), so index pages stay cached alike.
        try await copy.writeWithoutTransaction { try $0.execute(sql: "PRAGMA cache_size = -32768") }
        try await copy.write { db in for statement in schema { try db.execute(sql: statement) } }

        let rows = tables.reduce(0) { $0 + $1.rows.count }
        let start = ContinuousClock.now
        for part in 0..<transactions {
            try await copy.write { db in
                for table in tables where !table.rows.isEmpty {
                    let slice = table.rows[table.rows.count * part / transactions..<table.rows.count * (part + 1) / transactions]
                    let placeholders = Array(repeating: "?", count: table.columns).joined(separator: ", ")
                    let insert = try db.cachedStatement(sql: "INSERT INTO \"\(table.name)\" VALUES (\(placeholders))")
                    for row in slice { try insert.execute(arguments: StatementArguments(row)) }
                }
            }
        }
        let seconds = VaultBench.seconds(ContinuousClock.now - start)
        let shares = tables.filter { !$0.rows.isEmpty }.sorted { $0.rows.count > $1.rows.count }
            .map { String(format: "%@ %.2f", $0.name, Double($0.rows.count) / Double(records)) }.joined(separator: ", ")
        return (Double(rows) / Double(records), Double(records) / seconds, shares)
    }
}
