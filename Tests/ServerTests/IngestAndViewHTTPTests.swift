import Foundation
import Testing
import VaultAPI

@Suite("HTTP: ingest, lookup and views")
struct IngestAndViewHTTPTests {
    static let annRecord = """
        {"records": [{"key": "crm-0000042", "observed_at": "2026-03-01T10:00:00Z",
                      "fields": {"email": " Ann.Lee@Example.com", "phone": "(415) 555-0100",
                                 "first_name": "Ann", "last_name": "Lee"}}]}
        """

    @Test("PRODUCT.md §12: ingest, lookup, and the compliance view with aggregates")
    func endToEnd() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let ingested = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: Self.annRecord)
            #expect(ingested.status == 200)
            let result = try ingested.decode(IngestRecordsResponse.self).results[0]
            #expect(result.outcome == "created" && result.key == "crm-0000042")

            let events = try await client.call(
                .post, "/v1/sources/crm/events", token: h.crm,
                json: """
                    {"events": [{"id": "t-1", "key": "crm-0000042", "type": "ticket", "occurred_at": "2026-03-05T09:00:00Z",
                                 "attributes": {"subject": "Refund", "status": "open"}}]}
                    """)
            #expect(events.status == 200)
            #expect(try events.decode(IngestEventsResponse.self).results == [IngestEventResult(id: "t-1", outcome: "created")])

            let lookup = try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "ANN.LEE@example.com"}}"#)
            #expect(try lookup.decode(LookupResponse.self).subject_ids == [result.subject_id!])

            let view = try await client.call(.get, "/v1/subjects/\(result.subject_id!)", token: h.compliance, purpose: "essential.legal_obligation")
            #expect(view.status == 200)
            let body = try view.decode(SubjectViewBody.self)
            #expect(body.fields == ["email": "ann.lee@example.com", "phone": "+14155550100", "first_name": "Ann", "last_name": "Lee"])
            #expect(body.role == "compliance" && body.purpose == "essential.legal_obligation" && !body.restricted)
            #expect(body.sources == ["crm"])
            #expect(body.aggregates == AggregatesBody(order_count: 0, lifetime_value: 0, open_tickets: 1, last_contact: "2026-03-05T09:00:00Z"))
            #expect(body.policy_version == "v1")
        }
    }

    @Test("admin sees no personal values (separation of duties)")
    func separationOfDuties() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let id = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: Self.annRecord)
                .decode(IngestRecordsResponse.self).results[0].subject_id!
            let admin = try await client.call(.get, "/v1/subjects/\(id)", token: h.admin, purpose: "operations")
            #expect(admin.status == 200)
            let adminView = try admin.decode(SubjectViewBody.self)
            #expect(adminView.fields.isEmpty && adminView.aggregates == nil)
            #expect(!admin.text.contains("ann"))
        }
    }

    @Test("reads need a purpose the role holds")
    func purposes() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let id = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: Self.annRecord)
                .decode(IngestRecordsResponse.self).results[0].subject_id!
            let missing = try await client.call(.get, "/v1/subjects/\(id)", token: h.support)
            #expect(missing.status == 400 && missing.problem?.slug == "purpose-required")
            let notHeld = try await client.call(.get, "/v1/subjects/\(id)", token: h.support, purpose: "marketing.advertising")
            #expect(notHeld.status == 403 && notHeld.problem?.slug == "purpose-not-held")
            let malformed = try await client.call(.get, "/v1/subjects/\(id)", token: h.support, purpose: "Marketing!")
            #expect(malformed.status == 400 && malformed.problem?.slug == "invalid-purpose")
            let notUUID = try await client.call(.get, "/v1/subjects/ann@example.com", token: h.compliance, purpose: "essential")
            #expect(notUUID.status == 400 && notUUID.problem?.slug == "invalid-id")
            let unknown = try await client.call(.get, "/v1/subjects/\(UUID().uuidString)", token: h.compliance, purpose: "essential")
            #expect(unknown.status == 404 && unknown.problem?.slug == "not-found")
        }
    }

    @Test("an invalid batch answers 422 naming index and field, never the value, and stores nothing")
    func invalidBatch() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let reply = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm,
                json: """
                    {"records": [{"key": "a", "fields": {"email": "fine@example.com"}},
                                 {"key": "b", "fields": {"email": "secret-not-an-email"}},
                                 {"key": "c", "fields": {"emial": "x@example.com"}},
                                 {"key": "d", "fields": {"phone": 4155550100}}]}
                    """)
            #expect(reply.status == 422)
            #expect(reply.contentType == "application/problem+json")
            let problem = try #require(reply.problem)
            #expect(problem.slug == "validation-failed")
            #expect(problem.errors?.map(\.index) == [1, 2, 3])
            #expect(problem.errors?.map(\.field) == ["email", "emial", "phone"])
            #expect(
                problem.errors?.map { ProblemBody(type: $0.type, title: "", status: 0, detail: nil, request_id: nil).slug }
                    == ["invalid-value", "unknown-field", "wrong-type"])
            #expect(!reply.text.contains("secret-not-an-email") && !reply.text.contains("fine@example.com"))
            #expect(problem.request_id != nil)
            let lookup = try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "fine@example.com"}}"#)
            #expect(try lookup.decode(LookupResponse.self).subject_ids.isEmpty, "nothing of the refused batch was stored")
        }
    }

    @Test("malformed JSON, oversized batches and oversized bodies are clear 4xx problems")
    func badBodies() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let malformed = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: #"{"records": [{"key": "#)
            #expect(malformed.status == 400 && malformed.problem?.slug == "malformed-json")
            let wrongShape = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: #"{"records": "ann@example.com"}"#)
            #expect(wrongShape.status == 400 && !wrongShape.text.contains("ann@example.com"))
            let records = (0..<51).map { #"{"key": "k\#($0)", "fields": {"email": "p\#($0)@example.com"}}"# }.joined(separator: ",")
            let tooMany = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: #"{"records": [\#(records)]}"#)
            #expect(tooMany.status == 413 && tooMany.problem?.slug == "batch-too-large")
            let huge = String(repeating: "x", count: 9 * 1024 * 1024)
            let tooBig = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: #"{"records": [], "pad": "\#(huge)"}"#)
            #expect(tooBig.status == 413 && tooBig.problem?.slug == "body-too-large", "\(tooBig.status) \(tooBig.text.prefix(300))")
        }
    }
}
