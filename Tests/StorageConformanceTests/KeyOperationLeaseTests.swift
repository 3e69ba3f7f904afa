import Foundation
import Storage
import Testing
import VaultCrypto
import VaultModel
import VaultTestSupport

@testable import Vault

/// One key operation at a time, on both stores (`KeyOperationLeaseSQL`).
@Suite("Key-operation lease and concurrent rotations")
struct KeyOperationLeaseTests {
    @Test("one holder at a time; a release by another holder frees nothing; an expired lease is taken over", arguments: StorageBackend.allCases)
    func lease(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let store = t.vault.store
        let now = Date()
        #expect(try await store.acquireKeyOperationLease(holder: "a", now: now, expiresAt: now.addingTimeInterval(60)))
        #expect(try await !store.acquireKeyOperationLease(holder: "b", now: now, expiresAt: now.addingTimeInterval(60)))
        #expect(try await !store.acquireKeyOperationLease(holder: "a", now: now, expiresAt: now.addingTimeInterval(60)), "not re-entrant")
        try await store.releaseKeyOperationLease(holder: "b")
        #expect(try await !store.acquireKeyOperationLease(holder: "b", now: now, expiresAt: now.addingTimeInterval(60)))
        try await store.releaseKeyOperationLease(holder: "a")
        #expect(try await store.acquireKeyOperationLease(holder: "b", now: now, expiresAt: now.addingTimeInterval(1)))
        // b died holding it: once expired, c takes it over.
        #expect(try await store.acquireKeyOperationLease(holder: "c", now: now.addingTimeInterval(2), expiresAt: now.addingTimeInterval(62)))
    }

    @Test("concurrent rotations: exactly one succeeds, the others are refused, and the key file matches the keyring", arguments: StorageBackend.allCases)
    func concurrentRotations(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ids = try await t.vault.ingest.ingest(records: (0..<20).map { record("crm-\($0)", ["email": "p\($0)@example.com"]) }, from: crm, caller: tester)
            .map(\.outcome.subjectID)
        let rotation = t.vault.rotation
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    do { return "rotated \(try await rotation.rotate(caller: tester))" } catch let error as KeyRotationError {
                        switch error {
                        case .operationInProgress, .rewrapPending: return "refused"
                        default: return "other: \(error)"
                        }
                    } catch { return "failed: \(error)" }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "rotated 2" }.count == 1 && outcomes.filter { $0 == "refused" }.count == 5, "\(outcomes)")
        while try await rotation.rewrapBatch(limit: 50) > 0 {}
        let stored = try await t.vault.store.keyVersions()
        #expect(stored.map(\.version) == [1, 2] && stored.allSatisfy { $0.state == "active" })
        let reopened = try await t.reopen()
        #expect(reopened.keys.keyring.activeVersion == 2)
        #expect(try await reopened.reader.read(ids[3])?.fields["email"]?.golden.value.unsafeValue == "p3@example.com")
    }

    @Test("a pending version whose key never reached the key file is dropped at start; a holder's lease protects it", arguments: StorageBackend.allCases)
    func pendingVersionSettled(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let key = try SymmetricKey.generate()
        try await t.vault.store.insertKeyVersion(KeyVersionRecord(version: 2, checkValue: try Keyring.checkValue(of: key), createdAt: Date(), state: "pending"))
        // Another replica is mid-rotation (it holds the lease): its pending row is left alone.
        let now = Date()
        #expect(try await t.vault.store.acquireKeyOperationLease(holder: "other-replica", now: now, expiresAt: now.addingTimeInterval(60)))
        if backend != .sqlite {
            let during = try await t.reopen()
            #expect(during.keys.keyring.activeVersion == 1)
            #expect(try await t.vault.store.keyVersions().map(\.state) == ["active", "pending"])
        }
        try await t.vault.store.releaseKeyOperationLease(holder: "other-replica")
        let reopened = try await t.reopen()
        #expect(reopened.keys.keyring.activeVersion == 1)
        #expect(try await reopened.store.keyVersions().map(\.version) == [1], "the pending row went")
        #expect(try await reopened.rotation.rotate(caller: tester) == 2)
    }
}
