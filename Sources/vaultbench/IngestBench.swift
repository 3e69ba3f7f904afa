import Foundation
import GRDB
import Vault
import VaultModel

/// Ingest throughput against its floor: `vaultbench ingest PEOPLE`.
///
/// Baseline: the same records' JSON bytes inserted as one row each with raw GRDB, 500 rows
/// per transaction, into a fresh file with the same pragmas. Then the same records through
/// the pipeline (validate, normalize, blind-index, resolve, encrypt, audit), 500 per batch.
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
        print("ingest of \(count) records (\(people) people), batches of 500 of one source:")
        print(String(format: "  raw GRDB inserts of the records' JSON (baseline): %8.0f records/s", rawRate))
        print(String(format: "  ProfileVault ingest pipeline:                      %8.0f records/s   ratio %.2f", vaultRate, vaultRate / rawRate))
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
}
