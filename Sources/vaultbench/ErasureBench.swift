import Foundation
import Requests
import Vault
import VaultModel

/// Erasure latency at a given store size: `vaultbench erasure PEOPLE ERASURES`.
/// Fills the store through the real ingest pipeline, then opens, verifies and executes
/// erasures one at a time (each ends with a WAL checkpoint) and reports percentiles.
enum ErasureBench {
    static func run(people: Int, erasures: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-erasure-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let policies = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("policies")
        let vault = try await ProfileVault.openSQLite(dataDirectory: directory, policies: policies)
        let loadStart = ContinuousClock.now
        let summary = try await DemoLoader(vault: vault).load(DemoDataset.generate(people: people, seed: 11), batchSize: 1000)
        let loadSeconds = VaultBench.seconds(ContinuousClock.now - loadStart)
        let size = (try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("vault.sqlite").path)[.size] as? Int) ?? 0
        print(
            "store: \(summary.subjects) subjects, \(summary.records) records, \(summary.events) events, \(size / 1_048_576) MiB; loaded in \(Int(loadSeconds)) s"
        )

        let caller = Caller(requestID: "bench-erasure", principal: "bench", role: .compliance)
        let ids = Array(Set(summary.subjectOf.values)).sorted()
        var latencies: [Double] = []
        for i in 0..<min(erasures, ids.count) {
            let id = ids[(i * 7919) % ids.count]
            guard try await vault.subjects.exists(id) else { continue }
            let request = try await vault.requests.open(
                .init(kind: .erasure, regulation: .gdpr, subjectID: id, identifiers: nil, receivedAt: nil),
                caller: caller)
            _ = try await vault.requests.verify(request.id, method: "bench", caller: caller)
            let start = ContinuousClock.now
            _ = try await vault.requests.execute(request.id, caller: caller)
            latencies.append(VaultBench.seconds(ContinuousClock.now - start) * 1000)
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        print(
            String(
                format:
                    "erasure execute (crypto-shred, delete, suppress, notices, receipt, WAL checkpoint) over %d erasures: p50 %.1f ms, p90 %.1f ms, max %.1f ms",
                latencies.count, percentile(0.5), percentile(0.9), latencies.last ?? 0))
    }
}
