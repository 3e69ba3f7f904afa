import Foundation
import Requests
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// The suppression set is checked against the erasure ledger, which lives outside the
/// database: a suppression row deleted there doesn't let an erased person back in.
@Suite("Suppression entries deleted in the database are restored from the erasure ledger")
struct SuppressionRestoreTests {
    @Test("by the integrity check while running, and before serving at start", arguments: StorageBackend.allCases)
    func restored(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let subject = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "zed@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        let opened = try await t.vault.requests.open(
            .init(kind: .erasure, regulation: .gdpr, subjectID: subject, identifiers: nil, receivedAt: nil), caller: tester)
        _ = try await t.vault.requests.verify(opened.id, method: "email_link", caller: tester)
        _ = try await t.vault.requests.execute(opened.id, caller: tester)
        let entry = try #require(try t.vault.requests.ledger.entries().last)
        #expect(entry.suppressions?.count == 2, "the email's blind index and the source key's")

        try await RowTagTests.behindTheStore(t, "DELETE FROM suppressions")
        // While the entries are missing, the person's email creates a subject again…
        let slipped = try await t.vault.ingest.ingest(records: [record("web-1", ["email": "zed@example.com", "first_name": "Zed"])], from: crm, caller: tester)
        #expect(slipped[0].outcome.kind == .created)
        #expect(try await t.vault.requests.restoreSuppressions() == 2)
        // …which the restoration erases, and the email is refused again.
        #expect(try await t.vault.reader.read(slipped[0].outcome.subjectID) == nil, "the subject created meanwhile was erased")
        let retried = try await t.vault.ingest.ingest(records: [record("crm-9", ["email": "zed@example.com"])], from: crm, caller: tester)
        #expect(retried[0].outcome.kind == .suppressed)

        try await RowTagTests.behindTheStore(t, "DELETE FROM suppressions")
        let reopened = try await t.reopen()
        let afterStart = try await reopened.ingest.ingest(records: [record("crm-8", ["email": "zed@example.com"])], from: crm, caller: tester)
        #expect(afterStart[0].outcome.kind == .suppressed, "put back before serving")
        var query = AuditQuery()
        query.action = "suppression.restore"
        #expect(try await reopened.audit.entries(query).count >= 2)
        #expect(try await reopened.requests.restoreSuppressions() == 0, "nothing missing now")
    }
}
