import Foundation
import Requests
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// A person's records can be linked at any time, also while a data-subject request is open or
/// after one was executed: the request must act on the merged person, and a restriction must
/// hold for them. Each case: Ann (crm, email) is older than Leo (support, phone); a billing
/// record carrying both merges Leo into Ann.
@Suite("Storage conformance: merges and data-subject requests")
struct MergeAndRequestTests {
    static let officer = Caller(requestID: "merge-requests", principal: "officer", role: .compliance)

    /// Ann and Leo, not yet linked.
    static func twoSubjects(_ t: TemporaryVault) async throws -> (ann: SubjectID, leo: SubjectID) {
        let ann = try await t.vault.ingest.ingest(
            records: [record("crm-1", ["email": "ann@example.com", "first_name": "Ann"])], from: crm,
            caller: tester)[0].outcome.subjectID
        let leo = try await t.vault.ingest.ingest(
            records: [record("sup-1", ["phone": "4155550100", "last_name": "Lee"])], from: support,
            caller: tester)[0].outcome.subjectID
        #expect(ann != leo)
        return (ann, leo)
    }

    static func link(_ t: TemporaryVault, into ann: SubjectID) async throws {
        let merged = try await t.vault.ingest.ingest(
            records: [record("bill-1", ["email": "ann@example.com", "phone": "415-555-0100"])],
            from: billing, caller: tester)
        #expect(merged[0].outcome.kind == .merged && merged[0].outcome.subjectID == ann)
    }

    static func verified(_ t: TemporaryVault, _ kind: RequestKind, for subject: SubjectID) async throws -> UUID {
        let opened = try await t.vault.requests.open(
            .init(kind: kind, regulation: .gdpr, subjectID: subject, identifiers: nil, receivedAt: nil),
            caller: officer)
        _ = try await t.vault.requests.verify(opened.id, method: "email-link", caller: officer)
        return opened.id
    }

    @Test("a merge keeps a restriction: the survivor is restricted too", arguments: StorageBackend.allCases)
    func mergeKeepsRestriction(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, leo) = try await Self.twoSubjects(t)
        let restriction = try await Self.verified(t, .restriction, for: leo)
        _ = try await t.vault.requests.execute(restriction, caller: Self.officer)
        #expect(try await t.vault.store.sealedProfile(of: ann)?.restricted == false)

        try await Self.link(t, into: ann)
        #expect(try await t.vault.store.sealedProfile(of: ann)?.restricted == true)
        #expect(try await t.vault.store.sealedProfile(of: leo)?.restricted == true)
        let support = Caller(requestID: "merge-requests", principal: "agent", role: "support")
        await #expect(throws: ViewError.self) {
            _ = try await t.vault.views.view(leo, role: "support", purpose: Purpose("essential.service.operations.support")!, caller: support)
        }
    }

    @Test("restricted subjects: an id merged into a restricted survivor counts as restricted (a lookup withholds it)", arguments: StorageBackend.allCases)
    func restrictedAmongFollowsMerges(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, leo) = try await Self.twoSubjects(t)
        let restriction = try await Self.verified(t, .restriction, for: ann)
        _ = try await t.vault.requests.execute(restriction, caller: Self.officer)
        #expect(try await t.vault.store.restrictedSubjects(among: [ann, leo]) == [ann])
        try await Self.link(t, into: ann)
        #expect(try await t.vault.store.restrictedSubjects(among: [leo]) == [leo], "merged into a restricted survivor")
        #expect(try await t.vault.store.restrictedSubjects(among: []).isEmpty)
    }

    @Test("a restriction opened before a merge restricts the merged person", arguments: StorageBackend.allCases)
    func restrictionAfterMerge(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, leo) = try await Self.twoSubjects(t)
        let restriction = try await Self.verified(t, .restriction, for: leo)
        try await Self.link(t, into: ann)
        _ = try await t.vault.requests.execute(restriction, caller: Self.officer)
        #expect(try await t.vault.store.sealedProfile(of: ann)?.restricted == true)
    }

    @Test("an erasure opened before a merge erases the merged person and every key", arguments: StorageBackend.allCases)
    func erasureAfterMerge(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, leo) = try await Self.twoSubjects(t)
        let erasure = try await Self.verified(t, .erasure, for: leo)
        try await Self.link(t, into: ann)
        let done = try await t.vault.requests.execute(erasure, caller: Self.officer)
        #expect(done.status == .completed)

        for subject in [ann, leo] {
            #expect(try await !t.vault.store.subjectExists(subject))
            #expect(try await t.vault.store.wrappedKey(of: subject) == nil, "data keys are destroyed")
            #expect(try await t.vault.store.sealedProfile(of: subject) == nil)
        }
        #expect(try await t.vault.lookup.lookup(["email": .string("ann@example.com")], caller: tester).isEmpty)
        #expect(try await t.vault.lookup.lookup(["phone": .string("4155550100")], caller: tester).isEmpty)
        #expect(try await t.vault.audit.verify().valid)
    }

    @Test("an erasure planned before a record was linked is refused by the store, and planned again covers it", arguments: StorageBackend.allCases)
    func erasurePlanOutdatedByALinkedRecord(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, _) = try await Self.twoSubjects(t)
        let facts = try await t.vault.store.erasureFacts(of: ann)
        let stale = ErasurePlan(
            subjectID: ann, keyOwners: facts.keyOwners, suppressions: facts.identifiers + facts.records.map(\.keyIndex),
            notices: [], held: [], requestID: UUID(), receipt: "{}", completedAt: Date())
        // Meanwhile a web record with Ann's email and a new phone number is linked to her.
        let linked = try await t.vault.ingest.ingest(
            records: [record("web-1", ["email": "ann@example.com", "phone": "4155550199"])], from: web, caller: tester)
        #expect(linked[0].outcome.subjectID == ann)

        await #expect(throws: StoreError.self) {
            try await t.vault.store.erase(stale, audit: AuditWrite(draft: tester.draft("request.execute"), chain: t.vault.keys.auditChain))
        }
        #expect(try await t.vault.store.sealedProfile(of: ann) != nil, "nothing was erased by the refused plan")

        let erasure = try await Self.verified(t, .erasure, for: ann)
        _ = try await t.vault.requests.execute(erasure, caller: Self.officer)
        let again = try await t.vault.ingest.ingest(records: [record("web-2", ["phone": "4155550199"])], from: web, caller: tester)
        #expect(again[0].outcome.kind == .suppressed, "the linked record's phone is suppressed too")
    }

    @Test("an access export lists the views of the person under every id they had", arguments: StorageBackend.allCases)
    func exportRecipientsAcrossAMerge(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, leo) = try await Self.twoSubjects(t)
        let support = Caller(requestID: "before-merge", principal: "agent-before", role: "support")
        let purpose = Purpose("essential.service.operations.support")!
        _ = try await t.vault.views.view(leo, role: "support", purpose: purpose, caller: support)
        let access = try await Self.verified(t, .access, for: leo)
        try await Self.link(t, into: ann)
        let after = Caller(requestID: "after-merge", principal: "agent-after", role: "support")
        _ = try await t.vault.views.view(leo, role: "support", purpose: purpose, caller: after)
        _ = try await t.vault.requests.execute(access, caller: Self.officer)

        let export = try await t.vault.requests.export(access, caller: Self.officer)
        let principals = Set((export.recipients ?? []).map(\.principal))
        #expect(principals.isSuperset(of: ["agent-before", "agent-after"]), "views under Leo's id and under Ann's: \(principals)")
    }
}
