import Foundation
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// A record of a batch may match on an identifier that an earlier record of the same batch
/// replaces. Its values must never be stored under a subject whose key did not seal them (that
/// person's profile could no longer be read, exported or erased), and a batch is applied
/// atomically or not at all.
@Suite("Storage conformance: resolution inside one batch")
struct BatchResolutionTests {
    @Test(
        "a batch whose record matches an identifier an earlier record of it replaces stores nothing; sent apart, both land readable",
        arguments: StorageBackend.allCases)
    func identifierReplacedEarlierInTheBatch(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)[0].outcome.subjectID
        let leo = try await t.vault.ingest.ingest(records: [record("crm-2", ["phone": "4155550100"])], from: crm, caller: tester)[0].outcome.subjectID

        // Ann moves to a new address; a new record carries her old one and Leo's phone.
        let moved = record("crm-1", observedAt: "2026-03-02T10:00:00Z", ["email": "ann.new@example.com"])
        let stale = record("crm-3", ["email": "ann@example.com", "phone": "4155550100"])
        await #expect(throws: IngestError.self) {
            _ = try await t.vault.ingest.ingest(records: [moved, stale], from: crm, caller: tester)
        }
        #expect(try await t.vault.lookup.lookup(["email": .string("ann@example.com")], caller: tester) == [ann], "atomic: nothing was stored")

        let first = try await t.vault.ingest.ingest(records: [moved], from: crm, caller: tester)
        let second = try await t.vault.ingest.ingest(records: [stale], from: crm, caller: tester)
        #expect(first[0].outcome.subjectID == ann && second[0].outcome.subjectID == leo, "in order, crm-3 no longer matches Ann's replaced email")
        for subject in [ann, leo] {
            let profile = try await t.vault.reader.read(subject)
            #expect(profile != nil, "\(subject) reads")
        }
        let leoProfile = try #require(try await t.vault.reader.read(leo))
        #expect(leoProfile.fields[FieldName("email")]?.golden.value.unsafeValue == "ann@example.com")
        #expect(try await t.vault.audit.verify().valid)
    }

    @Test("an event sealed for the subject its record no longer belongs to is refused, not stored", arguments: StorageBackend.allCases)
    func eventForAMovedRecord(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        _ = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)
        let leo = try await t.vault.ingest.ingest(records: [record("crm-2", ["phone": "4155550100"])], from: crm, caller: tester)[0].outcome.subjectID
        // Planned while crm-1 was Leo's (it is Ann's): the store must not put Leo's ciphertext on Ann's profile.
        let event = SealedEvent(
            eventIndex: t.vault.keys.blindIndexer.index(source: crm, eventID: Sensitive("t-1")),
            recordKeyIndex: t.vault.keys.blindIndexer.index(source: crm, recordKey: Sensitive("crm-1")),
            keyOwner: leo, sealedUnder: try #require(try await t.vault.store.wrappedKey(of: leo)).bytes,
            type: "ticket", occurredAt: Date(), ciphertext: [1, 2, 3])
        await #expect(throws: StoreError.self) {
            _ = try await t.vault.store.commit(
                events: [event], source: crm, audit: AuditWrite(draft: tester.draft("events.ingest"), chain: t.vault.keys.auditChain),
                totals: { _, _, _, _ in [] })
        }
    }
}
