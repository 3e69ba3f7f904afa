import Foundation
import Requests
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// A subject's header (the survivor it was merged into, its restriction) carries a tag under a
/// key the database doesn't hold (`SubjectHeaderTags`): a database writer can't lift a
/// restriction or show one person's values under another's id. On both stores.
@Suite("Subject header tags: merges and restrictions changed in the database are refused")
struct SubjectHeaderTagTests {
    static let officer = Caller(requestID: "header-tags", principal: "dpo", role: .compliance)
    static let agent = Caller(requestID: "header-tags", principal: "agent", role: "support")

    static func twoPeople(_ t: TemporaryVault) async throws -> (ann: SubjectID, leo: SubjectID) {
        let ann = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        let leo = try await t.vault.ingest.ingest(records: [record("crm-2", ["email": "leo@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        return (ann, leo)
    }

    static func restrict(_ t: TemporaryVault, _ subject: SubjectID) async throws {
        let opened = try await t.vault.requests.open(
            .init(kind: .restriction, regulation: .gdpr, subjectID: subject, identifiers: nil, receivedAt: nil), caller: officer)
        _ = try await t.vault.requests.verify(opened.id, method: "email-link", caller: officer)
        _ = try await t.vault.requests.execute(opened.id, caller: officer)
    }

    @Test("a restriction lifted in the database is an integrity error: no view, no lookup", arguments: StorageBackend.allCases)
    func restrictionLifted(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, leo) = try await Self.twoPeople(t)
        try await Self.restrict(t, ann)
        #expect(try await t.vault.reader.read(ann)?.restricted == true)
        #expect(try await t.vault.lookup.lookup(["email": .string("ann@example.com")], caller: Self.agent).isEmpty, "withheld while restricted")

        try await RowTagTests.behindTheStore(t, "UPDATE subjects SET restricted = NOT restricted WHERE subject_id = '\(ann)'")
        await #expect(throws: RowIntegrityError.self) { try await t.vault.reader.read(ann) }
        await #expect(throws: RowIntegrityError.self) { try await t.vault.lookup.lookup(["email": .string("ann@example.com")], caller: Self.agent) }
        #expect(try await t.vault.reader.read(leo) != nil, "other people are served")
    }

    @Test("a subject re-pointed at another in the database is an integrity error, not the other's profile", arguments: StorageBackend.allCases)
    func mergeForged(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, leo) = try await Self.twoPeople(t)
        try await RowTagTests.behindTheStore(t, "UPDATE subjects SET merged_into = '\(ann)' WHERE subject_id = '\(leo)'")
        await #expect(throws: RowIntegrityError.self) { try await t.vault.reader.read(leo) }
        await #expect(throws: RowIntegrityError.self) { try await t.vault.store.canonicalSubject(of: leo) }
        // A merge through ingest is tagged by the store: the merged-away id shows the survivor.
        let (bob, eve) = (
            try await t.vault.ingest.ingest(records: [record("sup-1", ["phone": "4155550100"])], from: support, caller: tester)[0].outcome.subjectID,
            try await t.vault.ingest.ingest(records: [record("sup-2", ["phone": "4155550199"])], from: support, caller: tester)[0].outcome.subjectID
        )
        let bridge = try await t.vault.ingest.ingest(
            records: [record("bill-1", ["phone": "415-555-0100", "email": "bob@example.com"])], from: billing, caller: tester)
        #expect(bridge[0].outcome.subjectID == bob)
        _ = try await t.vault.ingest.ingest(records: [record("bill-2", ["phone": "415-555-0199", "email": "bob@example.com"])], from: billing, caller: tester)
        #expect(try await t.vault.store.canonicalSubject(of: eve) == bob)
        #expect(try await t.vault.reader.read(eve)?.subjectID == bob)
    }

    @Test("subjects from before the tags are tagged once; an untagged header afterwards is refused", arguments: StorageBackend.allCases)
    func upgradeTagsSubjectsOnce(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, _) = try await Self.twoPeople(t)
        // The release before subject tags: no tags, no rows.tag.subjects entry, no marker.
        try await RowTagTests.behindTheStore(t, "UPDATE subjects SET mac = NULL")
        try await RowTagTests.behindTheStore(t, "DELETE FROM audit_log WHERE action = 'rows.tag.subjects'")
        try FileManager.default.removeItem(at: t.directory.appendingPathComponent(RowTagsInForce.subjectMarkerName))
        do {
            let upgraded = try await t.reopen()
            #expect(try await upgraded.reader.read(ann) != nil)
            var query = AuditQuery()
            query.action = "rows.tag.subjects"
            #expect(try await upgraded.audit.entries(query).map(\.draft.detail) == ["subject tags in force: 2 subjects written before them were tagged"])
        }
        try await RowTagTests.behindTheStore(t, "UPDATE subjects SET mac = NULL WHERE subject_id = '\(ann)'")
        let reopened = try await t.reopen()
        await #expect(throws: RowIntegrityError.self, "not tagged again") { try await reopened.reader.read(ann) }
    }
}
