import Foundation
import Testing
import VaultModel
import VaultTestSupport

@testable import SQLiteStorage
@testable import Storage
@testable import Vault

/// The SQLite store checkpoints its WAL on a connection of its own (`WALCheckpointer`)
/// instead of inside the commit that crosses SQLite's threshold.
@Suite("WAL checkpoints on SQLite")
struct WALCheckpointTests {
    @Test("written pages reach the database file through the background checkpoint, and the WAL stays bounded")
    func backgroundCheckpoint() async throws {
        let t = try await TemporaryVault.make(.sqlite)
        defer { t.remove() }
        let store = try #require(t.vault.store as? SQLiteVaultStore)
        let pageSize = 4096
        func size(_ suffix: String) -> Int {
            (try? FileManager.default.attributesOfItem(atPath: t.databasePath + suffix)[.size] as? Int) ?? 0
        }
        let emptyFile = size("")
        // ≈ 9,000 records: several times the 1,000-page threshold of the background checkpoint,
        // below the writer's own (10,000 pages) for any single stretch between checkpoints.
        let records = DemoDataset.generate(people: 3500, seed: 11).records
        var peakWAL = 0
        for source in DemoDataset.sources {
            let ofSource = records.filter { $0.source == source }
            for start in stride(from: 0, to: ofSource.count, by: 500) {
                _ = try await t.vault.ingest.ingest(
                    records: ofSource[start..<min(ofSource.count, start + 500)].map(\.json),
                    from: SourceName(source)!, caller: tester)
                peakWAL = max(peakWAL, size("-wal"))
            }
        }
        store.checkpointer.drain()
        #expect(size("") > emptyFile + 1000 * pageSize, "checkpointed pages are in the database file without an explicit checkpoint")
        #expect(peakWAL < Int(WALCheckpointer.writerPages) * pageSize, "the WAL restarts instead of growing to the writer's threshold")
        // The data reads back whole after the checkpoints.
        #expect(try await store.subjectCount() > 3000)
    }
}
