import Foundation
import GRDB
import Vault
import VaultModel

/// Ingest throughput against its floor: `vaultbench ingest PEOPLE`.
///
/// Baseline: the same records' JSON bytes inserted as one row each with raw GRDB, 500 rows
/// per transaction, into a fresh file with the same pragmas. Then the same records through
/// the pipeline (validate, normalize, blind-index, resolve, encrypt, audit), 500 per batch.
enum IngestBench {
    static func run(people: Int) async throws {
        let dataset = DemoDataset.generate(people: people, seed: 5)
        let records = dataset.records
        // The API takes one source per batch: batches of 500 records of one source, sources in
        // the demo's order (crm first, so later sources link to existing subjects).
        let batches = DemoDataset.sources.flatMap { source in
            let ofSource = records.filter { $0.source == source }
            return stride(from: 0, to: ofSource.count, by: 500).map { Array(ofSource[$0..<min(ofSource.count, $0 + 500)]) }
        }

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
        let rawRate = Double(records.count) / VaultBench.seconds(ContinuousClock.now - rawStart)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-ingest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let policies = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("policies")
        let vault = try await ProfileVault.openSQLite(dataDirectory: directory, policies: policies)
        let caller = Caller(requestID: "bench-ingest", principal: "bench")
        let vaultStart = ContinuousClock.now
        for batch in batches {
            _ = try await vault.ingest.ingest(records: batch.map(\.json), from: SourceName(batch[0].source)!, caller: caller)
        }
        let vaultRate = Double(records.count) / VaultBench.seconds(ContinuousClock.now - vaultStart)
        print("ingest of \(records.count) records (\(people) people), batches of 500:")
        print(String(format: "  raw GRDB inserts of the records' JSON (baseline): %8.0f records/s", rawRate))
        print(String(format: "  ProfileVault ingest pipeline:                      %8.0f records/s   ratio %.2f", vaultRate, vaultRate / rawRate))
    }
}
