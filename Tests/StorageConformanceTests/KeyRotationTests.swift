import Foundation
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

@Suite("Master-key rotation")
struct KeyRotationTests {
    @Test("rotate, re-wrap everything (including keys minted meanwhile), retire the old version, reopen", arguments: StorageBackend.allCases)
    func rotateRewrapRetire(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let records = (0..<60).map { record("crm-\($0)", ["email": "person\($0)@example.com", "first_name": "P\($0)"]) }
        let ids = try await t.vault.ingest.ingest(records: records, from: crm, caller: tester).map(\.outcome.subjectID)
        let version = try await t.vault.rotation.rotate(caller: tester)
        #expect(version == 2 && t.vault.keys.keyring.activeVersion == 2)
        let late = try await t.vault.ingest.ingest(records: [record("crm-late", ["email": "late@example.com"])], from: crm, caller: tester)
        #expect(try await t.vault.store.wrappedKey(of: late[0].outcome.subjectID)?.kekVersion == 2, "new data keys use the new version at once")
        await #expect(throws: KeyRotationError.self) { try await t.vault.rotation.retire(1, caller: tester) }
        await #expect(throws: KeyRotationError.self) { try await t.vault.rotation.retire(2, caller: tester) }

        var status = try await t.vault.rotation.status()
        #expect(status.pending == 60 + 4, "60 data keys and 4 vault secrets under version 1")
        while try await t.vault.rotation.rewrapBatch(limit: 7) > 0 {
            // Reads keep working in the middle of the rewrap.
            #expect(try await t.vault.reader.read(ids[0])?.fields["email"]?.golden.value.unsafeValue == "person0@example.com")
        }
        status = try await t.vault.rotation.status()
        #expect(status.pending == 0 && status.counts[2] == 61 + 4)

        try await t.vault.rotation.retire(1, caller: tester)
        let keyFile = try String(contentsOf: t.directory.appendingPathComponent("master.key"), encoding: .utf8)
        #expect(!keyFile.contains("\n1:") && keyFile.contains("\n2:"))
        let reopened = try await t.reopen()
        #expect(reopened.keys.keyring.versions.keys.sorted() == [2])
        for id in ids.prefix(5) { #expect(try await reopened.reader.read(id) != nil) }
        #expect(try await reopened.lookup.lookup(["email": .string("person7@example.com")], caller: tester).count == 1, "blind indexes unchanged")
        #expect(try await reopened.audit.verify().valid)
        let actions = try await reopened.audit.entries(.init()).map(\.draft.action)
        #expect(actions.contains("keys.rotate") && actions.contains("keys.retire"))
    }
}

@Suite("Per-subject data key rotation")
struct SubjectKeyRotationTests {
    @Test("a merged subject's values are all re-encrypted under one fresh key; old ciphertexts and keys are gone", arguments: StorageBackend.allCases)
    func rotateSubjectKey(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let a = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com", "first_name": "Ann"])], from: crm, caller: tester)
        _ = try await t.vault.ingest.ingest(records: [record("sup-1", ["phone": "4155550100", "last_name": "Lee"])], from: support, caller: tester)
        _ = try await t.vault.ingest.ingest(records: [record("bill-1", ["email": "ann@example.com", "phone": "415-555-0100"])], from: billing, caller: tester)
        let subject = a[0].outcome.subjectID
        _ = try await t.vault.consents.record(
            .object(["purpose": .string("marketing"), "status": .string("granted"), "lawful_basis": .string("consent")]),
            for: subject, caller: tester)
        let before = try await t.vault.store.sealedRows(of: subject)
        #expect(Set(before.map(\.keyOwner)).count == 2, "values sealed under the merged-away subject's key too")
        let oldKey = try await t.vault.store.wrappedKey(of: subject)

        let count = try await t.vault.rotation.rotateDataKey(of: subject, caller: tester)
        #expect(count == before.count)
        let after = try await t.vault.store.sealedRows(of: subject)
        #expect(Set(after.map(\.keyOwner)) == [subject])
        #expect(Set(after.map(\.ciphertext)).isDisjoint(with: before.map(\.ciphertext)))
        #expect(try await t.vault.store.wrappedKey(of: subject) != oldKey)
        let profile = try #require(try await t.vault.reader.read(subject))
        #expect(profile.fields["first_name"]?.golden.value.unsafeValue == "Ann" && profile.fields["last_name"]?.golden.value.unsafeValue == "Lee")
        #expect(profile.consents.count == 1)
        #expect(try await t.vault.store.canonicalSubject(of: subject) == subject)
        #expect(try await t.vault.audit.verify().valid)
    }
}
