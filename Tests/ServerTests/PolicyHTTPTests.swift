import Foundation
import HummingbirdTesting
import Storage
import Testing
import VaultAPI
import VaultModel

@testable import Vault

@Suite("HTTP: role views, explain, timeline, policies")
struct PolicyHTTPTests {
    static let record = """
        {"records": [{"key": "crm-1", "observed_at": "2026-03-01T10:00:00Z",
          "fields": {"email": "ann.lee@example.com", "phone": "(415) 555-0100", "first_name": "Ann", "last_name": "Lee",
                     "birth_date": "1990-04-01", "city": "Denver", "postal_code": "80267", "street_address": "296 Mission St",
                     "country": "US", "customer_id": "C-1", "device_id": "dev-9", "ip_address": "10.1.2.3"}}]}
        """
    static let billingRecord =
        #"{"records": [{"key": "b-1", "fields": {"email": "ann.lee@example.com", "card_last4": "4242", "iban": "DE89 3704 0044 0532 0130 00"}}]}"#
    static let orders = """
        {"events": [{"id": "o-1", "key": "b-1", "type": "order", "occurred_at": "2026-03-02T10:00:00Z", "attributes": {"amount": 100, "currency": "EUR"}},
                    {"id": "o-2", "key": "b-1", "type": "order", "occurred_at": "2026-03-03T10:00:00Z", "attributes": {"amount": 20.5, "currency": "EUR"}}]}
        """

    /// One subject with the demo-like fields of every category, plus two orders.
    static func seed(_ client: any TestClientProtocol, _ h: ServerHarness) async throws -> String {
        let id = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: record).decode(IngestRecordsResponse.self).results[0].subject_id!
        _ = try await client.call(.post, "/v1/sources/billing/records", token: h.billing, json: billingRecord)
        _ = try await client.call(.post, "/v1/sources/billing/events", token: h.billing, json: orders)
        return id
    }

    @Test("each shipped role sees exactly what its policy allows")
    func perRole() async throws {
        let h = try await ServerHarness.make()
        let tokens = try await h.roleTokens(["marketing", "billing", "analytics"])
        try await h.run { client in
            let id = try await Self.seed(client, h)
            func view(_ token: String, _ purpose: String) async throws -> SubjectViewBody {
                try await client.call(.get, "/v1/subjects/\(id)", token: token, purpose: purpose).decode(SubjectViewBody.self)
            }
            let support = try await view(h.support, "essential.service.operations.support")
            #expect(support.fields["email"] == "ann.lee@example.com" && support.fields["card_last4"] == "••••4242")
            #expect(support.fields["birth_date"] == "1990" && support.fields["iban"] == nil && support.fields["ip_address"] == nil)
            #expect(support.aggregates?.order_count == 2 && support.aggregates?.lifetime_value == 120.5)

            let marketing = try await view(tokens["marketing"]!, "marketing.communications.email")
            #expect(marketing.fields["email"] == nil && marketing.fields["first_name"] == "Ann")
            #expect(marketing.fields["customer_id"]?.hasPrefix("pv_") == true)
            #expect(marketing.fields["iban"] == nil && marketing.fields["birth_date"] == nil && marketing.fields["device_id"] == nil)
            #expect(marketing.aggregates?.order_count == nil, "purchase history needs advertising consent")

            let billing = try await view(tokens["billing"]!, "essential.service.payment_processing")
            #expect(billing.fields["iban"] == "••••3000" && billing.fields["card_last4"] == "4242" && billing.fields["birth_date"] == nil)

            let analytics = try await view(tokens["analytics"]!, "analytics.reporting")
            #expect(analytics.fields["email"]?.hasPrefix("pv_") == true && analytics.fields["postal_code"] == "802")
            #expect(analytics.fields["phone"] == nil && analytics.fields["first_name"] == nil && analytics.fields["street_address"] == nil)
            let again = try await view(tokens["analytics"]!, "analytics.reporting")
            #expect(again.fields["email"] == analytics.fields["email"], "pseudonyms are stable")

            let compliance = try await view(h.compliance, "essential.legal_obligation")
            #expect(compliance.fields.count == 14)
        }
    }

    @Test("consent-dependent fields follow the live ledger; explain says why")
    func consentAndExplain() async throws {
        let h = try await ServerHarness.make()
        let tokens = try await h.roleTokens(["marketing"])
        try await h.run { client in
            let id = try await Self.seed(client, h)
            let uri = "/v1/subjects/\(id)?explain=true"
            var view = try await client.call(.get, uri, token: tokens["marketing"]!, purpose: "marketing.communications.email").decode(SubjectViewBody.self)
            #expect(
                view.decisions?["email"]
                    == DecisionBody(action: "redact", category: "user.contact.email", rule: view.decisions?["email"]?.rule, reason: "no_consent"))
            #expect(view.decisions?["email"]?.rule?.hasPrefix("roles.yaml:") == true)
            #expect(view.decisions?["iban"]?.reason == "rule" && view.decisions?["ip_address"]?.action == "redact")
            #expect(view.decisions?.count == 14, "every field the subject has")
            _ = try await client.call(
                .post, "/v1/subjects/\(id)/consents", token: h.support,
                json: #"{"purpose": "marketing.communications.email", "status": "granted", "lawful_basis": "consent"}"#)
            view = try await client.call(.get, uri, token: tokens["marketing"]!, purpose: "marketing.communications.email").decode(SubjectViewBody.self)
            #expect(view.fields["email"] == "ann.lee@example.com" && view.fields["street_address"] == "Denver")
            _ = try await client.call(
                .post, "/v1/subjects/\(id)/consents", token: h.support,
                json: #"{"purpose": "marketing.communications.email", "status": "withdrawn", "lawful_basis": "consent"}"#)
            view = try await client.call(.get, uri, token: tokens["marketing"]!, purpose: "marketing.communications.email").decode(SubjectViewBody.self)
            #expect(view.fields["email"] == nil, "withdrawal takes effect on the very next view")
        }
    }

    @Test("a restricted subject is visible only to compliance")
    func restriction() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let id = try await Self.seed(client, h)
            // Through the store (a header written in the database directly is an integrity error).
            try await h.temporary.vault.store.setRestricted(try #require(SubjectID(id)), true)
            let support = try await client.call(.get, "/v1/subjects/\(id)", token: h.support, purpose: "essential.service.operations.support")
            #expect(support.status == 403 && support.problem?.slug == "subject-restricted")
            let timeline = try await client.call(.get, "/v1/subjects/\(id)/timeline", token: h.support, purpose: "essential.service.operations.support")
            #expect(timeline.status == 403)
            let compliance = try await client.call(.get, "/v1/subjects/\(id)", token: h.compliance, purpose: "essential")
            let complianceView = try compliance.decode(SubjectViewBody.self)
            #expect(compliance.status == 200 && complianceView.restricted)
        }
    }

    @Test("the timeline is redacted by the same rules, leaves out events the role sees nothing of, and is paginated by cursor")
    func timeline() async throws {
        let h = try await ServerHarness.make()
        let tokens = try await h.roleTokens(["analytics"])
        try await h.run { client in
            let id = try await Self.seed(client, h)
            let first = try await client.call(.get, "/v1/subjects/\(id)/timeline?limit=1", token: h.support, purpose: "essential.service.operations.support")
                .decode(TimelineBody.self)
            #expect(first.events.count == 1 && first.events[0].occurred_at == "2026-03-03T10:00:00Z")
            #expect(first.events[0].attributes["amount"] == .number(20.5))
            let cursor = try #require(first.next_cursor)
            let second = try await client.call(
                .get, "/v1/subjects/\(id)/timeline?limit=1&cursor=\(cursor)", token: h.support,
                purpose: "essential.service.operations.support"
            ).decode(TimelineBody.self)
            #expect(second.events.map(\.occurred_at) == ["2026-03-02T10:00:00Z"] && second.next_cursor == nil)
            let bad = try await client.call(.get, "/v1/subjects/\(id)/timeline?cursor=zzz", token: h.support, purpose: "essential.service.operations.support")
            #expect(bad.status == 400)
            // A cursor is bound to the subject it was issued for.
            let other = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm, json: #"{"records": [{"key": "crm-9", "fields": {"email": "other@example.com"}}]}"#
            )
            .decode(IngestRecordsResponse.self).results[0].subject_id!
            let elsewhere = try await client.call(
                .get, "/v1/subjects/\(other)/timeline?limit=1&cursor=\(cursor)", token: h.support,
                purpose: "essential.service.operations.support")
            #expect(elsewhere.status == 400, "a cursor of one subject's timeline is refused on another's")
            let admin = try await client.call(.get, "/v1/subjects/\(id)/timeline", token: h.admin, purpose: "operations").decode(TimelineBody.self)
            #expect(
                admin.events.isEmpty && admin.next_cursor == nil, "admin sees no events, not even that they exist (their count and times are behavioural data)")
            _ = tokens
        }
    }

    @Test("applying a bundle swaps decisions without restart and bumps the version; an invalid one names file and line")
    func applyBundle() async throws {
        let h = try await ServerHarness.make()
        defer { h.temporary.remove() }
        try await h.run(keep: true) { client in
            let id = try await Self.seed(client, h)
            let current = try await client.call(.get, "/v1/policies", token: h.admin).decode(PolicyBody.self)
            #expect(current.version == "v1" && current.files.count == 6)
            var files = current.files
            files["roles.yaml"] = files["roles.yaml"]!.replacingOccurrences(
                of:
                    "      - { category: user.financial.bank_account, action: redact }\n      - { category: user.demographic.date_of_birth, action: generalize, to: year }",
                with:
                    "      - { category: user.financial.bank_account, action: mask, mask: last4 }\n      - { category: user.demographic.date_of_birth, action: generalize, to: year }"
            )
            #expect(files["roles.yaml"] != current.files["roles.yaml"])
            let body = String(decoding: try JSONEncoder().encode(PolicyFilesBody(files: files)), as: UTF8.self)
            let applied = try await client.call(.put, "/v1/policies", token: h.admin, json: body)
            #expect(applied.status == 200, "\(applied.text)")
            let result = try applied.decode(PolicyAppliedBody.self)
            #expect(result.version == "v2" && result.changed && result.diff.keys.sorted() == ["roles.yaml"])
            let view = try await client.call(.get, "/v1/subjects/\(id)", token: h.support, purpose: "essential.service.operations.support").decode(
                SubjectViewBody.self)
            #expect(view.fields["iban"] == "••••3000" && view.policy_version == "v2")
            let same = try await client.call(.put, "/v1/policies", token: h.admin, json: body).decode(PolicyAppliedBody.self)
            #expect(!same.changed && same.version == "v2")

            files["roles.yaml"]! += "  broken:\n    purposes: [essential]\n    rules:\n      - { category: user.name, action: mask, mask: stars }\n"
            let invalid = try await client.call(
                .put, "/v1/policies", token: h.admin,
                json: String(decoding: try JSONEncoder().encode(PolicyFilesBody(files: files)), as: UTF8.self))
            #expect(invalid.status == 422 && invalid.problem?.slug == "invalid-policy")
            let item = try #require(invalid.problem?.errors?.first)
            #expect(item.file == "roles.yaml" && item.line != nil && item.detail?.contains("unknown mask") == true)
            let history = try await client.call(.get, "/v1/policies/history", token: h.admin).decode(PolicyHistoryBody.self)
            #expect(history.versions.map(\.version) == ["v1", "v2"])
            let audit = try await client.call(.get, "/v1/audit?action=policy.apply", token: h.admin).decode(AuditPageBody.self)
            #expect(audit.entries.contains { $0.detail?.contains("v1 → v2") == true && $0.detail?.contains("roles.yaml") == true })
            #expect(try await client.call(.get, "/v1/policies", token: h.support).status == 403)
        }
        // A restart keeps the applied version in force.
        let reopened = try await h.temporary.reopen()
        #expect(reopened.policies.active.label == "v2")
    }
}
