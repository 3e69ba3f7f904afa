import Foundation
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// The master-key rewrap takes the keys not under the active version a batch at a time until
/// none is left: every key once, and a key that changes back behind the walk is still found.
@Suite("Storage conformance: rewrap batches")
struct RewrapWalkTests {
    @Test("batches hand out every key once, then a key changed behind the walk, then none", arguments: StorageBackend.allCases)
    func walksEveryKeyOnce(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let people = 7
        let ids = try await t.vault.ingest.ingest(
            records: (0..<people).map { record("crm-\($0)", ["email": "w\($0)@example.com"]) },
            from: crm, caller: tester
        ).map(\.outcome.subjectID)
        var handedOut: [SubjectID] = []
        var calls = 0
        while true {
            let batch = try await t.vault.store.dataKeys(notUnder: 2, limit: 2)
            calls += 1
            if batch.isEmpty { break }
            handedOut += batch.map(\.subject)
            let moved = try await t.vault.store.replaceDataKeys(
                batch.map { (subject: $0.subject, from: 1, key: WrappedKey(kekVersion: 2, bytes: $0.key.bytes)) })
            #expect(moved == batch.count)
            #expect(calls <= people, "the walk ends")
            if calls > people { break }
        }
        #expect(handedOut.count == people && Set(handedOut) == Set(ids), "each key once")
        let counts = try await t.vault.store.wrappedKeyCounts()
        #expect(counts[2] == people && counts[1] == 4, "only the vault's own four keys remain under 1: \(counts)")

        // A key put back under version 1 behind the walk (first in key order) is found again.
        let first = try #require(ids.map(\.description).sorted().first.flatMap(SubjectID.init))
        let current = try #require(try await t.vault.store.wrappedKey(of: first))
        #expect(try await t.vault.store.replaceDataKeys([(subject: first, from: 2, key: WrappedKey(kekVersion: 1, bytes: current.bytes))]) == 1)
        #expect(try await t.vault.store.dataKeys(notUnder: 2, limit: 2).map(\.subject) == [first])
        _ = try await t.vault.store.replaceDataKeys([(subject: first, from: 1, key: current)])
        #expect(try await t.vault.store.dataKeys(notUnder: 2, limit: 2).isEmpty)
    }
}
