import Foundation
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// A view's figures come from sealed totals kept beside the events (`EventTotals`), updated by
/// the transaction that inserts events; a view opens no event and no value it doesn't show.
@Suite("Event totals and decide-then-open")
struct EventTotalsTests {
    static let support = Purpose("essential.service.operations.support")!

    static func event(_ id: String, key: String, _ type: String, at time: String, _ attributes: [String: JSONValue] = [:]) -> JSONValue {
        .object([
            "id": .string(id), "key": .string(key), "type": .string(type), "occurred_at": .string(time), "attributes": .object(attributes),
        ])
    }

    static func order(_ id: String, key: String = "bill-1", at time: String, amount: Double) -> JSONValue {
        event(id, key: key, "order", at: time, ["amount": .number(amount), "currency": .string("usd")])
    }

    /// Ingests one record of `source` and returns its person.
    static func person(_ t: TemporaryVault, _ key: String, email: String? = nil, phone: String? = nil, from source: SourceName) async throws -> SubjectID {
        var fields: [String: String] = [:]
        fields["email"] = email
        fields["phone"] = phone
        return try await t.vault.ingest.ingest(records: [record(key, fields)], from: source, caller: tester)[0].outcome.subjectID
    }

    static func figures(_ t: TemporaryVault, _ id: SubjectID) async throws -> VisibleAggregates? {
        try await t.vault.views.view(id, role: "support", purpose: support, caller: tester).aggregates
    }

    static func pending(_ t: TemporaryVault) async throws -> [SubjectID] {
        try await t.vault.store.subjectsWithPendingTotals(after: nil, limit: 1000)
    }

    @Test("a view shows the kept totals without opening an event; the timeline, which shows events, still checks them", arguments: StorageBackend.allCases)
    func viewOpensNoEvent(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await Self.person(t, "bill-1", email: "ann@example.com", from: billing)
        _ = try await t.vault.events.ingest(
            events: [
                Self.order("o-1", at: "2026-03-02T10:00:00Z", amount: 10.25), Self.order("o-2", at: "2026-03-05T10:00:00Z", amount: 5),
                Self.event("t-1", key: "bill-1", "ticket", at: "2026-03-04T10:00:00Z", ["status": .string("open")]),
            ], from: billing, caller: tester)
        // A second batch adds to the sealed totals; a retried event adds nothing.
        _ = try await t.vault.events.ingest(
            events: [Self.order("o-3", at: "2026-03-03T10:00:00Z", amount: 1), Self.order("o-1", at: "2026-03-02T10:00:00Z", amount: 10.25)],
            from: billing, caller: tester)
        let before = try #require(try await Self.figures(t, ann))
        #expect(before.orderCount == 3 && before.lifetimeValue == 16.25 && before.openTickets == 1)
        #expect(before.lastContact == ISO8601DateFormatter().date(from: "2026-03-05T10:00:00Z"))
        #expect(try await Self.pending(t).isEmpty)

        // Every event's ciphertext spoiled in the database: the view never opens one.
        try await RowTagTests.behindTheStore(t, "UPDATE events SET ciphertext = \(backend == .sqlite ? "x'01'" : "'\\x01'::bytea")")
        #expect(try await Self.figures(t, ann) == before)
        await #expect(throws: (any Error).self) {
            _ = try await t.vault.views.timeline(ann, role: "support", purpose: Self.support, caller: tester, cursor: nil, limit: 10)
        }
    }

    @Test("totals copied to another record of the person, or to another person, fail to open", arguments: StorageBackend.allCases)
    func totalsMoved(_ backend: StorageBackend) async throws {
        for tamper in [
            // Ann's billing totals over her CRM record's: same key, another record.
            "UPDATE event_totals SET ciphertext = (SELECT ciphertext FROM event_totals WHERE record_id = "
                + "(SELECT MIN(record_id) FROM source_records WHERE source = 'billing')) "
                + "WHERE record_id = (SELECT record_id FROM source_records WHERE source = 'crm')",
            // Leo's totals over Ann's: another person's key.
            "UPDATE event_totals SET ciphertext = (SELECT ciphertext FROM event_totals WHERE record_id = "
                + "(SELECT MAX(record_id) FROM source_records WHERE source = 'billing')) "
                + "WHERE record_id = (SELECT MIN(record_id) FROM source_records WHERE source = 'billing')",
        ] {
            let t = try await TemporaryVault.make(backend)
            defer { t.remove() }
            let ann = try await Self.person(t, "bill-1", email: "ann@example.com", from: billing)
            _ = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)
            let leo = try await Self.person(t, "bill-2", email: "leo@example.com", from: billing)
            _ = try await t.vault.events.ingest(
                events: [Self.order("o-1", at: "2026-03-02T10:00:00Z", amount: 10), Self.order("o-2", key: "bill-2", at: "2026-03-02T10:00:00Z", amount: 20)],
                from: billing, caller: tester)
            _ = try await t.vault.events.ingest(
                events: [Self.event("t-1", key: "crm-1", "ticket", at: "2026-03-04T10:00:00Z", ["status": .string("open")])], from: crm, caller: tester)
            let before = try #require(try await Self.figures(t, ann))
            #expect(before.orderCount == 1 && before.openTickets == 1)
            try await RowTagTests.behindTheStore(t, tamper)
            await #expect(throws: (any Error).self, "\(tamper)") { _ = try await Self.figures(t, ann) }
            #expect(try await Self.figures(t, leo)?.orderCount == 1)
        }
    }

    @Test(
        "pending totals are folded by the view, sealed again by the healer; merges carry them; retention re-seals what is left",
        arguments: StorageBackend.allCases)
    func pendingMergedSwept(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await Self.person(t, "bill-1", email: "ann@example.com", from: billing)
        let other = try await Self.person(t, "crm-1", phone: "+14155550100", from: crm)
        _ = try await t.vault.events.ingest(
            events: [
                Self.order("o-1", at: "2026-01-02T10:00:00Z", amount: 7),
                Self.event("p-1", key: "bill-1", "page_view", at: "2026-02-01T10:00:00Z", ["url": .string("/a")]),
            ], from: billing, caller: tester)
        _ = try await t.vault.events.ingest(events: [Self.order("o-9", key: "crm-1", at: "2026-01-03T10:00:00Z", amount: 3)], from: crm, caller: tester)
        let annBefore = try #require(try await Self.figures(t, ann))

        // As the migration leaves them: pending. The view computes the figures from the events, same figures.
        try await RowTagTests.behindTheStore(t, "UPDATE event_totals SET ciphertext = NULL")
        #expect(try await Self.pending(t).count == 2)
        #expect(try await Self.figures(t, ann) == annBefore)
        // A new event into a pending group leaves it pending: the healer seals the person's groups together.
        _ = try await t.vault.events.ingest(events: [Self.order("o-2", at: "2026-01-04T10:00:00Z", amount: 1)], from: billing, caller: tester)
        #expect(try await Self.pending(t).count == 2)
        let healed = try await EventTotalsHealer.heal(store: t.vault.store, keys: t.vault.keys)
        #expect(healed.healed == 2 && healed.failed == 0)
        #expect(try await Self.pending(t).isEmpty)
        let healedFigures = try await Self.figures(t, ann)
        #expect(healedFigures?.orderCount == 2 && healedFigures?.lifetimeValue == 8)

        // A billing record with Ann's email and the other person's phone: the two people merge, and so do their figures.
        _ = try await t.vault.ingest.ingest(
            records: [record("bill-3", observedAt: "2026-03-02T10:00:00Z", ["phone": "+14155550100", "email": "ann@example.com"])], from: billing,
            caller: tester)
        let merged = try #require(try await t.vault.store.canonicalSubject(of: other))
        #expect(merged == (try await t.vault.store.canonicalSubject(of: ann)))
        let sum = try #require(try await Self.figures(t, merged))
        #expect(sum.orderCount == 3 && sum.lifetimeValue == 11)
        #expect(sum.lastContact == ISO8601DateFormatter().date(from: "2026-02-01T10:00:00Z"))

        // 200 days after the page view: it goes, the last contact is the newest order, nothing stays pending.
        _ = try await t.vault.retention.run(dryRun: false, caller: tester, now: ISO8601DateFormatter().date(from: "2026-08-20T10:00:00Z")!)
        #expect(try await Self.pending(t).isEmpty)
        let swept = try #require(try await Self.figures(t, merged))
        #expect(swept.orderCount == 3 && swept.lastContact == ISO8601DateFormatter().date(from: "2026-01-04T10:00:00Z"))
    }

    @Test("a store from before the totals migrates: its groups start pending and are sealed as the vault opens", arguments: StorageBackend.allCases)
    func migratedAndHealedAtOpen(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await Self.person(t, "bill-1", email: "ann@example.com", from: billing)
        _ = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)
        _ = try await t.vault.events.ingest(
            events: [Self.order("o-1", at: "2026-01-02T10:00:00Z", amount: 7), Self.order("o-2", at: "2026-01-05T10:00:00Z", amount: 2.5)],
            from: billing, caller: tester)
        _ = try await t.vault.events.ingest(
            events: [Self.event("t-1", key: "crm-1", "ticket", at: "2026-01-03T10:00:00Z", ["status": .string("pending")])], from: crm, caller: tester)
        let before = try #require(try await Self.figures(t, ann))
        // Back to the schema before the totals: the migration runs again on the next open.
        try await RowTagTests.behindTheStore(t, "DROP TABLE event_totals")
        try await RowTagTests.behindTheStore(
            t,
            backend == .sqlite
                ? "DELETE FROM grdb_migrations WHERE identifier = 'v15-event-totals'" : "DELETE FROM pv_migrations WHERE id = 'v10-event-totals'")
        // The first vault's pinned readers let go of their snapshots (a restart would close them).
        if backend == .sqlite { try await t.vault.store.checkpoint() }
        let reopened = try await t.reopen()
        #expect(try await reopened.store.subjectsWithPendingTotals(after: nil, limit: 10).isEmpty)
        let after = try await reopened.views.view(ann, role: "support", purpose: Self.support, caller: tester).aggregates
        #expect(after == before && before.orderCount == 2 && before.lifetimeValue == 9.5 && before.openTickets == 1)
    }

    @Test("an event moved in the database to another record of the person counts once, pending or healed", arguments: StorageBackend.allCases)
    func eventMovedCountsOnce(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await Self.person(t, "bill-1", email: "ann@example.com", from: billing)
        _ = try await t.vault.ingest.ingest(records: [record("bill-2", ["email": "ann@example.com"])], from: billing, caller: tester)
        _ = try await t.vault.events.ingest(
            events: [
                Self.order("o-1", at: "2026-01-02T10:00:00Z", amount: 7), Self.order("o-2", key: "bill-2", at: "2026-01-03T10:00:00Z", amount: 1),
            ], from: billing, caller: tester)
        #expect(try await Self.figures(t, ann)?.orderCount == 2)
        // bill-1's order moved to bill-2's group, and bill-2's totals made pending.
        try await RowTagTests.behindTheStore(
            t, "UPDATE events SET record_id = (SELECT MAX(record_id) FROM source_records) WHERE record_id = (SELECT MIN(record_id) FROM source_records)")
        try await RowTagTests.behindTheStore(
            t, "UPDATE event_totals SET ciphertext = NULL WHERE record_id = (SELECT MAX(record_id) FROM source_records)")
        let pending = try #require(try await Self.figures(t, ann))
        #expect(pending.orderCount == 2 && pending.lifetimeValue == 8)
        try await EventTotalsHealer.heal(store: t.vault.store, keys: t.vault.keys)
        #expect(try await Self.pending(t).isEmpty)
        let healed = try #require(try await Self.figures(t, ann))
        #expect(healed.orderCount == 2 && healed.lifetimeValue == 8)
    }

    @Test("a subject key rotation re-seals the totals under the new key", arguments: StorageBackend.allCases)
    func rotated(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await Self.person(t, "bill-1", email: "ann@example.com", from: billing)
        _ = try await t.vault.events.ingest(events: [Self.order("o-1", at: "2026-01-02T10:00:00Z", amount: 7)], from: billing, caller: tester)
        _ = try await t.vault.rotation.rotateDataKey(of: ann, caller: tester)
        #expect(try await Self.pending(t).isEmpty)
        #expect(try await Self.figures(t, ann)?.lifetimeValue == 7)
    }

    @Test("a field the role's decision redacts is never decrypted; one it shows is", arguments: StorageBackend.allCases)
    func redactedNotOpened(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await t.vault.ingest.ingest(
            records: [record("bill-1", ["email": "ann@example.com", "iban": "DE89370400440532013000"])], from: billing, caller: tester)[0].outcome
            .subjectID
        try await RowTagTests.behindTheStore(
            t, "UPDATE field_values SET ciphertext = \(backend == .sqlite ? "x'01'" : "'\\x01'::bytea") WHERE field = 'iban'")
        let view = try await t.vault.views.view(ann, role: "support", purpose: Self.support, caller: tester)
        #expect(view.fields["email"]?.unsafeValue == "ann@example.com" && view.fields["iban"] == nil)
        #expect(view.decisions.contains { $0.field == "iban" && $0.action == .redact })
        await #expect(throws: (any Error).self) {
            _ = try await t.vault.views.view(ann, role: "compliance", purpose: Purpose("essential")!, caller: tester)
        }
    }

    @Test("timeline pages continue after the last event shown, whatever arrives meanwhile", arguments: StorageBackend.allCases)
    func timelineKeyset(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let ann = try await Self.person(t, "bill-1", email: "ann@example.com", from: billing)
        _ = try await t.vault.events.ingest(
            events: (1...12).map { Self.order("o-\($0)", at: String(format: "2026-01-%02dT10:00:00Z", $0), amount: Double($0)) }, from: billing,
            caller: tester)
        func page(_ cursor: String?) async throws -> TimelinePage {
            try await t.vault.views.timeline(ann, role: "support", purpose: Self.support, caller: tester, cursor: cursor, limit: 5)
        }
        let first = try await page(nil)
        #expect(first.entries.map(\.occurredAt) == (8...12).reversed().map { ISO8601DateFormatter().date(from: String(format: "2026-01-%02dT10:00:00Z", $0))! })
        // Two newer events arrive: the next page still starts after the fifth shown, none repeats.
        _ = try await t.vault.events.ingest(
            events: [Self.order("o-20", at: "2026-01-20T10:00:00Z", amount: 1), Self.order("o-21", at: "2026-01-21T10:00:00Z", amount: 1)],
            from: billing, caller: tester)
        let second = try await page(try #require(first.next))
        let third = try await page(try #require(second.next))
        #expect(second.entries.count == 5 && third.entries.count == 2 && third.next == nil)
        let days = (second.entries + third.entries).map { Calendar(identifier: .gregorian).component(.day, from: $0.occurredAt) }
        #expect(days == Array((1...7).reversed()))
        // A cursor of Ann's timeline is refused on another person's.
        let leo = try await Self.person(t, "bill-2", email: "leo@example.com", from: billing)
        await #expect(throws: TimelineError.self) {
            _ = try await t.vault.views.timeline(leo, role: "support", purpose: Self.support, caller: tester, cursor: first.next, limit: 5)
        }
    }
}
