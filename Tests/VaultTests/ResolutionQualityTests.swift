import Foundation
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// Pairwise precision and recall of identity resolution against the demo generator's
/// ground truth: a pair of records is a true positive when the same real person is behind
/// both and the vault put them on the same subject.
@Suite("Identity resolution quality")
struct ResolutionQualityTests {
    @Test("precision and recall on the demo dataset stay above their floors")
    func precisionAndRecall() async throws {
        let t = try await TemporaryVault.make()
        defer { t.remove() }
        let dataset = DemoDataset.generate(people: 2000, seed: 7)
        let summary = try await DemoLoader(vault: t.vault).load(dataset)

        var predicted: [String: SubjectID] = [:]
        for record in dataset.records {
            let id = try #require(summary.subjectOf["\(record.source)/\(record.key)"])
            predicted["\(record.source)/\(record.key)"] = try #require(try await t.vault.store.canonicalSubject(of: id))
        }
        // Contingency counts: (person, subject) cells, per person, per subject.
        var cells: [String: Int] = [:]
        var perPerson: [Int: Int] = [:]
        var perSubject: [SubjectID: Int] = [:]
        for record in dataset.records {
            let subject = predicted["\(record.source)/\(record.key)"]!
            cells["\(record.person)|\(subject)", default: 0] += 1
            perPerson[record.person, default: 0] += 1
            perSubject[subject, default: 0] += 1
        }
        func pairs(_ n: Int) -> Double { Double(n * (n - 1) / 2) }
        let truePositives = cells.values.map(pairs).reduce(0, +)
        let precision = truePositives / perSubject.values.map(pairs).reduce(0, +)
        let recall = truePositives / perPerson.values.map(pairs).reduce(0, +)
        print(
            "identity resolution on \(dataset.people) people, \(dataset.records.count) records: subjects=\(summary.subjects) precision=\(String(format: "%.4f", precision)) recall=\(String(format: "%.4f", recall))"
        )
        #expect(precision >= 0.95)
        #expect(recall >= 0.90)
    }
}
