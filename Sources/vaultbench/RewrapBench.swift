import Foundation
import Vault

/// Re-wrap rate during a master-key rotation: `vaultbench rewrap PEOPLE`.
enum RewrapBench {
    static func run(people: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-bench-rewrap-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let policies = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("policies")
        let vault = try await ProfileVault.openSQLite(dataDirectory: directory, policies: policies)
        let summary = try await DemoLoader(vault: vault).load(DemoDataset.generate(people: people, seed: 13), batchSize: 1000)
        let before = try await vault.rotation.status()
        _ = try await vault.rotation.rotate(caller: .system("bench"))
        let start = ContinuousClock.now
        var total = 0
        while true {
            let n = try await vault.rotation.rewrapBatch(limit: 1000)
            if n == 0 { break }
            total += n
        }
        let seconds = VaultBench.seconds(ContinuousClock.now - start)
        print(
            String(
                format: "rewrap: %d keys (%d subjects' data keys incl. merged-away ones, + vault secrets) in %.2f s = %.0f keys/s (batches of 1000)",
                total, before.total, seconds, Double(total) / seconds))
        _ = summary
    }
}
