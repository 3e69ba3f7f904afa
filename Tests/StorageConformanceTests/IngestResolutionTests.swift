import Foundation
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

@Suite("Ingest and identity resolution")
struct IngestResolutionTests {
    @Test("a new person is created, the same person from another source is linked on a normalized identifier", arguments: StorageBackend.allCases)
    func createThenLink(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let first = try await t.vault.ingest.ingest(
            records: [record("crm-1", ["email": " Ann.Lee@Example.com", "first_name": "Ann"])], from: crm, caller: tester)
        #expect(first[0].outcome.kind == .created)
        let second = try await t.vault.ingest.ingest(
            records: [record("bill-1", ["email": "ann.lee@example.com", "card_last4": "4242"])], from: billing, caller: tester)
        #expect(second[0].outcome.kind == .linked)
        #expect(second[0].outcome.subjectID == first[0].outcome.subjectID)
        let third = try await t.vault.ingest.ingest(
            records: [record("sup-1", ["phone": "(415) 555-0100", "first_name": "Ann"])], from: support, caller: tester)
        #expect(third[0].outcome.kind == .created, "a phone nobody holds yet is a new person")
    }

    @Test("a record bridging two subjects merges them, keeping all values and lineage", arguments: StorageBackend.allCases)
    func bridgeMerges(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let a = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com", "first_name": "Ann"])], from: crm, caller: tester)
        let b = try await t.vault.ingest.ingest(records: [record("sup-1", ["phone": "+1 415 555 0100", "last_name": "Lee"])], from: support, caller: tester)
        #expect(a[0].outcome.subjectID != b[0].outcome.subjectID)
        let bridge = try await t.vault.ingest.ingest(
            records: [record("bill-1", ["email": "ANN@example.com", "phone": "415-555-0100"])], from: billing, caller: tester)
        #expect(bridge[0].outcome.kind == .merged)
        let survivor = bridge[0].outcome.subjectID
        #expect(survivor == a[0].outcome.subjectID, "the older subject survives")
        let profile = try #require(try await t.vault.reader.read(survivor))
        #expect(profile.fields["first_name"]?.golden.value.unsafeValue == "Ann")
        #expect(profile.fields["last_name"]?.golden.value.unsafeValue == "Lee")
        #expect(profile.sources.map(\.rawValue) == ["billing", "crm", "support"])
        // The merged-away id still resolves, to the survivor.
        let old = try #require(try await t.vault.reader.read(b[0].outcome.subjectID))
        #expect(old.subjectID == survivor)
        #expect(try await t.vault.store.subjectCount() == 1)
    }

    @Test("two new records of one person in one batch become one subject", arguments: StorageBackend.allCases)
    func sameBatch(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let results = try await t.vault.ingest.ingest(
            records: [
                record("crm-1", ["email": "ann@example.com"]), record("crm-2", ["email": "Ann@Example.com", "phone": "4155550100"]),
            ], from: crm, caller: tester)
        #expect(results.map(\.outcome.kind) == [.created, .linked])
        #expect(results[0].outcome.subjectID == results[1].outcome.subjectID)
        #expect(try await t.vault.store.subjectCount() == 1)
    }

    @Test("survivorship: the most trusted source wins, then the most recent observation", arguments: StorageBackend.allCases)
    func survivorship(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        _ = try await t.vault.ingest.ingest(
            records: [record("web-1", observedAt: "2026-05-01T00:00:00Z", ["email": "ann@example.com", "device_id": "D1"])], from: web, caller: tester)
        _ = try await t.vault.ingest.ingest(
            records: [record("sup-1", observedAt: "2026-04-01T00:00:00Z", ["email": "ann@example.com", "first_name": "Annie"])], from: support, caller: tester)
        let r = try await t.vault.ingest.ingest(
            records: [record("crm-1", observedAt: "2026-01-01T00:00:00Z", ["email": "ann@example.com", "first_name": "Ann"])], from: crm, caller: tester)
        let profile = try #require(try await t.vault.reader.read(r[0].outcome.subjectID))
        let name = try #require(profile.fields["first_name"])
        #expect(name.golden.value.unsafeValue == "Ann", "crm (rank 1) beats a newer support value")
        #expect(name.golden.source == crm)
        #expect(name.alternatives.map(\.value.unsafeValue) == ["Annie"])
        // Same source, newer observation of the same record wins; an older one is ignored.
        _ = try await t.vault.ingest.ingest(records: [record("crm-1", observedAt: "2026-06-01T00:00:00Z", ["first_name": "Anne"])], from: crm, caller: tester)
        _ = try await t.vault.ingest.ingest(records: [record("crm-1", observedAt: "2025-01-01T00:00:00Z", ["first_name": "Old"])], from: crm, caller: tester)
        let updated = try #require(try await t.vault.reader.read(r[0].outcome.subjectID))
        #expect(updated.fields["first_name"]?.golden.value.unsafeValue == "Anne")
        #expect(updated.fields["email"]?.golden.value.unsafeValue == "ann@example.com", "fields not sent are kept")
    }

    @Test("an invalid batch stores nothing and names index and field, never the value", arguments: StorageBackend.allCases)
    func invalidBatchIsAtomic(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        do {
            _ = try await t.vault.ingest.ingest(
                records: [
                    record("crm-1", ["email": "ok@example.com"]),
                    record("crm-2", ["emial": "typo@example.com"]),
                    record("crm-3", ["phone": "secret-phone-value"]),
                    .string("not a record"),
                ], from: crm, caller: tester)
            Issue.record("the batch was accepted")
        } catch IngestError.invalidBatch(let issues) {
            #expect(issues.map(\.index) == [1, 2, 3])
            #expect(issues[0].field == "emial" && issues[0].type == "unknown-field")
            #expect(issues[1].field == "phone" && issues[1].type == "invalid-value")
            #expect(!"\(issues)".contains("secret-phone-value") && !"\(issues)".contains("typo@example.com"))
        }
        #expect(try await t.vault.store.subjectCount() == 0)
    }

    @Test("batch limits", arguments: StorageBackend.allCases)
    func limits(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend, maximumBatch: 2)
        defer { t.remove() }
        await #expect(throws: IngestError.self) {
            try await t.vault.ingest.ingest(records: (0..<3).map { record("k\($0)", ["email": "p\($0)@example.com"]) }, from: crm, caller: tester)
        }
        await #expect(throws: IngestError.self) { try await t.vault.ingest.ingest(records: [], from: crm, caller: tester) }
        await #expect(throws: IngestError.self) {
            try await t.vault.ingest.ingest(records: [record("k", ["email": "a@example.com"])], from: SourceName("erp")!, caller: tester)
        }
    }

    @Test("events attach to the subject of their source key; a retried event id is a no-op", arguments: StorageBackend.allCases)
    func events(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let r = try await t.vault.ingest.ingest(records: [record("bill-1", ["email": "ann@example.com"])], from: billing, caller: tester)
        let order: JSONValue = .object([
            "id": .string("ord-1"), "key": .string("bill-1"), "type": .string("order"),
            "occurred_at": .string("2026-03-02T10:00:00Z"),
            "attributes": .object(["amount": .number(99.5), "currency": .string("usd")]),
        ])
        let first = try await t.vault.events.ingest(events: [order], from: billing, caller: tester)
        let again = try await t.vault.events.ingest(events: [order], from: billing, caller: tester)
        #expect(first.map(\.outcome) == [.created])
        #expect(again.map(\.outcome) == [.duplicate])
        let profile = try #require(try await t.vault.reader.read(r[0].outcome.subjectID))
        let aggregates = ProfileAggregates(events: profile.events)
        #expect(aggregates.orderCount == 1)
        #expect(aggregates.lifetimeValue == 99.5)
        #expect(profile.events[0].attributes.unsafeValue["currency"] == .string("USD"))
        let unknownKey: JSONValue = .object([
            "id": .string("ord-2"), "key": .string("bill-404"), "type": .string("order"),
            "occurred_at": .string("2026-03-02T10:00:00Z"), "attributes": .object([:]),
        ])
        await #expect(throws: IngestError.self) { try await t.vault.events.ingest(events: [unknownKey], from: billing, caller: tester) }
    }

    @Test("lookup finds subjects by normalized identifiers only", arguments: StorageBackend.allCases)
    func lookup(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let r = try await t.vault.ingest.ingest(
            records: [record("crm-1", ["email": "ann@example.com", "customer_id": "C-1", "first_name": "Ann"])], from: crm, caller: tester)
        #expect(try await t.vault.lookup.lookup(["email": .string("  ANN@example.com")], caller: tester) == [r[0].outcome.subjectID])
        #expect(try await t.vault.lookup.lookup(["customer_id": .string("C-2")], caller: tester) == [])
        await #expect(throws: IngestError.self) { try await t.vault.lookup.lookup(["first_name": .string("Ann")], caller: tester) }
    }
}

@Suite("Consent ledger in the store")
struct ConsentLedgerStoreTests {
    @Test("consents follow a merge and withdrawal is current on the next read", arguments: StorageBackend.allCases)
    func mergeCarriesConsents(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let a = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)
        let b = try await t.vault.ingest.ingest(records: [record("sup-1", ["phone": "4155550100"])], from: support, caller: tester)
        let grant: JSONValue = .object([
            "purpose": .string("marketing.communications.email"), "status": .string("granted"),
            "lawful_basis": .string("consent"), "evidence": .string("form-991"),
        ])
        _ = try await t.vault.consents.record(grant, for: b[0].outcome.subjectID, caller: tester)
        _ = try await t.vault.ingest.ingest(records: [record("bill-1", ["email": "ann@example.com", "phone": "415-555-0100"])], from: billing, caller: tester)
        let merged = try #require(try await t.vault.reader.read(a[0].outcome.subjectID))
        let email = Purpose("marketing.communications.email")!
        #expect(merged.consentState.isPermitted(email, at: Date()))
        #expect(merged.consents.first?.evidence?.unsafeValue == "form-991")
        let withdraw: JSONValue = .object([
            "purpose": .string("marketing.communications.email"), "status": .string("withdrawn"), "lawful_basis": .string("consent"),
        ])
        _ = try await t.vault.consents.record(withdraw, for: a[0].outcome.subjectID, caller: tester)
        let after = try #require(try await t.vault.reader.read(a[0].outcome.subjectID))
        #expect(!after.consentState.isPermitted(email, at: Date()))
        let stored = try #require(try await t.vault.store.sealedProfile(of: a[0].outcome.subjectID))
        #expect(stored.consents.count == 2 && stored.consents.allSatisfy { !contains(Data($0.ciphertext), "form-991") }, "evidence is sealed at rest")
    }
}
