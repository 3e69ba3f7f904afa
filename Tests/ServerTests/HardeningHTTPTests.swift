import Foundation
import HummingbirdTesting
import Testing
import VaultAPI

/// The low-severity findings of the security review (issue 22), each refused over HTTP.
@Suite("HTTP: hardening")
struct HardeningHTTPTests {
    static let record = #"{"records": [{"key": "crm-1", "fields": {"email": "ann@example.com", "city": "Denver"}}]}"#

    @Test("a purpose the catalog doesn't define is refused, on views and segment queries, even under a defined one")
    func inventedSubPurposeRefused() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let id = try #require(
                try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: Self.record)
                    .decode(IngestRecordsResponse.self).results[0].subject_id)
            let defined = try await client.call(.get, "/v1/subjects/\(id)", token: h.support, purpose: "essential.service.operations.support")
            #expect(defined.status == 200)
            for invented in ["essential.service.operations.support.zz_x", "marketing.nonsense"] {
                let view = try await client.call(.get, "/v1/subjects/\(id)", token: h.support, purpose: invented)
                #expect(view.status == 400 && view.problem?.slug == "invalid-purpose", "\(invented): \(view.status)")
                let segment = try await client.call(
                    .post, "/v1/segments/query", token: h.compliance, purpose: invented,
                    json: #"{"filter": {"field": "city", "equals": "Denver"}}"#)
                #expect(segment.status == 400 && segment.problem?.slug == "invalid-purpose")
            }
            let audit = try await client.call(.get, "/v1/audit?action=subject.view", token: h.admin).decode(AuditPageBody.self)
            #expect(!audit.entries.contains { $0.purpose?.hasSuffix("zz_x") == true }, "nothing is audited under an invented purpose")
        }
    }

    @Test(
        "a principal name with a direction override or an invisible character is refused",
        arguments: ["\u{202E}nimda", "ad\u{200B}min", "x\u{2066}y", "a\u{200E}"])
    func principalNameRefused(name: String) async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let body = String(decoding: try JSONEncoder().encode(CreateTokenRequest(principal: name, role: "support", source: nil)), as: UTF8.self)
            let reply = try await client.call(.post, "/v1/tokens", token: h.admin, json: body)
            #expect(reply.status == 422 && reply.problem?.slug == "invalid-value", "\(reply.status)")
        }
    }

    @Test("the access export of a person erased since answers 410 subject-erased, not an empty package")
    func exportAfterErasureGone() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let id = try #require(
                try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: Self.record)
                    .decode(IngestRecordsResponse.self).results[0].subject_id)
            func run(_ kind: String) async throws -> String {
                let opened = try await client.call(
                    .post, "/v1/requests", token: h.compliance, json: #"{"kind": "\#(kind)", "regulation": "gdpr", "subject_id": "\#(id)"}"#)
                let request = try opened.decode(SubjectRequestBody.self)
                _ = try await client.call(.post, "/v1/requests/\(request.id)/verify", token: h.compliance, json: #"{"method": "email_link"}"#)
                #expect(try await client.call(.post, "/v1/requests/\(request.id)/execute", token: h.compliance).status == 200)
                return request.id
            }
            let access = try await run("access")
            #expect(try await client.call(.get, "/v1/requests/\(access)/export", token: h.compliance).status == 200)
            _ = try await run("erasure")
            let gone = try await client.call(.get, "/v1/requests/\(access)/export", token: h.compliance)
            #expect(gone.status == 410 && gone.problem?.slug == "subject-erased", "\(gone.status) \(gone.text)")
        }
    }

    @Test("segment queries draw on the lookup allowance: the limit can't be sidestepped through them")
    func segmentQueriesRateLimited() async throws {
        let h = try await ServerHarness.make()
        try await h.run(lookupsPerMinute: 2) { client in
            _ = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: Self.record)
            var statuses: [Int] = []
            for _ in 0..<3 {
                statuses.append(
                    try await client.call(
                        .post, "/v1/segments/query", token: h.compliance, purpose: "essential.legal_obligation",
                        json: #"{"filter": {"field": "city", "equals": "Denver"}}"#
                    ).status)
            }
            #expect(statuses == [200, 200, 429])
            let lookup = try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "ann@example.com"}}"#)
            #expect(lookup.status == 429, "one allowance for both")
        }
    }
}
