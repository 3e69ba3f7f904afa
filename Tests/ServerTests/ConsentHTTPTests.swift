import Foundation
import Testing
import Vault
import VaultAPI

@Suite("HTTP: consents")
struct ConsentHTTPTests {

    @Test("record, show current and history; withdrawal is current on the very next read; evidence only for compliance")
    func recordAndShow() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let id = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: IngestAndViewHTTPTests.annRecord)
                .decode(IngestRecordsResponse.self).results[0].subject_id!
            let grant = try await client.call(
                .post, "/v1/subjects/\(id)/consents", token: h.support,
                json: """
                    {"purpose": "marketing.communications.email", "status": "granted", "lawful_basis": "consent", "jurisdiction": "EU",
                     "channel": "phone", "occurred_at": "2026-03-01T10:00:00Z", "notice_version": "2026-01", "evidence": "call-recording-778"}
                    """)
            #expect(grant.status == 201, "\(grant.text)")
            #expect(try grant.decode(RecordedConsentsBody.self).recorded.first?.evidence == nil, "support doesn't see evidence")
            var shown = try await client.call(.get, "/v1/subjects/\(id)/consents", token: h.compliance).decode(ConsentsBody.self)
            #expect(shown.current.map(\.status) == ["granted"])
            #expect(shown.history.first?.evidence == "call-recording-778")
            let withdraw = try await client.call(
                .post, "/v1/subjects/\(id)/consents", token: h.compliance,
                json: """
                    {"purpose": "marketing.communications.email", "status": "withdrawn", "lawful_basis": "consent"}
                    """)
            #expect(withdraw.status == 201)
            shown = try await client.call(.get, "/v1/subjects/\(id)/consents", token: h.support).decode(ConsentsBody.self)
            #expect(shown.current.map(\.status) == ["withdrawn"])
            #expect(shown.history.count == 2 && shown.history.allSatisfy { $0.evidence == nil })
        }
    }

    @Test("a grant dated ahead of the vault's clock (within the skew) can't outrank a withdrawal recorded after it")
    func grantDatedAhead() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let id = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: IngestAndViewHTTPTests.annRecord)
                .decode(IngestRecordsResponse.self).results[0].subject_id!
            let ahead = Timestamp.format(Date().addingTimeInterval(240))
            let grant = try await client.call(
                .post, "/v1/subjects/\(id)/consents", token: h.support,
                json: """
                    {"purpose": "marketing.communications.email", "status": "granted", "lawful_basis": "consent", "occurred_at": "\(ahead)"}
                    """)
            #expect(grant.status == 201, "\(grant.text)")
            let withdraw = try await client.call(
                .post, "/v1/subjects/\(id)/consents", token: h.compliance,
                json: """
                    {"purpose": "marketing.communications.email", "status": "withdrawn", "lawful_basis": "consent"}
                    """)
            #expect(withdraw.status == 201)
            let shown = try await client.call(.get, "/v1/subjects/\(id)/consents", token: h.compliance).decode(ConsentsBody.self)
            #expect(shown.current.map(\.status) == ["withdrawn"], "the withdrawal, recorded last, is current")
            let tooFar = try await client.call(
                .post, "/v1/subjects/\(id)/consents", token: h.support,
                json: """
                    {"purpose": "marketing.communications.email", "status": "granted", "lawful_basis": "consent",
                     "occurred_at": "\(Timestamp.format(Date().addingTimeInterval(3600)))"}
                    """)
            #expect(tooFar.status == 422, "beyond the skew it is refused")
        }
    }

    @Test("GPC in the body or the Sec-GPC header records denied for sale and sharing")
    func gpc() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let id = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: IngestAndViewHTTPTests.annRecord)
                .decode(IngestRecordsResponse.self).results[0].subject_id!
            let body = try await client.call(.post, "/v1/subjects/\(id)/consents", token: h.compliance, json: #"{"gpc": true, "jurisdiction": "US-CA"}"#)
            #expect(try body.decode(RecordedConsentsBody.self).recorded.map(\.purpose) == ["third_party_sharing", "marketing.advertising"])
            let bulk = try await client.call(
                .post, "/v1/sources/crm/consents", token: h.crm,
                json: #"{"consents": [{"key": "crm-0000042", "purpose": "marketing.communications.email", "status": "granted", "lawful_basis": "consent"}]}"#,
                headers: ["Sec-GPC": "1"])
            #expect(bulk.status == 201)
            #expect(try bulk.decode(BulkConsentsResponse.self).results == [BulkConsentResult(index: 0, subject_id: id, recorded: 3)])
            let shown = try await client.call(.get, "/v1/subjects/\(id)/consents", token: h.compliance).decode(ConsentsBody.self)
            #expect(
                Dictionary(uniqueKeysWithValues: shown.current.map { ($0.purpose, $0.status) }) == [
                    "third_party_sharing": "denied", "marketing.advertising": "denied", "marketing.communications.email": "granted",
                ])
        }
    }

    @Test("bad input is a 4xx naming the member, and nothing is recorded")
    func badInput() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let id = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: IngestAndViewHTTPTests.annRecord)
                .decode(IngestRecordsResponse.self).results[0].subject_id!
            let cases: [(String, String)] = [
                (#"{"purpose": "marketing.telepathy", "status": "granted", "lawful_basis": "consent"}"#, "unknown-purpose"),
                (#"{"purpose": "marketing", "status": "granted", "lawful_basis": "because"}"#, "unknown-lawful-basis"),
                (#"{"purpose": "marketing", "status": "granted", "lawful_basis": "consent", "expires_at": "2020-01-01T00:00:00Z"}"#, "expiry-in-past"),
                (#"{"purpose": "marketing", "status": "maybe", "lawful_basis": "consent"}"#, "invalid-value"),
                (#"{"status": "granted"}"#, "missing-field"),
            ]
            for (body, slug) in cases {
                let reply = try await client.call(.post, "/v1/subjects/\(id)/consents", token: h.compliance, json: body)
                #expect(reply.status == 422, "\(body)")
                let types = reply.problem?.errors?.map { ProblemBody(type: $0.type, title: "", status: 0, detail: nil, request_id: nil).slug } ?? []
                #expect(types.contains(slug), "\(body): \(types)")
            }
            let unknownSubject = try await client.call(
                .post, "/v1/subjects/\(UUID().uuidString)/consents", token: h.compliance,
                json: #"{"purpose": "marketing", "status": "granted", "lawful_basis": "consent"}"#)
            #expect(unknownSubject.status == 404)
            let byMarketing = try await client.call(
                .post, "/v1/subjects/\(id)/consents", token: h.admin,
                json: #"{"purpose": "marketing", "status": "granted", "lawful_basis": "consent"}"#)
            #expect(byMarketing.status == 403)
            let unknownKey = try await client.call(
                .post, "/v1/sources/crm/consents", token: h.crm,
                json: #"{"consents": [{"key": "crm-404", "gpc": true}]}"#)
            #expect(unknownKey.status == 422)
            let shown = try await client.call(.get, "/v1/subjects/\(id)/consents", token: h.compliance).decode(ConsentsBody.self)
            #expect(shown.history.isEmpty, "nothing was recorded")
        }
    }
}
