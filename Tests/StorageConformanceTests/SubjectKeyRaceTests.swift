import Foundation
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// A subject's data key can be rotated while its records, events and consents are being
/// written. A value sealed under the old key must never be stored beside the new key: it
/// would not open again, and the person's profile, export and erasure would fail.
@Suite("Storage conformance: writes racing a subject key rotation")
struct SubjectKeyRaceTests {
    static let officer = Caller(requestID: "key-race", principal: "officer", role: .compliance)

    @Test("a record, event or consent sealed under the key before a rotation is refused", arguments: StorageBackend.allCases)
    func writesSealedUnderTheOldKey(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        let old = try #require(try await t.vault.store.wrappedKey(of: ann)).bytes
        _ = try await t.vault.rotation.rotateDataKey(of: ann, caller: Self.officer)
        #expect(try await t.vault.store.wrappedKey(of: ann)?.bytes != old)
        let audit = AuditWrite(draft: tester.draft("race"), chain: t.vault.keys.auditChain)
        let indexer = t.vault.keys.blindIndexer

        let record = SealedRecord(
            keyIndex: indexer.index(source: crm, recordKey: Sensitive("crm-2")), keyCiphertext: [1], observedAt: Date(),
            keyOwner: ann, sealedUnder: old, newSubject: nil, identifiers: [], fields: [])
        await #expect(throws: StoreError.self) { _ = try await t.vault.store.commit(records: [record], source: crm, at: Date(), audit: audit) }
        let event = SealedEvent(
            eventIndex: indexer.index(source: crm, eventID: Sensitive("t-1")), recordKeyIndex: indexer.index(source: crm, recordKey: Sensitive("crm-1")),
            keyOwner: ann, sealedUnder: old, type: "ticket", occurredAt: Date(), ciphertext: [1])
        await #expect(throws: StoreError.self) { _ = try await t.vault.store.commit(events: [event], source: crm, audit: audit, totals: { _, _, _, _ in [] }) }
        let consent = SealedConsent(
            subjectID: ann, keyOwner: ann, sealedUnder: old, purpose: "marketing.advertising", status: "granted",
            lawfulBasis: "consent", jurisdiction: nil, occurredAt: Date(), expiresAt: nil, recordedAt: Date(),
            recordedBy: "tester", ciphertext: [1])
        await #expect(throws: StoreError.self) { try await t.vault.store.appendConsents([consent], audit: audit) }

        let profile = try await t.vault.reader.read(ann)
        #expect(profile?.fields[FieldName("email")]?.golden.value.unsafeValue == "ann@example.com", "the profile still opens")
    }

    @Test("a rotation refuses to install its key when a value was written after it read the subject's rows", arguments: StorageBackend.allCases)
    func rotationAfterAConcurrentWrite(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        let rows = try await t.vault.store.sealedRows(of: ann)
        _ = try await t.vault.ingest.ingest(records: [record("web-1", ["email": "ann@example.com", "city": "Denver"])], from: web, caller: tester)
        let audit = AuditWrite(draft: tester.draft("keys.rotate_subject"), chain: t.vault.keys.auditChain)
        await #expect(throws: StoreError.self) {
            try await t.vault.store.replaceSubjectKey(ann, key: WrappedKey(kekVersion: 1, bytes: [0]), rows: rows.map { ($0, $0.ciphertext) }, audit: audit)
        }
        #expect(try await t.vault.reader.read(ann)?.fields.count == 2, "the old key is still in place and opens both records")
        _ = try await t.vault.rotation.rotateDataKey(of: ann, caller: Self.officer)
        #expect(try await t.vault.reader.read(ann)?.fields.count == 2)
    }
}
