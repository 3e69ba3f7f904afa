import Foundation
import HummingbirdTesting
import Testing
import VaultAPI

@Suite("HTTP: segment queries")
struct SegmentHTTPTests {
    static func people(_ client: any TestClientProtocol, _ h: ServerHarness) async throws -> [String: String] {
        let records = [
            ("crm-1", "ann@example.com", "Denver", "1985-02-01"), ("crm-2", "bob@example.com", "Denver", "1995-06-15"),
            ("crm-3", "cid@example.com", "Boston", "1982-11-30"), ("crm-4", "dee@example.com", "Austin", "1979-01-01"),
        ].map { #"{"key": "\#($0.0)", "fields": {"email": "\#($0.1)", "city": "\#($0.2)", "birth_date": "\#($0.3)", "first_name": "P"}}"# }
        let reply = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: #"{"records": [\#(records.joined(separator: ","))]}"#)
        let results = try reply.decode(IngestRecordsResponse.self).results
        return Dictionary(uniqueKeysWithValues: results.map { ($0.key, $0.subject_id!) })
    }

    static func lines(_ reply: Reply) throws -> [SubjectViewBody] {
        try reply.text.split(separator: "\n").map { try JSONDecoder().decode(SubjectViewBody.self, from: Data($0.utf8)) }
    }

    @Test("equality on an identifier through blind indexes, combined with a range on decrypted values")
    func indexedAndRange() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let ids = try await Self.people(client, h)
            let byEmail = try await client.call(
                .post, "/v1/segments/query", token: h.compliance, purpose: "essential.legal_obligation",
                json: #"{"filter": {"field": "email", "in": ["ANN@example.com", " bob@example.com"]}}"#)
            #expect(byEmail.status == 200 && byEmail.contentType == "application/x-ndjson")
            #expect(Set(try Self.lines(byEmail).map(\.subject_id)) == [ids["crm-1"]!, ids["crm-2"]!])
            let combined = try await client.call(
                .post, "/v1/segments/query", token: h.compliance, purpose: "essential",
                json: #"{"filter": {"and": [{"field": "city", "equals": "Denver"}, {"field": "birth_date", "range": {"lt": "1990-01-01"}}]}}"#)
            #expect(try Self.lines(combined).map(\.subject_id) == [ids["crm-1"]!])
            let either = try await client.call(
                .post, "/v1/segments/query", token: h.support, purpose: "essential.service.operations.support",
                json: #"{"filter": {"or": [{"field": "city", "equals": "Boston"}, {"field": "city", "equals": "Austin"}]}, "limit": 10}"#)
            let views = try Self.lines(either)
            #expect(Set(views.map(\.subject_id)) == [ids["crm-3"]!, ids["crm-4"]!])
            #expect(views.allSatisfy { $0.role == "support" && $0.fields["birth_date"]?.count == 4 }, "each line is the role's redacted view")
            let recorded = try await client.call(.get, "/v1/audit?request_id=\(either.requestID!)", token: h.admin).decode(AuditPageBody.self).entries
            let disclosed = Set(views.flatMap(\.fields.keys))
            #expect(
                recorded.count == 1 && disclosed.isSubset(of: Set(recorded[0].fields)) && disclosed.count > 1,
                "the audit entry names every field disclosed, not only the filter's: \(recorded.first?.fields ?? [])")
        }
    }

    @Test("consent for the purpose is required outside essential purposes")
    func consentRequired() async throws {
        let h = try await ServerHarness.make()
        let tokens = try await h.roleTokens(["marketing"])
        try await h.run { client in
            let ids = try await Self.people(client, h)
            let query = #"{"filter": {"field": "first_name", "equals": "P"}}"#
            var reply = try await client.call(.post, "/v1/segments/query", token: tokens["marketing"]!, purpose: "marketing.communications.email", json: query)
            #expect(reply.status == 200 && reply.text.isEmpty, "nobody consented yet")
            _ = try await client.call(
                .post, "/v1/subjects/\(ids["crm-2"]!)/consents", token: h.support,
                json: #"{"purpose": "marketing.communications.email", "status": "granted", "lawful_basis": "consent"}"#)
            reply = try await client.call(.post, "/v1/segments/query", token: tokens["marketing"]!, purpose: "marketing.communications.email", json: query)
            let views = try Self.lines(reply)
            #expect(views.map(\.subject_id) == [ids["crm-2"]!] && views[0].fields["email"] == "bob@example.com")
        }
    }

    @Test("a role can't filter on what it can't see, and bad filters are 4xx")
    func refusals() async throws {
        let h = try await ServerHarness.make()
        let tokens = try await h.roleTokens(["marketing"])
        try await h.run { client in
            _ = try await Self.people(client, h)
            let hidden = try await client.call(
                .post, "/v1/segments/query", token: tokens["marketing"]!, purpose: "marketing.communications.email",
                json: #"{"filter": {"field": "birth_date", "range": {"gte": "1980-01-01"}}}"#)
            #expect(hidden.status == 403 && hidden.problem?.slug == "filter-not-allowed")
            let hiddenEntry = try await client.call(.get, "/v1/audit?request_id=\(hidden.requestID!)", token: h.admin).decode(AuditPageBody.self).entries
            #expect(hiddenEntry.map(\.action) == ["access.denied"] && hiddenEntry.first?.outcome == "denied", "a refused filter is audited once")
            let unknown = try await client.call(
                .post, "/v1/segments/query", token: h.compliance, purpose: "essential",
                json: #"{"filter": {"field": "shoe_size", "equals": "42"}}"#)
            #expect(unknown.status == 422)
            let malformed = try await client.call(
                .post, "/v1/segments/query", token: h.compliance, purpose: "essential",
                json: #"{"filter": {"field": "email", "equals": "not-an-email"}}"#)
            #expect(malformed.status == 422 && !malformed.text.contains("not-an-email"))
            var deep = #"{"field": "city", "equals": "Denver"}"#
            for _ in 0..<10 { deep = #"{"and": [\#(deep)]}"# }
            let tooDeep = try await client.call(.post, "/v1/segments/query", token: h.compliance, purpose: "essential", json: #"{"filter": \#(deep)}"#)
            #expect(tooDeep.status == 422)
            let noPurpose = try await client.call(.post, "/v1/segments/query", token: h.compliance, json: #"{"filter": {"field": "city", "exists": true}}"#)
            #expect(noPurpose.status == 400)
            let notHeld = try await client.call(
                .post, "/v1/segments/query", token: tokens["marketing"]!, purpose: "essential.service.payment_processing",
                json: #"{"filter": {"field": "city", "exists": true}}"#)
            #expect(notHeld.status == 403 && notHeld.problem?.slug == "purpose-not-held")
            let recorded = try await client.call(.get, "/v1/audit?request_id=\(notHeld.requestID!)", token: h.admin).decode(AuditPageBody.self).entries
            #expect(recorded.map(\.action) == ["segment.query"] && recorded.first?.outcome == "denied", "a refused segment query is audited")
        }
    }
}
