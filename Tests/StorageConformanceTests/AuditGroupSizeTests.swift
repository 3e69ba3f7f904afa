import Audit
import Foundation
import Storage
import Testing
import VaultTestSupport

@testable import Vault

/// A group commit holds every audit entry queued while the writer was busy: thousands on a busy
/// replica. PostgreSQL takes at most 65,535 bind parameters per statement (an entry binds 15),
/// so a group larger than 4,369 entries once failed and marked the audit sink failed for good.
@Suite("Storage conformance: large audit groups")
struct AuditGroupSizeTests {
    @Test("a group of 5,000 entries is appended in one transaction and the chain verifies", arguments: StorageBackend.allCases)
    func fiveThousandEntries(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let before = try await t.vault.audit.verify().entries
        let drafts = (0..<5000).map { tester.draft("subject.view", subjects: ["s-\($0)"], fields: ["email"], outcome: "ok") }
        try await t.vault.store.appendAudit(drafts, chain: t.vault.keys.auditChain)
        #expect(!t.vault.store.auditSink.isFailed)
        let report = try await t.vault.audit.verify()
        #expect(report.valid && report.entries == before + 5000)
        var query = AuditQuery()
        query.subjectID = "s-4999"
        #expect(try await t.vault.store.auditEntries(query).count == 1, "the subject rows of the last chunk are there too")
    }
}
