import Foundation
import Requests
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// A subject's header (the survivor it was merged into, its restriction) carries a tag under a
/// key the database doesn't hold (`StoreRowTags`): a database writer can't lift a
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
        for table in ["subjects", "source_records", "identifiers", "held_values"] { try await RowTagTests.behindTheStore(t, "UPDATE \(table) SET mac = NULL") }
        try await RowTagTests.behindTheStore(t, "DELETE FROM audit_log WHERE action = 'rows.tag.subjects'")
        try FileManager.default.removeItem(at: t.directory.appendingPathComponent(RowTagsInForce.subjectMarkerName))
        do {
            let upgraded = try await t.reopen()
            #expect(try await upgraded.reader.read(ann) != nil)
            var query = AuditQuery()
            query.action = "rows.tag.subjects"
            #expect(
                try await upgraded.audit.entries(query).map(\.draft.detail) == [
                    "subject tags in force: 6 subject, record, identifier and held-value rows written before them were tagged"
                ])
        }
        try await RowTagTests.behindTheStore(t, "UPDATE subjects SET mac = NULL WHERE subject_id = '\(ann)'")
        let reopened = try await t.reopen()
        await #expect(throws: RowIntegrityError.self, "not tagged again") { try await reopened.reader.read(ann) }
    }

    @Test(
        "a source record moved to another person in the database is an integrity error: no lookup, no ingest into the wrong person",
        arguments: StorageBackend.allCases)
    func recordLinkMoved(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, leo) = try await Self.twoPeople(t)
        #expect(try await t.vault.lookup.lookup(source: "crm", key: "crm-1", caller: Self.officer) == [ann])
        try await RowTagTests.behindTheStore(t, "UPDATE source_records SET subject_id = '\(leo)' WHERE subject_id = '\(ann)'")
        await #expect(throws: RowIntegrityError.self) { try await t.vault.lookup.lookup(source: "crm", key: "crm-1", caller: Self.officer) }
        await #expect(throws: RowIntegrityError.self, "the record's next version never joins the other person") {
            try await t.vault.ingest.ingest(records: [record("crm-1", observedAt: "2026-03-02T10:00:00Z", ["first_name": "Ann"])], from: crm, caller: tester)
        }
    }

    @Test("an identifier moved to another person in the database is an integrity error: no lookup, no match", arguments: StorageBackend.allCases)
    func identifierLinkMoved(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, leo) = try await Self.twoPeople(t)
        try await RowTagTests.behindTheStore(t, "UPDATE identifiers SET subject_id = '\(leo)' WHERE subject_id = '\(ann)'")
        await #expect(throws: RowIntegrityError.self) { try await t.vault.lookup.lookup(["email": .string("ann@example.com")], caller: Self.officer) }
        await #expect(throws: RowIntegrityError.self, "a new record with her email never links to him") {
            try await t.vault.ingest.ingest(records: [record("sup-9", ["email": "ann@example.com", "last_name": "Lee"])], from: support, caller: tester)
        }
        await #expect(throws: RowIntegrityError.self, "nor is she erased through his links") { try await t.vault.store.erasureFacts(of: leo) }
    }

    @Test(
        "a legal hold moved in the database stops the sweep and the export as an integrity error; an authentic one ends on time",
        arguments: StorageBackend.allCases)
    func heldValueChanged(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await t.vault.ingest.ingest(
            records: [record("bill-1", ["email": "ann@example.com", "card_last4": "4242"])], from: billing, caller: tester)[0].outcome.subjectID
        let opened = try await t.vault.requests.open(
            .init(kind: .erasure, regulation: .gdpr, subjectID: ann, identifiers: nil, receivedAt: nil), caller: Self.officer)
        _ = try await t.vault.requests.verify(opened.id, method: "email-link", caller: Self.officer)
        _ = try await t.vault.requests.execute(opened.id, caller: Self.officer)
        #expect(try await t.vault.store.heldValues(of: ann).count == 1, "the card digits are kept under the legal hold")
        let later = Date().addingTimeInterval(3651 * 86_400)
        #expect(try await t.vault.retention.run(dryRun: true, caller: tester, now: later).held == 1, "the hold ends after its days")

        // Kept past its end by a database writer: the sweep refuses rather than trust it.
        try await RowTagTests.behindTheStore(t, "UPDATE held_values SET held_until = held_until + 864000000000")
        await #expect(throws: RowIntegrityError.self) { try await t.vault.retention.run(dryRun: false, caller: tester, now: later) }
        await #expect(throws: RowIntegrityError.self) { try await t.vault.requests.verifiedHeldValues(of: ann) }
        #expect(try await t.vault.store.heldValues(of: ann).count == 1, "nothing was deleted")
    }

    @Test(
        "consent decisions written before their sealed copy are re-sealed once; afterwards a body without one, or a changed decision, is refused",
        arguments: StorageBackend.allCases)
    func legacyBodiesResealedOnce(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, _) = try await Self.twoPeople(t)
        // A consent event as the release before sealed copies wrote it: no decision in its body.
        let wrapped = try #require(try await t.vault.store.wrappedKey(of: ann))
        let key = try t.vault.keys.unwrapDataKey(wrapped, of: ann)
        let at = Date(timeIntervalSince1970: 1_780_000_000)
        let purpose = "marketing.communications.email"
        let body = try EventPipeline.encoder.encode(ConsentBody(channel: "web", notice_version: nil, evidence: nil, decision: nil))
        let ciphertext = try Envelope.seal(Array(body), key: key, context: SealContext.consent(owner: ann, purpose: purpose, occurredAt: at))
        try await t.vault.store.appendConsents(
            [
                SealedConsent(
                    subjectID: ann, keyOwner: ann, sealedUnder: wrapped.bytes, purpose: purpose, status: "granted", lawfulBasis: "consent",
                    jurisdiction: nil, occurredAt: at, expiresAt: nil, recordedAt: at, recordedBy: "old-release", ciphertext: ciphertext)
            ], audit: AuditWrite(draft: tester.draft("consent.record"), chain: t.vault.keys.auditChain))
        await #expect(throws: StoreError.self, "no copy once copies are in force") { try await t.vault.reader.read(ann) }

        // The release before: no rows.seal.bodies entry, no marker. The next open re-seals it.
        try await RowTagTests.behindTheStore(t, "DELETE FROM audit_log WHERE action = 'rows.seal.bodies'")
        try FileManager.default.removeItem(at: t.directory.appendingPathComponent(SealedCopiesInForce.markerName))
        do {
            let upgraded = try await t.reopen()
            #expect(try await upgraded.reader.read(ann)?.consents.map(\.status) == [.granted])
            var query = AuditQuery()
            query.action = "rows.seal.bodies"
            #expect(
                try await upgraded.audit.entries(query).map(\.draft.detail)
                    == ["sealed copies in force: 1 events and consent decisions written before them were re-sealed with theirs"])
        }
        try await RowTagTests.behindTheStore(t, "UPDATE consent_events SET status = 'denied'")
        let reopened = try await t.reopen()
        await #expect(throws: StoreError.self, "the decision differs from its sealed copy") { try await reopened.reader.read(ann) }
    }

    @Test("a forged merge or a foreign key owner never costs another person their key: erasure and key rotation refuse", arguments: StorageBackend.allCases)
    func forgedKeyOwnersRefused(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, leo) = try await Self.twoPeople(t)
        try await RowTagTests.behindTheStore(t, "UPDATE subjects SET merged_into = '\(ann)' WHERE subject_id = '\(leo)'")
        await #expect(throws: RowIntegrityError.self) { try await t.vault.store.erasureFacts(of: ann) }
        await #expect(throws: RowIntegrityError.self) { try await t.vault.rotation.rotateDataKey(of: ann, caller: Self.officer) }
        #expect(try await t.vault.store.wrappedKey(of: leo) != nil, "his key is still there")

        try await RowTagTests.behindTheStore(t, "UPDATE subjects SET merged_into = NULL WHERE subject_id = '\(leo)'")
        try await RowTagTests.behindTheStore(t, "UPDATE source_records SET key_owner = '\(leo)' WHERE subject_id = '\(ann)'")
        await #expect(throws: RowIntegrityError.self, "a record of hers claims his key") { try await t.vault.store.erasureFacts(of: ann) }
        #expect(try await t.vault.store.wrappedKey(of: leo) != nil)
    }

    @Test("untagged rows among tagged ones are never tagged, even with the upgrade's entry and marker gone", arguments: StorageBackend.allCases)
    func noLaunderingThroughTheUpgrade(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let (ann, _) = try await Self.twoPeople(t)
        try await Self.restrict(t, ann)
        try await RowTagTests.behindTheStore(t, "UPDATE subjects SET restricted = NOT restricted, mac = NULL WHERE subject_id = '\(ann)'")
        try await RowTagTests.behindTheStore(t, "DELETE FROM audit_log WHERE action = 'rows.tag.subjects'")
        try FileManager.default.removeItem(at: t.directory.appendingPathComponent(RowTagsInForce.subjectMarkerName))
        let reopened = try await t.reopen()
        await #expect(throws: RowIntegrityError.self) { try await reopened.reader.read(ann) }
    }
}
