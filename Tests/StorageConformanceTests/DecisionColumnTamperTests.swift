import Foundation
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// The columns a consent state or an aggregate is computed from are bound to their sealed
/// bodies: a database writer who turns a withdrawal into a grant, extends an expiry, moves an
/// event in time or copies an order row gets an integrity error, not a changed view.
@Suite("Consent and event rows changed in the database are refused")
struct DecisionColumnTamperTests {
    static func consent(_ status: String, expires: String? = nil) -> JSONValue {
        var members: [String: JSONValue] = ["purpose": .string("marketing"), "status": .string(status), "lawful_basis": .string("consent")]
        if let expires { members["expires_at"] = .string(expires) }
        return .object(members)
    }

    @Test("a withdrawal turned into a grant, or a grant's expiry moved, fails to read", arguments: StorageBackend.allCases)
    func consentFlipped(_ backend: StorageBackend) async throws {
        for tamper in [
            "UPDATE consent_events SET status = 'granted' WHERE status = 'withdrawn'",
            "UPDATE consent_events SET expires_at = expires_at + 31536000000 WHERE expires_at IS NOT NULL",
            "UPDATE consent_events SET lawful_basis = 'legitimate_interests'",
        ] {
            let t = try await TemporaryVault.make(backend)
            defer { t.remove() }
            let subject = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)[0].outcome
                .subjectID
            _ = try await t.vault.consents.record(Self.consent("granted", expires: "2030-01-01T00:00:00Z"), for: subject, caller: tester)
            _ = try await t.vault.consents.record(Self.consent("withdrawn"), for: subject, caller: tester)
            let before = try #require(try await t.vault.reader.read(subject))
            #expect(before.consents.map(\.status.rawValue) == ["granted", "withdrawn"])
            try await RowTagTests.behindTheStore(t, tamper)
            await #expect(throws: StoreError.self, "\(tamper)") { try await t.vault.reader.read(subject) }
        }
    }

    @Test("an event row copied, or moved in time, fails to read", arguments: StorageBackend.allCases)
    func eventCopiedOrMoved(_ backend: StorageBackend) async throws {
        let copy =
            backend == .sqlite
            ? "INSERT INTO events (subject_id, occurred_at, event_row, source, event_index, record_id, key_owner, type, ciphertext) "
                + "SELECT subject_id, occurred_at, event_row + 1000, source, randomblob(32), record_id, key_owner, type, ciphertext FROM events"
            : "INSERT INTO events (source, event_index, record_id, subject_id, key_owner, type, occurred_at, ciphertext) "
                + "SELECT source, sha256(event_index), record_id, subject_id, key_owner, type, occurred_at, ciphertext FROM events"
        for tamper in [copy, "UPDATE events SET occurred_at = occurred_at + 86400000"] {
            let t = try await TemporaryVault.make(backend)
            defer { t.remove() }
            let subject = try await t.vault.ingest.ingest(records: [record("bill-1", ["email": "ann@example.com"])], from: billing, caller: tester)[0].outcome
                .subjectID
            let order: JSONValue = .object([
                "id": .string("ord-1"), "key": .string("bill-1"), "type": .string("order"),
                "occurred_at": .string("2026-03-02T10:00:00Z"),
                "attributes": .object(["amount": .number(99.5), "currency": .string("usd")]),
            ])
            _ = try await t.vault.events.ingest(events: [order], from: billing, caller: tester)
            #expect(try await t.vault.reader.read(subject)?.events.count == 1)
            try await RowTagTests.behindTheStore(t, tamper)
            await #expect(throws: StoreError.self, "\(tamper)") { try await t.vault.reader.read(subject) }
        }
    }
}
