import Foundation
import Storage
import Testing
import Vault
import VaultModel
import VaultTestSupport

@Suite("Retention sweep")
struct RetentionTests {
    @Test("with a fake clock: expired values and events go, others stay; dry run deletes nothing; counts are audited", arguments: StorageBackend.allCases)
    func sweep(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend)
        defer { t.remove() }
        let observed = Date(timeIntervalSince1970: 1_780_000_000)
        let iso = Timestamp.format(observed)
        let r = try await t.vault.ingest.ingest(
            records: [
                record("web-1", observedAt: iso, ["email": "ann@example.com", "ip_address": "10.0.0.1", "device_id": "D-1"])
            ], from: web, caller: tester, now: observed)
        let crmResult = try await t.vault.ingest.ingest(
            records: [record("crm-1", observedAt: iso, ["email": "ann@example.com", "card_last4": "4242"])],
            from: crm, caller: tester, now: observed)
        #expect(crmResult[0].outcome.subjectID == r[0].outcome.subjectID)
        let views: [JSONValue] = [
            .object([
                "id": .string("pv-1"), "key": .string("web-1"), "type": .string("page_view"),
                "occurred_at": .string(iso), "attributes": .object(["url": .string("/pricing")]),
            ])
        ]
        _ = try await t.vault.events.ingest(events: views, from: web, caller: tester, now: observed)

        // 100 days later: ip_address (90d in fields.yaml) expires; device_id (user.device 365d) stays; page views (180d) stay.
        let later = observed.addingTimeInterval(100 * 86400)
        let dry = try await t.vault.retention.run(dryRun: true, caller: tester, now: later)
        #expect(dry.fields == ["ip_address": 1] && dry.events.isEmpty)
        #expect(try await t.vault.reader.read(r[0].outcome.subjectID)?.fields["ip_address"] != nil, "a dry run deletes nothing")
        let report = try await t.vault.retention.run(dryRun: false, caller: tester, now: later)
        #expect(report.fields == ["ip_address": 1])
        var profile = try #require(try await t.vault.reader.read(r[0].outcome.subjectID))
        #expect(profile.fields["ip_address"] == nil && profile.fields["device_id"] != nil && profile.events.count == 1)

        // 400 days later: device_id and the page view go too; card data (legal hold category) is never swept by retention.
        let much = observed.addingTimeInterval(400 * 86400)
        let second = try await t.vault.retention.run(dryRun: false, caller: tester, now: much)
        #expect(second.fields == ["device_id": 1] && second.events == ["page_view": 1])
        profile = try #require(try await t.vault.reader.read(r[0].outcome.subjectID))
        #expect(profile.fields["card_last4"] != nil && profile.fields["email"] != nil && profile.events.isEmpty)
        // The device id was an identifier: its blind index went with it.
        #expect(try await t.vault.lookup.lookup(["device_id": .string("d-1")], caller: tester).isEmpty)

        var query = AuditQuery()
        query.action = "retention.sweep"
        let entries = try await t.vault.audit.entries(query).map { $0.draft.detail ?? "" }
        #expect(entries == ["dry run, would delete: ip_address=1", "deleted: ip_address=1", "deleted: device_id=1, event page_view=1"])
    }
}
