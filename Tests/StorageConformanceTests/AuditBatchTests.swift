import Audit
import Foundation
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// Audit entries appended in batches (the group commit of reads) on both backends.
@Suite("Storage conformance: audit batches")
struct AuditBatchTests {
    @Test(
        "a batch of entries is stored whole and in order: optional members stay absent, each subject finds its entries, the chain verifies",
        arguments: StorageBackend.allCases)
    func batchRoundTrip(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let at = Date(timeIntervalSince1970: 1_790_000_000.123)
        let drafts = [
            AuditDraft(
                at: at, requestID: "batch-1", principal: "support-app", role: "support", purpose: "essential.service.operations.support",
                action: "subject.view", subjectIDs: ["s-a"], fields: ["email", "phone"], policyVersion: "v1"),
            AuditDraft(
                at: at, requestID: "batch-2", principal: "crm-sync", source: "crm", action: "records.ingest",
                subjectIDs: ["s-a", "s-b", "s-a"], outcome: "refused", detail: "2 records"),
            AuditDraft(at: at, requestID: "batch-3", principal: "nobody", action: "token.list"),
        ]
        try await t.vault.store.appendAudit(drafts, chain: t.vault.keys.auditChain)

        var query = AuditQuery()
        query.limit = 1000
        let stored = try await t.vault.audit.entries(query).filter { $0.draft.requestID.hasPrefix("batch-") }
        // Times are kept in milliseconds.
        #expect(stored.allSatisfy { abs($0.draft.at.timeIntervalSince(at)) < 0.001 })
        #expect(
            stored.map {
                var draft = $0.draft
                draft.at = at
                return draft
            } == drafts,
            "members, absent ones included, read back as appended, in order")
        #expect(stored.map(\.seq) == Array(stored[0].seq...(stored[0].seq + 2)))

        query.subjectID = "s-a"
        #expect(try await t.vault.audit.entries(query).map(\.draft.requestID) == ["batch-1", "batch-2"])
        query.subjectID = "s-b"
        #expect(try await t.vault.audit.entries(query).map(\.draft.requestID) == ["batch-2"])
        let report = try await t.vault.audit.verify()
        #expect(report.valid)
    }

    @Test("concurrent views are all audited, once each, in one valid chain", arguments: StorageBackend.allCases)
    func concurrentViews(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ingested = try await t.vault.ingest.ingest(
            records: [record("c-1", ["email": "ann@example.com", "first_name": "Ann"])],
            from: crm, caller: tester)
        let ann = ingested[0].outcome.subjectID
        let vault = t.vault
        let before = try await vault.audit.verify().entries
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<120 {
                group.addTask {
                    _ = try await vault.views.view(
                        ann, role: .compliance, purpose: Purpose("essential")!,
                        caller: Caller(requestID: "view-\(i)", principal: "dpo", role: .compliance))
                }
            }
            try await group.waitForAll()
        }
        var query = AuditQuery()
        query.action = "subject.view"
        query.limit = 1000
        let entries = try await vault.audit.entries(query)
        #expect(entries.count == 120)
        #expect(Set(entries.map(\.draft.requestID)).count == 120)
        query = AuditQuery()
        query.subjectID = ann.description
        query.limit = 1000
        #expect(try await vault.audit.entries(query).filter { $0.draft.action == "subject.view" }.count == 120)
        let report = try await vault.audit.verify()
        #expect(report.valid && report.entries == before + 120, "one entry per view, nothing else appended")
    }
}
