import Foundation
import HTTPTypes
import Testing
import VaultAPI
import VaultModel

/// Bad input of every kind the issue names: each answer is a 4xx problem+json with a
/// documented `type`, never echoes the submitted value, and writes nothing.
@Suite("HTTP: bad input")
struct BadInputHTTPTests {
    /// A value planted in every bad body; it must never come back.
    static let marker = "planted.secret.7731@example.com"

    struct Case: Sendable {
        let name: String
        let method: HTTPRequest.Method
        let uri: String
        var token: Token = .crm
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        let body: Data?
        /// The expected status, when one is specific (else any 4xx).
        var status: Int?
        var slug: String?
    }

    enum Token: Sendable { case crm, compliance, support, admin, none }

    static func json(_ text: String) -> Data { Data(text.utf8) }

    static var cases: [Case] {
        let m = marker
        let record = #"{"key": "k-1", "fields": {"email": "\#(m)"}}"#
        var list: [Case] = [
            Case(
                name: "malformed JSON", method: .post, uri: "/v1/sources/crm/records", body: json(#"{"records": [\#(record)"#), status: 400,
                slug: "malformed-json"),
            Case(name: "not JSON at all", method: .post, uri: "/v1/sources/crm/records", body: json("email=\(m)"), status: 400, slug: "malformed-json"),
            Case(name: "empty body", method: .post, uri: "/v1/sources/crm/records", body: nil, status: 400, slug: "malformed-json"),
            Case(name: "records is a string", method: .post, uri: "/v1/sources/crm/records", body: json(#"{"records": "\#(m)"}"#), status: 400),
            Case(
                name: "field value is a number", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "k-1", "fields": {"email": "\#(m)", "phone": 4155550100}}]}"#), status: 422, slug: "validation-failed"),
            Case(
                name: "key is an object", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": {"k": "\#(m)"}, "fields": {"email": "\#(m)"}}]}"#), status: 422, slug: "validation-failed"),
            Case(
                name: "null fields", method: .post, uri: "/v1/sources/crm/records", body: json(#"{"records": [{"key": "\#(m)", "fields": null}]}"#),
                status: 422, slug: "validation-failed"),
            Case(
                name: "deep nesting", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": "# + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + "}"), status: 400),
            Case(
                name: "deeply nested field value", method: .post, uri: "/v1/sources/crm/records",
                body: json(
                    #"{"records": [{"key": "k", "fields": {"email": "# + String(repeating: #"{"a":"#, count: 5_000) + "1" + String(repeating: "}", count: 5_000)
                        + "}}]}"), status: 400),
            Case(
                name: "huge body", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [\#(record)], "pad": "\#(String(repeating: m, count: 600_000))"}"#), status: 413, slug: "body-too-large"),
            Case(
                name: "huge batch", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [\#(Array(repeating: record, count: 1_001).joined(separator: ","))]}"#), status: 413, slug: "batch-too-large"),
            Case(
                name: "overlong value", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "k-1", "fields": {"email": "\#(m)", "first_name": "\#(String(repeating: "a", count: 50_000))"}}]}"#),
                status: 422, slug: "validation-failed"),
            Case(
                name: "overlong key", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "\#(String(repeating: "k", count: 5_000))", "fields": {"email": "\#(m)"}}]}"#), status: 422,
                slug: "validation-failed"),
            Case(
                name: "invalid UTF-8", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "k-1", "fields": {"email": ""#) + Data([0xff, 0xfe, 0xc3, 0x28]) + json(#"\#(m)"}}]}"#), status: 400,
                slug: "malformed-json"),
            Case(
                name: "NUL and control characters", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "k-1", "fields": {"email": "\#(m)", "first_name": "A\u0000B\u001b[31m"}}]}"#), status: 422),
            Case(
                name: "confusable field name (Cyrillic а)", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "k-1", "fields": {"em\#u{0430}il": "\#(m)"}}]}"#), status: 422, slug: "validation-failed"),
            Case(name: "confusable source (Cyrillic м)", method: .post, uri: "/v1/sources/cr%D0%BC/records", body: json(#"{"records": [\#(record)]}"#)),
            Case(
                name: "unknown field", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "k-1", "fields": {"email": "\#(m)", "shoe_size": "44"}}]}"#), status: 422, slug: "validation-failed"),
            Case(
                name: "unknown member", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "k-1", "fields": {"email": "\#(m)"}, "admin": true}]}"#), status: 422),
            Case(name: "unknown source", method: .post, uri: "/v1/sources/erp/records", body: json(#"{"records": [\#(record)]}"#), status: 403),
            Case(
                name: "bad timestamp", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "k-1", "observed_at": "yesterday", "fields": {"email": "\#(m)"}}]}"#)),
            Case(
                name: "a repeated member", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "k-1", "fields": {"email": "\#(m)", "email": "other@example.com"}}]}"#), status: 400, slug: "malformed-json"),
            Case(
                name: "observed far in the future", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "k-1", "observed_at": "9999-12-31T23:59:59Z", "fields": {"email": "\#(m)"}}]}"#)),
            Case(
                name: "byte-order mark", method: .post, uri: "/v1/sources/crm/records",
                body: Data([0xef, 0xbb, 0xbf]) + json(#"{"records": [\#(record)], "x": 1"#)),
            Case(
                name: "wrong content type", method: .post, uri: "/v1/sources/crm/records", headers: [("Content-Type", "text/plain")],
                body: json(#"{"records": [{"key": "k-1", "fields": {"email": "\#(m)"}}], "bad": "#)),
            Case(
                name: "unknown event type", method: .post, uri: "/v1/sources/crm/events",
                body: json(#"{"events": [{"id": "\#(m)", "key": "k-404", "type": "seance", "occurred_at": "2026-01-01T00:00:00Z"}]}"#), status: 422),
            Case(
                name: "unknown purpose header", method: .get, uri: "/v1/subjects/\(UUID())", token: .support,
                headers: [("X-Purpose", "astrology.\(m)")], body: nil),
            Case(
                name: "two X-Purpose headers", method: .get, uri: "/v1/subjects/\(UUID())", token: .support,
                headers: [("X-Purpose", "essential.service.operations.support"), ("X-Purpose", "marketing.advertising")], body: nil, status: 400),
            Case(
                name: "missing X-Purpose", method: .get, uri: "/v1/subjects/\(UUID())", token: .support, headers: [], body: nil, status: 400,
                slug: "purpose-required"),
            Case(
                name: "two Authorization headers", method: .get, uri: "/v1/tokens", token: .admin, headers: [("Authorization", "Bearer x")], body: nil,
                status: 401),
            Case(
                name: "path id not a UUID", method: .get, uri: "/v1/subjects/\(m)", token: .support,
                headers: [("X-Purpose", "essential.service.operations.support")], body: nil, status: 400, slug: "invalid-id"),
            Case(
                name: "path traversal in id", method: .get, uri: "/v1/requests/..%2F..%2Fetc%2Fpasswd", token: .compliance, headers: [], body: nil, status: 400),
            Case(
                name: "SQL in id", method: .post, uri: "/v1/requests/'%20OR%201=1--/verify", token: .compliance, body: json(#"{"method": "email_link"}"#),
                status: 400),
            Case(
                name: "unknown role in token request", method: .post, uri: "/v1/tokens", token: .admin, body: json(#"{"principal": "\#(m)", "role": "root"}"#),
                status: 422),
            Case(
                name: "unknown purpose in consent", method: .post, uri: "/v1/subjects/\(UUID())/consents", token: .compliance,
                body: json(#"{"purpose": "astrology", "status": "granted", "lawful_basis": "consent", "evidence": "\#(m)"}"#)),
            Case(
                name: "limit huge", method: .get, uri: "/v1/audit?limit=99999999999999999999", token: .compliance, headers: [], body: nil, status: 400,
                slug: "invalid-parameter"),
            Case(
                name: "limit negative", method: .get, uri: "/v1/audit?limit=-5", token: .compliance, headers: [], body: nil, status: 400,
                slug: "invalid-parameter"),
            Case(
                name: "limit not a number", method: .get, uri: "/v1/audit?limit=ten", token: .compliance, headers: [], body: nil, status: 400,
                slug: "invalid-parameter"),
            Case(
                name: "timeline limit huge", method: .get, uri: "/v1/subjects/\(UUID())/timeline?limit=1000000", token: .support,
                headers: [("X-Purpose", "essential.service.operations.support")], body: nil, status: 400),
            Case(
                name: "segment limit huge", method: .post, uri: "/v1/segments/query", token: .compliance,
                headers: [("Content-Type", "application/json"), ("X-Purpose", "essential")],
                body: json(#"{"filter": {"field": "email", "equals": "\#(m)"}, "limit": 100000000}"#), status: 400),
            Case(
                name: "request kind unknown", method: .post, uri: "/v1/requests", token: .compliance,
                body: json(#"{"kind": "forget-me", "regulation": "gdpr", "identifiers": {"email": "\#(m)"}}"#)),
            Case(name: "method not allowed", method: .patch, uri: "/v1/tokens", token: .admin, headers: [], body: nil),
            // Names the client chose are data too: none may come back in the problem.
            Case(
                name: "a field named by a value", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "k-1", "fields": {"\#(m)": "x"}}]}"#), status: 422, slug: "validation-failed"),
            Case(
                name: "a record member named by a value", method: .post, uri: "/v1/sources/crm/records",
                body: json(#"{"records": [{"key": "k-1", "fields": {"email": "a@example.com"}, "\#(m)": 1}]}"#), status: 422, slug: "validation-failed"),
            Case(
                name: "an event member and attribute named by a value", method: .post, uri: "/v1/sources/crm/events",
                body: json(
                    #"{"events": [{"id": "e-1", "key": "k-1", "type": "page_view", "occurred_at": "2026-01-01T00:00:00Z", "\#(m)": 1, "attributes": {"\#(m)": "x"}}]}"#
                ),
                status: 422, slug: "validation-failed"),
            Case(
                name: "a lookup identifier named by a value", method: .post, uri: "/v1/subjects/lookup", token: .compliance,
                body: json(#"{"identifiers": {"\#(m)": "x"}}"#), status: 422, slug: "validation-failed"),
            Case(
                name: "a dictionary key in a decoding path", method: .put, uri: "/v1/policies", token: .admin,
                body: json(#"{"files": {"\#(m)": 5}}"#), status: 400, slug: "malformed-json"),
        ]
        // Unicode forms of a number where a number is expected.
        list.append(
            Case(name: "fullwidth digits as limit", method: .get, uri: "/v1/audit?limit=%EF%BC%95", token: .compliance, headers: [], body: nil, status: 400))
        return list
    }

    @Test("every bad input: 4xx problem+json with a documented type, no echo, nothing written")
    func badInputs() async throws {
        let h = try await ServerHarness.make()
        let document = try OpenAPIDocument()
        let (problemSlugs, itemSlugs) = (document.problemSlugs, document.errorItemSlugs)
        try await h.run { client in
            let before = try await h.temporary.vault.subjects.count()
            for bad in Self.cases {
                let token: String? =
                    switch bad.token {
                    case .crm: h.crm
                    case .compliance: h.compliance
                    case .support: h.support
                    case .admin: h.admin
                    case .none: nil
                    }
                let headers = (token.map { [("Authorization", "Bearer \($0)")] } ?? []) + bad.headers
                let reply = try await client.send(bad.method, bad.uri, headers: headers, body: bad.body)
                #expect((400..<500).contains(reply.status), "\(bad.name): \(reply.status)")
                if let status = bad.status { #expect(reply.status == status, "\(bad.name): \(reply.status) \(reply.text.prefix(300))") }
                #expect(reply.contentType == "application/problem+json", "\(bad.name)")
                let problem = try #require(reply.problem, "\(bad.name)")
                #expect(problemSlugs.contains(problem.slug), "\(bad.name): undocumented type \(problem.slug)")
                if let slug = bad.slug { #expect(problem.slug == slug, "\(bad.name): \(problem.slug)") }
                for item in problem.errors ?? [] {
                    #expect(itemSlugs.contains(String(item.type.split(separator: "/").last ?? "")), "\(bad.name): undocumented item \(item.type)")
                }
                #expect(!reply.text.contains(Self.marker) && !reply.text.contains("planted"), "\(bad.name) echoed the value")
            }
            #expect(try await h.temporary.vault.subjects.count() == before, "a bad batch wrote something")
            let lookup = try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "\#(Self.marker)"}}"#)
            #expect(try lookup.decode(LookupResponse.self).subject_ids.isEmpty)
            let health = try await client.call(.get, "/readyz")
            #expect(health.status == 200, "still serving")
        }
        print("Bad input: \(Self.cases.count) cases, each a documented 4xx")
    }

    @Test("an unknown name close to a catalog name comes back as a suggestion; any other is left out")
    func unknownNameSuggestions() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let reply = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm,
                json: #"{"records": [{"key": "k-1", "fields": {"emial": "a@example.com", "zq.canary@example.test": "x"}}]}"#)
            #expect(reply.status == 422)
            let items = try #require(reply.problem?.errors)
            #expect(items.count == 2)
            #expect(items.contains { $0.field == "emial" && ($0.detail ?? "").contains("did you mean email?") }, "\(items)")
            #expect(items.contains { $0.field == nil && $0.index == 0 }, "\(items)")
            #expect(!reply.text.contains("canary"))

            let created = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm, json: #"{"records": [{"key": "k-2", "fields": {"email": "b@example.com"}}]}"#)
            let id = try #require(try created.decode(IngestRecordsResponse.self).results[0].subject_id)
            let rectification = try await client.call(
                .post, "/v1/requests", token: h.compliance,
                json:
                    #"{"kind": "rectification", "regulation": "gdpr", "subject_id": "\#(id)", "fields": {"zq.canary@example.test": "x", "emial": "c@example.com"}}"#
            )
            #expect(rectification.status == 422, "\(rectification.text)")
            #expect(rectification.problem?.errors?.contains { $0.field == "emial" } == true)
            #expect(!rectification.text.contains("canary"))
        }
    }

    @Test("Unicode forms: NFD, NFC and fullwidth spellings are one identifier; confusables are not merged")
    func unicodeForms() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let nfc = "jos\u{e9}.m\u{fc}ller@example.com"
            let nfd = "jose\u{301}.mu\u{308}ller@example.com"
            #expect(Array(nfc.unicodeScalars) != Array(nfd.unicodeScalars), "two spellings")
            let created = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm,
                json: #"{"records": [{"key": "u-1", "fields": {"email": "\#(nfc)", "customer_id": "C-\#u{e9}"}}]}"#)
            let id = try created.decode(IngestRecordsResponse.self).results[0].subject_id
            let linked = try await client.call(
                .post, "/v1/sources/billing/records", token: h.billing,
                json: #"{"records": [{"key": "b-1", "fields": {"email": "\#(nfd)"}}]}"#
            ).decode(IngestRecordsResponse.self).results[0]
            #expect(linked.subject_id == id && linked.outcome == "linked")
            let byID = try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"customer_id": "C-e\#u{301}"}}"#)
            #expect(try byID.decode(LookupResponse.self).subject_ids == [id!])
            // Fullwidth letters are the same text (NFKC width mapping): one identifier.
            let fullwidth = try await client.call(
                .post, "/v1/subjects/lookup", token: h.compliance,
                json: #"{"identifiers": {"email": "\#u{ff4a}os\#u{e9}.m\#u{fc}ller@\#u{ff45}xample.com"}}"#)
            #expect(try fullwidth.decode(LookupResponse.self).subject_ids == [id!])
            // Cyrillic "е" looks alike but is another letter: no merge.
            let lookalike = "jos\u{e9}.m\u{fc}ll\u{435}r@example.com"
            let other = try await client.call(
                .post, "/v1/sources/billing/records", token: h.billing,
                json: #"{"records": [{"key": "b-cyr", "fields": {"email": "\#(lookalike)"}}]}"#)
            #expect(other.status == 200)
            #expect(try other.decode(IngestRecordsResponse.self).results[0].subject_id != id, "a look-alike merged into the person")
        }
    }

    @Test(
        "after an erasure, invisible or direction characters are refused and width variants stay suppressed",
        arguments: ["\u{200B}", "\u{200D}", "\u{202E}", "\u{00AD}", "\u{2066}", "\u{FE0F}"])
    func erasedIdentifierVariants(_ invisible: String) async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let created = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm,
                json: #"{"records": [{"key": "e-1", "fields": {"email": "erased.person@example.com", "phone": "+14155550188"}}]}"#)
            let id = try #require(try created.decode(IngestRecordsResponse.self).results[0].subject_id)
            let opened = try await client.call(
                .post, "/v1/requests", token: h.compliance, json: #"{"kind": "erasure", "regulation": "gdpr", "subject_id": "\#(id)"}"#)
            let request = try opened.decode(SubjectRequestBody.self)
            _ = try await client.call(.post, "/v1/requests/\(request.id)/verify", token: h.compliance, json: #"{"method": "email_link"}"#)
            #expect(try await client.call(.post, "/v1/requests/\(request.id)/execute", token: h.compliance).status == 200)

            let hidden = "erased.\(invisible)person@example.com"
            let refused = try await client.call(
                .post, "/v1/sources/billing/records", token: h.billing,
                json: #"{"records": [{"key": "w-1", "fields": {"email": "\#(hidden)"}}]}"#)
            #expect(refused.status == 422, "\(refused.text)")
            #expect(refused.problem?.errors?.first?.field == "email")
            let wide = try await client.call(
                .post, "/v1/sources/billing/records", token: h.billing,
                json: #"{"records": [{"key": "w-2", "fields": {"email": "erased.person@\#u{ff45}\#u{ff58}ample.com"}}]}"#)
            #expect(try wide.decode(IngestRecordsResponse.self).results[0].outcome == "suppressed", "\(wide.text)")
            let widePhone = try await client.call(
                .post, "/v1/sources/billing/records", token: h.billing,
                json: #"{"records": [{"key": "w-3", "fields": {"phone": "\#u{ff0b}\#u{ff11}4155550188"}}]}"#)
            #expect(try widePhone.decode(IngestRecordsResponse.self).results[0].outcome == "suppressed", "\(widePhone.text)")
            #expect(try await h.temporary.vault.subjects.count() == 0)
        }
    }
}
