import Foundation
import HTTPTypes
import Testing
import VaultAPI
import VaultServer

/// Every served route × every kind of caller (OWASP API1/API5): who may call it is written
/// down here, independently of the controllers, and every route must be in the table.
@Suite("HTTP: authorization matrix")
struct AuthorizationMatrixTests {
    /// Callers: no token, a revoked token, each shipped role, and two sources' ingest tokens.
    static let roles = ["admin", "compliance", "support", "marketing", "billing", "analytics"]
    static let callers = ["anonymous", "revoked"] + roles + ["ingest:crm", "ingest:billing"]
    /// A purpose each role holds (policies/roles.yaml), sent as X-Purpose on reads.
    static let purposes = [
        "admin": "operations", "compliance": "essential", "support": "essential.service.operations.support",
        "marketing": "marketing.communications.email", "billing": "essential.service.payment_processing",
        "analytics": "analytics.reporting",
    ]
    static let anyRole = Set(roles)

    /// Route → callers allowed. `ingest:crm` routes are called on source crm.
    static let allowed: [String: Set<String>] = [
        "GET /healthz": Set(callers), "GET /readyz": Set(callers), "GET /metrics": Set(callers),
        "POST /v1/sources/{source}/records": ["ingest:crm"],
        "POST /v1/sources/{source}/events": ["ingest:crm"],
        "POST /v1/sources/{source}/consents": ["ingest:crm"],
        "POST /v1/subjects/lookup": ["compliance", "support", "billing"],
        "GET /v1/subjects/{id}": anyRole,
        "GET /v1/subjects/{id}/timeline": anyRole,
        "GET /v1/subjects/{id}/consents": ["compliance", "support", "marketing"],
        "POST /v1/subjects/{id}/consents": ["compliance", "support"],
        "POST /v1/segments/query": anyRole,
        "POST /v1/requests": ["compliance"], "GET /v1/requests": ["compliance"], "GET /v1/requests/{id}": ["compliance"],
        "POST /v1/requests/{id}/verify": ["compliance"], "POST /v1/requests/{id}/execute": ["compliance"],
        "POST /v1/requests/{id}/reject": ["compliance"], "POST /v1/requests/{id}/extend": ["compliance"],
        "POST /v1/requests/{id}/lift": ["compliance"], "GET /v1/requests/{id}/export": ["compliance"],
        "GET /v1/requests/{id}/receipt": ["compliance"],
        "GET /v1/erasures/outbox": ["ingest:crm", "ingest:billing"],
        "POST /v1/erasures/outbox/{id}/ack": ["ingest:crm"],
        "GET /v1/keys": ["admin", "compliance"],
        // Every valid token may ask who it is; anonymous and revoked get 401.
        "GET /v1/whoami": anyRole.union(["ingest:crm", "ingest:billing"]),
        "POST /v1/keys/rotate": ["admin"], "POST /v1/keys/{version}/retire": ["admin"], "POST /v1/subjects/{id}/rotate-key": ["admin"],
        "POST /v1/retention/run": ["admin"], "POST /v1/backups": ["admin"],
        "GET /v1/policies": ["admin"], "PUT /v1/policies": ["admin"], "POST /v1/policies/validate": ["admin"], "GET /v1/policies/history": ["admin"],
        "POST /v1/tokens": ["admin"], "GET /v1/tokens": ["admin"], "DELETE /v1/tokens/{id}": ["admin"],
        "POST /v1/tokens/{id}/approve": ["admin", "compliance"],
        "GET /v1/audit": ["admin", "compliance"], "GET /v1/audit/verify": ["admin", "compliance"],
    ]

    /// Routes on objects owned by one source: another source's token finds nothing (404), so
    /// neither their existence nor their content leaks.
    static let ownedObjects: Set<String> = ["POST /v1/erasures/outbox/{id}/ack"]

    @Test("each route admits exactly the callers in the table; the others get 401 or 403, never data")
    func matrix() async throws {
        let h = try await ServerHarness.make()
        let roleTokens = try await h.roleTokens(["marketing", "billing", "analytics"])
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src"])
        let revoked = try await h.temporary.vault.tokens.create(principal: "gone", kind: .role(.admin), caller: .system("test"))
        _ = try await h.temporary.vault.tokens.revoke(revoked.record.id, caller: .system("test"))
        let tokens: [String: String] = [
            "revoked": revoked.token.unsafeValue, "admin": h.admin, "compliance": h.compliance, "support": h.support,
            "marketing": roleTokens["marketing"]!, "billing": roleTokens["billing"]!, "analytics": roleTokens["analytics"]!,
            "ingest:crm": h.crm, "ingest:billing": h.billing,
        ]
        // Bearer-token routes; the console's cookie sessions are covered by "Console: HTTP".
        let served = Set(
            buildRouter(vault: h.temporary.vault).routes.map { "\($0.method.rawValue) \($0.path)" }
                .map { $0.replacingOccurrences(of: ":", with: "") }.filter { !$0.contains(" /console") })
        try await h.run(lookupsPerMinute: 100_000) { client in
            let subject = try await RequestsHTTPTests.seedPerson(client, h, tokens: extra)
            let policyFiles = String(
                decoding: try JSONEncoder().encode(
                    PolicyFilesBody(files: try await client.call(.get, "/v1/policies", token: h.admin).decode(PolicyBody.self).files)), as: UTF8.self)
            func openRequest() async throws -> String {
                try await client.call(
                    .post, "/v1/requests", token: h.compliance, json: #"{"kind": "access", "regulation": "gdpr", "subject_id": "\#(subject)"}"#
                ).decode(SubjectRequestBody.self).id
            }
            let erasureSubject = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm, json: #"{"records": [{"key": "m-1", "fields": {"email": "matrix@example.com"}}]}"#
            )
            .decode(IngestRecordsResponse.self).results[0].subject_id!
            let erasure = try await client.call(
                .post, "/v1/requests", token: h.compliance, json: #"{"kind": "erasure", "regulation": "gdpr", "subject_id": "\#(erasureSubject)"}"#
            ).decode(SubjectRequestBody.self).id
            _ = try await client.call(.post, "/v1/requests/\(erasure)/verify", token: h.compliance, json: #"{"method": "email_link"}"#)
            _ = try await client.call(.post, "/v1/requests/\(erasure)/execute", token: h.compliance)
            let notice = try await client.call(.get, "/v1/erasures/outbox", token: h.crm).decode(OutboxBody.self).notices[0].id

            var checked = 0
            for route in served.sorted() {
                guard let admitted = Self.allowed[route] else {
                    Issue.record("route missing from the matrix: \(route)")
                    continue
                }
                for caller in Self.callers {
                    let parts = route.split(separator: " ", maxSplits: 1)
                    let method = HTTPRequest.Method(String(parts[0]))!
                    var uri = String(parts[1]).replacingOccurrences(of: "{source}", with: "crm").replacingOccurrences(of: "{version}", with: "1")
                    if uri.contains("/requests/{id}") {
                        uri = uri.replacingOccurrences(of: "{id}", with: route.hasSuffix("/receipt") ? erasure : try await openRequest())
                    }
                    uri = uri.replacingOccurrences(of: "/outbox/{id}", with: "/outbox/\(notice)")
                    uri = uri.replacingOccurrences(of: "/tokens/{id}", with: "/tokens/\(UUID())").replacingOccurrences(of: "{id}", with: subject)
                    let body = Self.body(for: route, policyFiles: policyFiles, subject: subject)
                    let reply = try await client.call(
                        method, uri, token: caller == "anonymous" ? nil : tokens[caller], purpose: Self.purposes[caller], json: body)
                    checked += 1
                    if admitted.contains(caller) {
                        // Admitted by the route; a policy may still refuse the request itself (filter-not-allowed).
                        #expect(
                            reply.status != 401 && !(reply.status == 403 && reply.problem?.slug == "forbidden"),
                            "\(caller) should reach \(route): \(reply.status) \(reply.text.prefix(160))")
                    } else if Self.ownedObjects.contains(route) && caller.hasPrefix("ingest:") {
                        #expect(reply.status == 404, "\(caller) on another source's object \(route): \(reply.status)")
                    } else if caller == "anonymous" || caller == "revoked" {
                        #expect(reply.status == 401, "\(caller) on \(route): \(reply.status)")
                    } else {
                        #expect(reply.status == 403, "\(caller) must not reach \(route): \(reply.status) \(reply.text.prefix(160))")
                    }
                    if reply.status == 401 || reply.status == 403 { #expect(!reply.text.contains("zelda") && !reply.text.contains("Zelda")) }
                }
            }
            #expect(Set(Self.allowed.keys) == served, "matrix rows that are no route: \(Set(Self.allowed.keys).subtracting(served).sorted())")
            print("Authorization matrix: \(served.count) routes × \(Self.callers.count) callers = \(checked) requests")
        }
    }

    static func body(for route: String, policyFiles: String, subject: String) -> String? {
        switch route {
        case "POST /v1/sources/{source}/records": #"{"records": [{"key": "x-1", "fields": {"email": "x1@example.com"}}]}"#
        case "POST /v1/sources/{source}/events": #"{"events": [{"id": "x-e", "key": "x-1", "type": "order", "occurred_at": "2026-01-01T00:00:00Z"}]}"#
        case "POST /v1/sources/{source}/consents": #"{"consents": [{"key": "x-1", "gpc": true}]}"#
        case "POST /v1/subjects/lookup": #"{"identifiers": {"email": "zelda.quist@example.com"}}"#
        case "POST /v1/subjects/{id}/consents": #"{"purpose": "marketing.communications.email", "status": "granted", "lawful_basis": "consent"}"#
        case "POST /v1/segments/query": #"{"filter": {"field": "email", "exists": true}}"#
        case "POST /v1/requests": #"{"kind": "access", "regulation": "gdpr", "subject_id": "\#(subject)"}"#
        case "POST /v1/requests/{id}/verify": #"{"method": "email_link"}"#
        case "POST /v1/requests/{id}/reject", "POST /v1/requests/{id}/extend": #"{"reason": "matrix"}"#
        case "POST /v1/retention/run": #"{"dry_run": true}"#
        case "PUT /v1/policies", "POST /v1/policies/validate": policyFiles
        case "POST /v1/tokens": #"{"principal": "matrix", "role": "support"}"#
        default: nil
        }
    }

    @Test("a restricted subject is hidden from every role but compliance, in views, timelines, consents, segments and lookups")
    func restrictedSubject() async throws {
        let h = try await ServerHarness.make()
        let roleTokens = try await h.roleTokens(["marketing", "billing", "analytics"])
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src"])
        try await h.run { client in
            let subject = try await RequestsHTTPTests.seedPerson(client, h, tokens: extra)
            let request = try await client.call(
                .post, "/v1/requests", token: h.compliance, json: #"{"kind": "restriction", "regulation": "gdpr", "subject_id": "\#(subject)"}"#
            ).decode(SubjectRequestBody.self)
            _ = try await client.call(.post, "/v1/requests/\(request.id)/verify", token: h.compliance, json: #"{"method": "id_document"}"#)
            #expect(try await client.call(.post, "/v1/requests/\(request.id)/execute", token: h.compliance).status == 200)
            let tokens = [
                "admin": h.admin, "compliance": h.compliance, "support": h.support, "marketing": roleTokens["marketing"]!,
                "billing": roleTokens["billing"]!, "analytics": roleTokens["analytics"]!,
            ]
            for (role, token) in tokens {
                let purpose = Self.purposes[role]!
                let view = try await client.call(.get, "/v1/subjects/\(subject)", token: token, purpose: purpose)
                let timeline = try await client.call(.get, "/v1/subjects/\(subject)/timeline", token: token, purpose: purpose)
                let segment = try await client.call(
                    .post, "/v1/segments/query", token: token, purpose: purpose, json: #"{"filter": {"field": "email", "exists": true}}"#)
                let consents = try await client.call(.get, "/v1/subjects/\(subject)/consents", token: token)
                let lookup = try await client.call(.post, "/v1/subjects/lookup", token: token, json: #"{"identifiers": {"email": "zelda.quist@example.com"}}"#)
                if lookup.status == 200 {
                    let ids = try lookup.decode(LookupResponse.self).subject_ids
                    #expect(ids == (role == "compliance" ? [subject] : []), "\(role) lookup: \(ids)")
                }
                if role == "compliance" {
                    #expect(view.status == 200 && timeline.status == 200 && consents.status == 200)
                    #expect(segment.text.contains(subject))
                } else {
                    #expect(view.status == 403 && view.problem?.slug == "subject-restricted", "\(role) view: \(view.status)")
                    #expect(timeline.status == 403, "\(role) timeline: \(timeline.status)")
                    #expect(consents.status == 403, "\(role) consent ledger: \(consents.status)")
                    #expect(!segment.text.contains(subject), "\(role) found the restricted subject in a segment")
                }
            }
        }
    }
}
