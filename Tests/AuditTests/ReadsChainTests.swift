import Audit
import Foundation
import GRDB
import SQLiteStorage
import Storage
import Testing
import Vault
import VaultModel
import VaultTestSupport

/// On SQLite, read entries (views, lookups, refusals) go to a chain of their own in
/// `audit-reads.sqlite`, written by one thread with one synced transaction per batch; write
/// entries stay on the store's chain, in their transactions. Both are anchored together,
/// verified and listed together.
@Suite("Audit: the reads chain in a file of its own")
struct ReadsChainTests {
    static let support = Purpose("essential.service.operations.support")!

    static func readsPool(_ t: TemporaryVault) throws -> DatabasePool {
        try DatabasePool(path: t.directory.appendingPathComponent(SQLiteReadAuditFile.fileName).path)
    }

    static func count(_ pool: DatabasePool, _ action: String) async throws -> Int {
        try await pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM audit_log WHERE action = ?", arguments: [action]) ?? 0 }
    }

    @Test("views commit nothing to the store's file: their entries are on the reads chain, listed with the writes in time order")
    func viewsOffTheStoreFile() async throws {
        let (t, store, ids) = try await auditedVault(writes: 3)
        defer { t.remove() }
        let storeVersion = try await store.read { try Int.fetchOne($0, sql: "PRAGMA data_version") }
        let writes = Int64(try await t.vault.audit.entries(AuditQuery(), on: .store).count)
        // Concurrent views: one thread writes them in batches, each caller answered once its batch is synced.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                group.addTask { _ = try await t.vault.views.view(ids[i % 3], role: "support", purpose: Self.support, caller: caller(i)) }
            }
            try await group.waitForAll()
        }
        #expect(try await Self.count(store, "subject.view") == 0, "no view entry in the store's file")
        #expect(try await store.read { try Int.fetchOne($0, sql: "PRAGMA data_version") } == storeVersion, "nothing committed to it")
        #expect(try await Self.count(Self.readsPool(t), "subject.view") == 40)

        let report = try await t.vault.audit.verify()
        #expect(report.valid && report.chains.map(\.name) == [.store, .reads])
        #expect(report.report(of: .reads)?.entries == 40 && report.report(of: .store)?.entries == writes)

        // Listed together: every entry once, in time order, page by page.
        var query = AuditQuery()
        query.limit = 7
        var cursor = AuditCursor()
        var listed: [AuditEntry] = []
        while true {
            let (page, next) = try await t.vault.audit.page(query, after: cursor)
            listed += page
            guard let next else { break }
            cursor = next
        }
        #expect(listed.count == 40 + Int(writes))
        #expect(Set(listed.map { "\($0.chain.rawValue)\($0.seq)" }).count == 40 + Int(writes))
        #expect(zip(listed, listed.dropFirst()).allSatisfy { $0.draft.at <= $1.draft.at })
        // The access export's recipients come from the reads chain.
        #expect(try await t.vault.audit.recipients(of: ids[0].description).count == 14)
    }

    @Test("anchors sign both heads; a changed reads entry fails verification on its chain; a cut reads tail stops the next start")
    func anchoredTogether() async throws {
        let (t, _, ids) = try await auditedVault(writes: 2)
        defer { t.remove() }
        for i in 0..<4 { _ = try await t.vault.views.view(ids[i % 2], role: "support", purpose: Self.support, caller: caller(i)) }
        let anchor = try #require(try await t.vault.audit.anchor())
        #expect(anchor.isAuthentic(trusting: t.vault.audit.publicKey))
        #expect(anchor.anchoredHead(of: .store)?.seq == (try await t.vault.audit.head())?.seq && anchor.anchoredHead(of: .reads)?.seq == 4)

        let reads = try Self.readsPool(t)
        try await reads.write { try $0.execute(sql: "UPDATE audit_log SET principal = 'mallory' WHERE seq = 2") }
        let report = try await t.vault.audit.verify()
        #expect(!report.valid && report.failedChain == .reads && report.problem == .hashMismatch && report.firstInvalid == 2)
        #expect(report.report(of: .store)?.valid == true)

        try await reads.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq >= 3") }
        await #expect(throws: AuditLogError.self) { _ = try await t.reopen() }
    }
}
