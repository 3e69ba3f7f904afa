import Foundation
import PostgresStorage
import Vault
import VaultModel

/// SQLite against PostgreSQL, the same work on each: `vaultbench backends PEOPLE [VIEWS]`
/// with `PROFILEVAULT_BENCH_POSTGRES=postgres://…` (a database to fill; see benchmarks/backends.sh).
///
/// Per backend: the demo dataset through the ingest pipeline (batches of up to 500 per
/// source, with audit), then support-role views (decrypt, policy, audited) of every subject
/// in turn from 16 concurrent tasks. SQLite is the baseline of the ratio.
enum BackendsBench {
    struct Figures {
        let records: Int
        let ingest: Double
        let views: Double
    }

    static func run(people: Int, views: Int) async throws {
        guard let url = ProcessInfo.processInfo.environment["PROFILEVAULT_BENCH_POSTGRES"] else {
            print("set PROFILEVAULT_BENCH_POSTGRES=postgres://user@host:port/database (benchmarks/backends.sh starts a cluster)")
            exit(2)
        }
        let policies = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("policies")
        let sqliteDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-sqlite-\(UUID().uuidString)")
        let postgresDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-pg-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: sqliteDirectory)
            try? FileManager.default.removeItem(at: postgresDirectory)
        }
        let sqlite = try await measure(
            try await ProfileVault.openSQLite(dataDirectory: sqliteDirectory, policies: policies),
            people: people, views: views)
        let store = try await PostgresVaultStore.connect(location: try PostgresLocation(url: url), maximumConnections: 16)
        defer { store.shutdown() }
        let postgres = try await measure(
            try await ProfileVault.open(store: store, dataDirectory: postgresDirectory, policies: policies),
            people: people, views: views, afterIngest: { try await store.analyze() })
        print(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; \(people) people, \(sqlite.records) records; \(views) support views, 16 concurrent"
        )
        print("backend      ingest records/s   views/s")
        print(String(format: "SQLite       %16.0f %9.0f   (baseline)", sqlite.ingest, sqlite.views))
        print(
            String(
                format: "PostgreSQL   %16.0f %9.0f   ratio ingest %.2f, views %.2f", postgres.ingest, postgres.views,
                postgres.ingest / sqlite.ingest, postgres.views / sqlite.views))
    }

    /// `afterIngest`: run between the two phases, untimed (PostgreSQL: ANALYZE, as autovacuum would).
    static func measure(_ vault: ProfileVault, people: Int, views: Int, afterIngest: () async throws -> Void = {}) async throws -> Figures {
        let records = DemoDataset.generate(people: people, seed: 5).records
        let caller = Caller(requestID: "bench-backends", principal: "bench")
        var subjects: Set<SubjectID> = []
        let start = ContinuousClock.now
        for offset in stride(from: 0, to: records.count, by: 500) {
            let batch = records[offset..<min(records.count, offset + 500)]
            for (source, items) in Dictionary(grouping: batch, by: \.source) {
                let results = try await vault.ingest.ingest(records: items.map(\.json), from: SourceName(source)!, caller: caller)
                subjects.formUnion(results.map(\.outcome.subjectID))
            }
        }
        let ingest = Double(records.count) / VaultBench.seconds(ContinuousClock.now - start)
        try await afterIngest()
        var ids: [SubjectID] = []
        for id in subjects.sorted() where try await vault.subjects.canonical(of: id) == id { ids.append(id) }
        let purpose = Purpose("essential.service.operations.support")!
        let rate = try await VaultBench.measure(views, concurrency: 16) { [ids] i in
            _ = try await vault.views.view(
                ids[i % ids.count], role: "support", purpose: purpose,
                caller: Caller(requestID: "bench-b-\(i)", principal: "bench", role: "support"))
        }
        return Figures(records: records.count, ingest: ingest, views: rate)
    }
}
