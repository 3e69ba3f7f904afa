import Foundation
import GRDB
import Testing
import VaultModel
import VaultTestSupport

@testable import SQLiteStorage
@testable import Storage
@testable import Vault

/// The SQLite store's per-request reads keep their read transaction across audit-only commits
/// (`PinnedReaders`) and must still see every other commit at once.
@Suite("Pinned readers on SQLite")
struct PinnedReadersTests {
    struct Rollback: Error {}

    /// A vault with one person from the CRM, its WAL restarted so that pins are allowed.
    static func vaultWithAnn() async throws -> (TemporaryVault, SQLiteVaultStore, SubjectID) {
        let t = try await TemporaryVault.make(.sqlite)
        let store = try #require(t.vault.store as? SQLiteVaultStore)
        let outcome = try await t.vault.ingest.ingest(
            records: [record("c-1", ["email": "ann@example.com", "first_name": "Ann"])],
            from: crm, caller: tester)
        store.checkpointer.drain()  // one checkpoint at a time: a running one makes TRUNCATE busy
        try await store.checkpoint()
        return (t, store, outcome[0].outcome.subjectID)
    }

    func fieldCount(_ store: SQLiteVaultStore, _ id: SubjectID) async throws -> Int {
        try #require(try await store.sealedProfile(of: id)).fields.count
    }

    @Test("a read after an audit-only commit keeps its transaction; a read after any other commit sees it")
    func auditOnlyCommitsKeepThePin() async throws {
        let (t, store, ann) = try await Self.vaultWithAnn()
        defer { t.remove() }
        #expect(try await fieldCount(store, ann) == 2)
        let begun = store.readers.transactionsBegun.load(ordering: .relaxed)

        try await t.vault.audit.record(tester.draft("subject.view", subjects: [ann.description]))
        #expect(try await fieldCount(store, ann) == 2)
        #expect(store.readers.transactionsBegun.load(ordering: .relaxed) == begun, "the audit entry did not end the snapshot")

        _ = try await t.vault.ingest.ingest(
            records: [record("b-1", ["email": "ann@example.com", "iban": "DE89370400440532013000"])],
            from: billing, caller: tester)
        #expect(try await fieldCount(store, ann) == 4, "the billing record's values are seen by the next read")
        #expect(store.readers.transactionsBegun.load(ordering: .relaxed) == begun + 1)

        try await store.setRestricted(ann, true)
        #expect(try #require(try await store.sealedProfile(of: ann)).restricted)
    }

    @Test("an audit-only transaction that rolls back does not hide the next commit from readers")
    func rolledBackAuditMarkIsCleared() async throws {
        let (t, store, ann) = try await Self.vaultWithAnn()
        defer { t.remove() }
        #expect(try await fieldCount(store, ann) == 2)
        await #expect(throws: Rollback.self) {
            try await store.pool.write { db in
                store.readers.nextCommitIsAuditOnly(db)
                throw Rollback()
            }
        }
        try await store.setRestricted(ann, true)
        #expect(try #require(try await store.sealedProfile(of: ann)).restricted, "the restriction is seen by the next read")
    }

    @Test("under views and their audit entries the WAL stays bounded, and an erasure's TRUNCATE checkpoint empties it")
    func walStaysBoundedUnderViews() async throws {
        let t = try await TemporaryVault.make(.sqlite)
        defer { t.remove() }
        let store = try #require(t.vault.store as? SQLiteVaultStore)
        let people = DemoDataset.generate(people: 200, seed: 5)
        _ = try await DemoLoader(vault: t.vault).load(people)
        let ids = try await store.subjectIDs(after: nil, limit: 200)
        let walPath = t.databasePath + "-wal"
        func walSize() -> Int { (try? FileManager.default.attributesOfItem(atPath: walPath)[.size] as? Int) ?? 0 }
        let purpose = Purpose("essential.service.operations.support")!
        var peakWAL = 0
        // ≈ 6,000 audited views from 8 tasks: several background checkpoint cycles.
        for round in 0..<6 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        for i in stride(from: task, to: 1000, by: 8) {
                            _ = try await t.vault.views.view(
                                ids[i % ids.count], role: "support", purpose: purpose,
                                caller: Caller(requestID: "r\(round)-\(i)", principal: "t", role: "support"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            peakWAL = max(peakWAL, walSize())
        }
        #expect(peakWAL < Int(WALCheckpointer.writerPages) * 4096, "the WAL restarts instead of growing to the writer's threshold")
        store.checkpointer.drain()
        try await store.checkpoint()
        #expect(walSize() == 0)
    }
}
