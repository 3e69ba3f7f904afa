import Foundation
import VaultModel

/// Loads a demo dataset through the real ingest pipelines, in batches.
public struct DemoLoader: Sendable {
    let vault: ProfileVault
    public init(vault: ProfileVault) { self.vault = vault }

    public struct Summary: Sendable {
        public var records = 0, events = 0, subjects = 0
        /// (source, key) → subject id, for measuring resolution against ground truth.
        public var subjectOf: [String: SubjectID] = [:]
    }

    public func load(_ dataset: DemoDataset, batchSize: Int = 500) async throws -> Summary {
        var summary = Summary()
        for source in DemoDataset.sources {
            let name = SourceName(source)!
            let records = dataset.records.filter { $0.source == source }
            for start in stride(from: 0, to: records.count, by: batchSize) {
                let batch = Array(records[start..<min(start + batchSize, records.count)])
                let results = try await vault.ingest.ingest(records: batch.map(\.json), from: name, caller: .system("demo"))
                for (record, result) in zip(batch, results) { summary.subjectOf["\(source)/\(record.key)"] = result.outcome.subjectID }
                summary.records += batch.count
            }
            let events = dataset.events.filter { $0.source == source }
            for start in stride(from: 0, to: events.count, by: batchSize) {
                let batch = Array(events[start..<min(start + batchSize, events.count)])
                _ = try await vault.events.ingest(events: batch.map(\.json), from: name, caller: .system("demo"))
                summary.events += batch.count
            }
        }
        summary.subjects = try await vault.store.subjectCount()
        return summary
    }
}
