import Foundation
import GRDB
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

@Suite("Audit: fail closed, contents")
struct FailClosedTests {
    /// Makes every audit insert fail, as a full disk or an I/O error would.
    static func breakAuditWrites(_ pool: DatabasePool) async throws {
        try await pool.write { db in
            try db.execute(sql: "CREATE TRIGGER audit_fault BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
        }
    }

    @Test("a write whose audit entry fails is not applied, and the sink stays failed until restart")
    func failedWrite() async throws {
        let (t, pool, ids) = try await auditedVault(writes: 2)
        defer { t.remove() }
        try await Self.breakAuditWrites(pool)
        await #expect(throws: StoreError.self) {
            try await t.vault.ingest.ingest(records: [record("crm-new", ["email": "new@example.com"])], from: crm, caller: caller(7))
        }
        #expect(try await t.vault.store.subjectCount() == 2, "nothing of the refused write was stored")
        #expect(!t.vault.audit.isHealthy)
        // Reads are refused before anything is returned.
        await #expect(throws: StoreError.self) {
            try await t.vault.views.view(ids[0], role: .compliance, purpose: Purpose("essential")!, caller: caller(8))
        }
        // The fault is gone, but no silent retry: the sink stays failed in this process.
        try await pool.write { try $0.execute(sql: "DROP TRIGGER audit_fault") }
        await #expect(throws: StoreError.self) {
            try await t.vault.lookup.lookup(["email": .string("new@example.com")], caller: caller(9))
        }
        // A restart (operator action) brings it back, with an intact chain.
        let restarted = try await t.reopen()
        let view = try await restarted.views.view(ids[0], role: .compliance, purpose: Purpose("essential")!, caller: caller(10))
        #expect(view.fields["email"]?.unsafeValue == "person0@example.com")
        #expect(try await restarted.audit.verify().valid)
        #expect(try await restarted.lookup.lookup(["email": .string("new@example.com")], caller: caller(11)).isEmpty)
    }

    @Test("entries record ids and field names, never values")
    func noValues() async throws {
        let (t, _, ids) = try await auditedVault(writes: 2)
        defer { t.remove() }
        _ = try await t.vault.views.view(ids[1], role: .compliance, purpose: Purpose("essential.legal_obligation")!, caller: caller(5))
        var query = AuditQuery()
        query.subjectID = ids[1].description
        let entries = try await t.vault.audit.entries(query)
        #expect(entries.map(\.draft.action) == ["records.ingest", "subject.view"])
        let view = entries[1].draft
        #expect(view.fields == ["email", "first_name"] && view.purpose == "essential.legal_obligation" && view.requestID == "req-5")
        #expect(view.policyVersion == "v1")
        let database = try Data(contentsOf: URL(fileURLWithPath: t.databasePath))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: t.databasePath + "-wal"))) ?? Data()
        for data in [database, wal] { #expect(data.range(of: Data("person1@example.com".utf8)) == nil) }
    }
}

@Suite("Audit: recipients of a subject's data")
struct RecipientsTests {
    @Test("recipients list who viewed which fields, when and for which purpose; refusals and other subjects are left out")
    func recipients() async throws {
        let (t, _, ids) = try await auditedVault(writes: 2)
        defer { t.remove() }
        let support = Caller(requestID: "r-1", principal: "support-app", role: "support")
        _ = try await t.vault.views.view(ids[0], role: "support", purpose: Purpose("essential.service.operations.support")!, caller: support)
        _ = try await t.vault.views.view(ids[0], role: .compliance, purpose: Purpose("essential")!, caller: caller(2))
        _ = try await t.vault.views.view(ids[1], role: .compliance, purpose: Purpose("essential")!, caller: caller(3))
        await #expect(throws: ViewError.self) {
            try await t.vault.views.view(ids[0], role: "support", purpose: Purpose("marketing")!, caller: support)
        }
        let recipients = try await t.vault.audit.recipients(of: ids[0].description)
        #expect(recipients.map(\.draft.principal) == ["support-app", "tester"])
        #expect(recipients[0].draft.purpose == "essential.service.operations.support" && recipients[0].draft.fields == ["email", "first_name"])
        #expect(recipients[0].draft.role == "support")
    }
}
