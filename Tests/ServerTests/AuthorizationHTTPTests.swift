import Foundation
import Testing
import VaultAPI

@Suite("HTTP: tokens and authorization")
struct AuthorizationHTTPTests {
    @Test("no token, a bad token, or two Authorization headers: 401")
    func unauthenticated() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let none = try await client.call(.get, "/v1/tokens")
            #expect(none.status == 401 && none.problem?.slug == "unauthorized")
            let bad = try await client.call(.get, "/v1/tokens", token: "pvt_not-a-real-token")
            #expect(bad.status == 401)
            let health = try await client.call(.get, "/healthz")
            #expect(health.status == 200)
        }
    }

    @Test("an ingest token writes only its own source and reads nothing")
    func ingestScope() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let body = #"{"records": [{"key": "b-1", "fields": {"email": "a@example.com"}}]}"#
            let other = try await client.call(.post, "/v1/sources/billing/records", token: h.crm, json: body)
            #expect(other.status == 403 && other.problem?.slug == "forbidden")
            let own = try await client.call(.post, "/v1/sources/billing/records", token: h.billing, json: body)
            #expect(own.status == 200)
            let read = try await client.call(.post, "/v1/subjects/lookup", token: h.billing, json: #"{"identifiers": {"email": "a@example.com"}}"#)
            #expect(read.status == 403)
            let roleWrite = try await client.call(.post, "/v1/sources/crm/records", token: h.compliance, json: body)
            #expect(roleWrite.status == 403)
        }
    }

    @Test("admin creates, lists and revokes tokens; a revoked token fails on the next request")
    func tokenLifecycle() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let created = try await client.call(.post, "/v1/tokens", token: h.admin, json: #"{"principal": "support-app", "role": "support"}"#)
            #expect(created.status == 201)
            let token = try created.decode(CreatedTokenBody.self)
            #expect(token.token.hasPrefix("pvt_") && token.role == "support")
            let works = try await client.call(.post, "/v1/subjects/lookup", token: token.token, json: #"{"identifiers": {"email": "a@example.com"}}"#)
            #expect(works.status == 200)

            let list = try await client.call(.get, "/v1/tokens", token: h.admin)
            #expect(try list.decode(TokenListBody.self).tokens.contains { $0.id == token.id && $0.revoked_at == nil })
            #expect(!list.text.contains(token.token), "listing never shows tokens")

            #expect(try await client.call(.delete, "/v1/tokens/\(token.id)", token: h.admin).status == 204)
            let revoked = try await client.call(.post, "/v1/subjects/lookup", token: token.token, json: #"{"identifiers": {"email": "a@example.com"}}"#)
            #expect(revoked.status == 401)
            #expect(try await client.call(.delete, "/v1/tokens/\(token.id)", token: h.admin).status == 404)
            #expect(try await client.call(.delete, "/v1/tokens/not-a-uuid", token: h.admin).status == 400)
        }
    }

    @Test("only admin manages tokens; unknown roles and sources are refused")
    func tokenAdmin() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let byCompliance = try await client.call(.post, "/v1/tokens", token: h.compliance, json: #"{"principal": "x", "role": "admin"}"#)
            #expect(byCompliance.status == 403)
            let unknownRole = try await client.call(.post, "/v1/tokens", token: h.admin, json: #"{"principal": "x", "role": "superuser"}"#)
            #expect(unknownRole.status == 422 && unknownRole.problem?.slug == "unknown-role")
            let unknownSource = try await client.call(.post, "/v1/tokens", token: h.admin, json: #"{"principal": "x", "source": "erp"}"#)
            #expect(unknownSource.status == 422 && unknownSource.problem?.slug == "unknown-source")
            let both = try await client.call(.post, "/v1/tokens", token: h.admin, json: #"{"principal": "x", "role": "support", "source": "crm"}"#)
            #expect(both.status == 422)
        }
    }
}

@Suite("HTTP: lookup rate limit")
struct LookupRateLimitTests {
    @Test("lookups beyond the per-principal budget answer 429 with Retry-After; other principals are unaffected")
    func rateLimited() async throws {
        let h = try await ServerHarness.make()
        // 2 a minute: a token comes back only after 30 s, so a test stalled by its parallel
        // neighbours for a few seconds still sees the budget run out.
        try await h.run(lookupsPerMinute: 2) { client in
            let body = #"{"identifiers": {"email": "someone@example.com"}}"#
            for _ in 0..<2 { #expect(try await client.call(.post, "/v1/subjects/lookup", token: h.support, json: body).status == 200) }
            let limited = try await client.call(.post, "/v1/subjects/lookup", token: h.support, json: body)
            #expect(limited.status == 429 && limited.problem?.slug == "rate-limited")
            #expect(try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: body).status == 200)
        }
    }
}
