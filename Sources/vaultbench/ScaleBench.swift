import Foundation
import Requests
import Vault
import VaultModel

/// How the vault behaves as it grows: `vaultbench scale PEOPLE`. Fills a fresh store with
/// the demo generator through the ingest pipeline (batches of 1,000), then measures at that
/// size: support-view latency (one client, 2,000 views of random subjects), the ingest rate
/// over the fill, erasure latency (20), and the process's resident memory.
enum ScaleBench {
    static func run(people: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-scale-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let policies = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("policies")
        let vault = try await ProfileVault.openSQLite(dataDirectory: directory, policies: policies)
        let fillStart = ContinuousClock.now
        // One dataset, one seed: generators with different seeds reuse the same name pools, and
        // their look-alike people would merge into ever larger subjects.
        let dataset = DemoDataset.generate(people: people, seed: 7)
        let summary = try await DemoLoader(vault: vault).load(dataset, batchSize: 1000)
        let subjects = Array(Set(summary.subjectOf.values))
        let fillSeconds = VaultBench.seconds(ContinuousClock.now - fillStart)
        let ingestRate = Double(summary.records) / fillSeconds
        let count = try await vault.store.subjectCount()
        let size = (try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("vault.sqlite").path)[.size] as? Int) ?? 0

        var latencies: [Double] = []
        let purpose = Purpose("essential.service.operations.support")!
        var rng = SystemRandomNumberGenerator()
        for i in 0..<2_000 {
            let id = subjects[Int.random(in: 0..<subjects.count, using: &rng)]
            let start = ContinuousClock.now
            _ = try? await vault.views.view(id, role: "support", purpose: purpose, caller: Caller(requestID: "scale-\(i)", principal: "bench", role: "support"))
            latencies.append(VaultBench.seconds(ContinuousClock.now - start) * 1e6)
        }
        latencies.sort()

        var erasures: [Double] = []
        let compliance = Caller(requestID: "scale-erasure", principal: "bench", role: .compliance)
        for i in 0..<20 {
            let id = subjects[(i * 7_919) % subjects.count]
            guard try await vault.store.subjectExists(id) else { continue }
            let request = try await vault.requests.open(.init(kind: .erasure, regulation: .gdpr, subjectID: id, identifiers: nil, receivedAt: nil), caller: compliance)
            _ = try await vault.requests.verify(request.id, method: "bench", caller: compliance)
            let start = ContinuousClock.now
            _ = try await vault.requests.execute(request.id, caller: compliance)
            erasures.append(VaultBench.seconds(ContinuousClock.now - start) * 1000)
        }
        erasures.sort()
        print(String(format: "scale %d people: %d subjects, %d MiB, filled in %.0f s | view p50 %.0f µs p99 %.0f µs | ingest %.0f records/s over the fill (with their events) | erasure p50 %.1f ms | RSS %d MiB",
                     people, count, size / 1_048_576, fillSeconds, latencies[latencies.count / 2], latencies[latencies.count * 99 / 100],
                     ingestRate, erasures.isEmpty ? 0 : erasures[erasures.count / 2], residentMiB()))
    }

    /// VmRSS of this process, from /proc.
    static func residentMiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }
}
