import Foundation
import HTTPTypes
import Testing
import VaultAPI
import VaultModel

/// Every exchange of a tour through the whole API is checked against `openapi.yaml`: the
/// route and method are documented, the status is listed for that operation, the body
/// conforms to the documented schema of that status. The tour must reach every documented
/// operation and every documented success status.
@Suite("OpenAPI conformance of live responses")
struct OpenAPIConformanceTests {
    struct Exchange: Sendable {
        let method: String
        let uri: String
        let reply: Reply
    }

    actor Recorder {
        var exchanges: [Exchange] = []
        func add(_ exchange: Exchange) { exchanges.append(exchange) }
    }

    @Test("each status and body of a tour over all operations matches the document")
    func tour() async throws {
        // Dual control, so the tour reaches token approval (the harness's own tokens are the vault's).
        let h = try await ServerHarness.make(dualControl: true)
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src"])
        let roles = try await h.roleTokens(["marketing", "compliance"])
        let recorder = Recorder()
        try await h.run(lookupsPerMinute: 30) { client in
            @discardableResult
            func call(_ method: HTTPMethodName, _ uri: String, _ token: String? = nil, purpose: String? = nil, json: String? = nil) async throws -> Reply {
                let reply = try await client.call(method.method, uri, token: token, purpose: purpose, json: json)
                await recorder.add(Exchange(method: method.rawValue, uri: uri, reply: reply))
                return reply
            }
            // Health and metrics.
            try await call(.get, "/healthz")
            try await call(.get, "/readyz")
            try await call(.get, "/metrics")
            // Ingest, events, bad input on the same routes.
            let id = try await RequestsHTTPTests.seedPerson(client, h, tokens: extra)
            try await call(.post, "/v1/sources/crm/records", h.crm, json: IngestAndViewHTTPTests.annRecord)
            try await call(.post, "/v1/sources/crm/records", h.crm, json: #"{"records": [{"key": "#)
            try await call(.post, "/v1/sources/crm/records", h.crm, json: #"{"records": [{"key": "k", "fields": {"shoe_size": "44"}}]}"#)
            try await call(.post, "/v1/sources/erp/records", h.crm, json: #"{"records": []}"#)
            try await call(.post, "/v1/sources/crm/records", nil, json: #"{"records": []}"#)
            try await call(.post, "/v1/sources/crm/records", h.crm, json: #"{"records": [], "pad": "\#(String(repeating: "x", count: 2_000_000))"}"#)
            try await call(
                .post, "/v1/sources/crm/events", h.crm,
                json: #"{"events": [{"id": "e-1", "key": "crm-0000042", "type": "ticket", "occurred_at": "2026-03-05T09:00:00Z"}]}"#)
            try await call(
                .post, "/v1/sources/crm/events", h.crm,
                json: #"{"events": [{"id": "e-2", "key": "crm-0000042", "type": "séance", "occurred_at": "2026-03-05T09:00:00Z"}]}"#)
            try await call(.post, "/v1/sources/crm/events", h.billing, json: #"{"events": []}"#)
            // Reads.
            try await call(.post, "/v1/subjects/lookup", h.compliance, json: #"{"identifiers": {"email": "zelda.quist@example.com"}}"#)
            try await call(.post, "/v1/subjects/lookup", h.compliance, json: #"{"identifiers": {"first_name": "Zelda"}}"#)
            try await call(.get, "/v1/subjects/\(id)", h.support, purpose: "essential.service.operations.support")
            try await call(.get, "/v1/subjects/\(id)?explain=true", h.compliance, purpose: "essential")
            try await call(.get, "/v1/subjects/\(id)", h.support)
            try await call(.get, "/v1/subjects/\(id)", h.support, purpose: "marketing.advertising")
            try await call(.get, "/v1/subjects/\(UUID())", h.compliance, purpose: "essential")
            try await call(.get, "/v1/subjects/not-a-uuid", h.compliance, purpose: "essential")
            try await call(.get, "/v1/subjects/\(id)/timeline", h.support, purpose: "essential.service.operations.support")
            try await call(.get, "/v1/subjects/\(id)/timeline?limit=0", h.support, purpose: "essential.service.operations.support")
            try await call(.get, "/v1/subjects/\(id)/consents", h.compliance)
            try await call(
                .post, "/v1/subjects/\(id)/consents", h.compliance,
                json: #"{"purpose": "marketing.communications.email", "status": "withdrawn", "lawful_basis": "consent"}"#)
            try await call(
                .post, "/v1/subjects/\(id)/consents", h.compliance, json: #"{"purpose": "astrology", "status": "granted", "lawful_basis": "consent"}"#)
            try await call(.post, "/v1/sources/crm/consents", h.crm, json: #"{"consents": [{"key": "crm-0000042", "gpc": true}]}"#)
            try await call(.post, "/v1/sources/crm/consents", h.crm, json: #"{"consents": [{"key": "crm-404", "gpc": true}]}"#)
            try await call(.post, "/v1/segments/query", h.compliance, purpose: "essential", json: #"{"filter": {"field": "city", "exists": true}}"#)
            try await call(
                .post, "/v1/segments/query", roles["marketing"]!, purpose: "marketing.communications.email",
                json: #"{"filter": {"field": "iban", "exists": true}}"#)
            try await call(.post, "/v1/segments/query", h.compliance, purpose: "essential", json: #"{"filter": {"field": "city", "exists": true}, "limit": 0}"#)
            // Requests: access (export), erasure (receipt, outbox), restriction (lift), reject, extend.
            let access = try await call(.post, "/v1/requests", h.compliance, json: #"{"kind": "access", "regulation": "gdpr", "subject_id": "\#(id)"}"#).decode(
                SubjectRequestBody.self)
            try await call(.get, "/v1/requests/\(access.id)/export", h.compliance)
            try await call(.post, "/v1/requests/\(access.id)/execute", h.compliance)
            try await call(.post, "/v1/requests/\(access.id)/verify", h.compliance, json: #"{"method": "id_document"}"#)
            try await call(.post, "/v1/requests/\(access.id)/execute", h.compliance)
            try await call(.get, "/v1/requests/\(access.id)/export", h.compliance)
            try await call(.get, "/v1/requests/\(access.id)", h.compliance)
            try await call(.get, "/v1/requests", h.compliance)
            try await call(.get, "/v1/requests?status=completed&kind=access", h.compliance)
            try await call(.get, "/v1/requests?status=sleeping", h.compliance)
            try await call(.get, "/v1/requests/\(UUID())", h.compliance)
            try await call(.get, "/v1/requests/123", h.compliance)
            try await call(.post, "/v1/requests", h.compliance, json: #"{"kind": "forget-me", "regulation": "gdpr", "subject_id": "\#(id)"}"#)
            try await call(.post, "/v1/requests", h.compliance, json: #"{"kind": "erasure", "regulation": "gdpr", "subject_id": "\#(UUID())"}"#)
            let restriction = try await call(
                .post, "/v1/requests", h.compliance, json: #"{"kind": "restriction", "regulation": "gdpr", "subject_id": "\#(id)"}"#
            ).decode(SubjectRequestBody.self)
            try await call(.post, "/v1/requests/\(restriction.id)/lift", h.compliance)
            try await call(.post, "/v1/requests/\(restriction.id)/verify", h.compliance, json: #"{"method": "id_document"}"#)
            try await call(.post, "/v1/requests/\(restriction.id)/execute", h.compliance)
            try await call(.post, "/v1/requests/\(restriction.id)/lift", h.compliance)
            let rejected = try await call(.post, "/v1/requests", h.compliance, json: #"{"kind": "access", "regulation": "ccpa", "subject_id": "\#(id)"}"#)
                .decode(SubjectRequestBody.self)
            try await call(.post, "/v1/requests/\(rejected.id)/extend", h.compliance, json: #"{"reason": "many sources to search"}"#)
            try await call(.post, "/v1/requests/\(rejected.id)/extend", h.compliance, json: #"{"reason": "again"}"#)
            try await call(.post, "/v1/requests/\(rejected.id)/reject", h.compliance, json: #"{"reason": "identity could not be verified"}"#)
            try await call(.post, "/v1/requests/\(rejected.id)/reject", h.compliance, json: #"{"reason": "twice"}"#)
            let erasure = try await call(.post, "/v1/requests", h.compliance, json: #"{"kind": "erasure", "regulation": "gdpr", "subject_id": "\#(id)"}"#)
                .decode(SubjectRequestBody.self)
            try await call(.get, "/v1/requests/\(erasure.id)/receipt", h.compliance)
            try await call(.post, "/v1/requests/\(erasure.id)/verify", h.compliance, json: #"{"method": "account_login"}"#)
            try await call(.post, "/v1/requests/\(erasure.id)/execute", h.compliance)
            try await call(.get, "/v1/requests/\(erasure.id)/receipt", h.compliance)
            let outbox = try await call(.get, "/v1/erasures/outbox", h.crm).decode(OutboxBody.self)
            try await call(.post, "/v1/erasures/outbox/\(outbox.notices[0].id)/ack", h.crm)
            try await call(.post, "/v1/erasures/outbox/\(outbox.notices[0].id)/ack", h.crm)
            try await call(.post, "/v1/erasures/outbox/nope/ack", h.crm)
            try await call(.get, "/v1/erasures/outbox", h.compliance)
            // Keys, retention, backups.
            try await call(.get, "/v1/keys", h.admin)
            try await call(.get, "/v1/whoami", h.support)
            try await call(.post, "/v1/retention/run", h.admin, json: #"{"dry_run": true}"#)
            try await call(.post, "/v1/retention/run", h.admin, json: #"{"dry_run": "yes"}"#)
            try await call(.post, "/v1/backups", h.admin)
            let other = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: PolicyHTTPTests.record).decode(IngestRecordsResponse.self)
                .results[0].subject_id!
            try await call(.post, "/v1/subjects/\(other)/rotate-key", h.admin)
            try await call(.post, "/v1/subjects/\(UUID())/rotate-key", h.admin)
            try await call(.post, "/v1/subjects/x/rotate-key", h.admin)
            try await call(.post, "/v1/keys/rotate", h.admin)
            try await call(.post, "/v1/keys/1/retire", h.admin)  // 409: still in use
            while try await h.temporary.vault.rotation.rewrapBatch() > 0 {}
            try await call(.post, "/v1/keys/1/retire", h.admin)
            try await call(.post, "/v1/keys/x/retire", h.admin)
            try await call(.post, "/v1/keys/99/retire", h.admin)
            try await call(.post, "/v1/keys/rotate", h.support)
            // Policies.
            let current = try await call(.get, "/v1/policies", h.admin).decode(PolicyBody.self)
            let files = String(decoding: try JSONEncoder().encode(PolicyFilesBody(files: current.files)), as: UTF8.self)
            var broken = current.files
            broken["roles.yaml"] = "roles: [unclosed"
            let brokenFiles = String(decoding: try JSONEncoder().encode(PolicyFilesBody(files: broken)), as: UTF8.self)
            try await call(.post, "/v1/policies/validate", h.admin, json: files)
            try await call(.post, "/v1/policies/validate", h.admin, json: brokenFiles)
            try await call(.put, "/v1/policies", h.admin, json: files)
            try await call(.put, "/v1/policies", h.admin, json: brokenFiles)
            try await call(.get, "/v1/policies/history", h.admin)
            try await call(.get, "/v1/policies", h.support)
            // Tokens.
            let token = try await call(.post, "/v1/tokens", h.admin, json: #"{"principal": "p", "role": "support"}"#).decode(CreatedTokenBody.self)
            try await call(.post, "/v1/tokens/\(token.id)/approve", h.compliance)  // its creator's principal: 403
            try await call(.post, "/v1/tokens/\(token.id)/approve", roles["compliance"]!)
            try await call(.post, "/v1/tokens/\(token.id)/approve", roles["compliance"]!)  // approved already: 404
            try await call(.post, "/v1/tokens/nope/approve", roles["compliance"]!)
            try await call(.post, "/v1/tokens", h.admin, json: #"{"principal": "x", "role": "superuser"}"#)
            try await call(.post, "/v1/tokens", h.admin, json: "[]")
            try await call(.get, "/v1/tokens", h.admin)
            try await call(.delete, "/v1/tokens/\(token.id)", h.admin)
            try await call(.delete, "/v1/tokens/\(token.id)", h.admin)
            try await call(.delete, "/v1/tokens/nope", h.admin)
            try await call(.get, "/v1/tokens", token.token)
            // Audit.
            try await call(.get, "/v1/audit?limit=5", h.compliance)
            try await call(.get, "/v1/audit?limit=-1", h.compliance)
            try await call(.get, "/v1/audit/verify", h.admin)
            try await call(.get, "/v1/audit/verify", h.support)
            // Rate limit last: it exhausts the lookups of the harness principal (30 a minute here).
            for _ in 0..<31 { try await call(.post, "/v1/subjects/lookup", h.support, json: #"{"identifiers": {"email": "a@example.com"}}"#) }
        }

        let document = try OpenAPIDocument()
        let validator = SchemaValidator(document: document)
        let exchanges = await recorder.exchanges
        var reached: Set<OpenAPIDocument.Operation> = []
        var statusesSeen: [OpenAPIDocument.Operation: Set<Int>] = [:]
        for exchange in exchanges {
            let label = "\(exchange.method) \(exchange.uri.prefix(80)) → \(exchange.reply.status)"
            guard let operation = document.operation(method: exchange.method, uri: exchange.uri) else {
                Issue.record("not documented: \(label)")
                continue
            }
            reached.insert(operation)
            statusesSeen[operation, default: []].insert(exchange.reply.status)
            #expect(document.statuses(of: operation).contains(exchange.reply.status), "status not documented for \(operation): \(label)")
            guard let contentType = exchange.reply.contentType else {
                #expect(exchange.reply.body.isEmpty, "a body without a content type: \(label)")
                continue
            }
            guard let schema = document.responseSchema(operation, status: exchange.reply.status, contentType: contentType) else {
                Issue.record("media type \(contentType) not documented: \(label)")
                continue
            }
            guard let schema, contentType.contains("json") else { continue }
            let value = try JSONDecoder().decode(JSONValue.self, from: exchange.reply.body)
            let violations = validator.violations(of: value, against: schema)
            #expect(violations.isEmpty, "\(label): \(violations.prefix(5))")
        }
        // The console's HTML pages are driven by "Console: HTTP" and the browser test.
        let missed = Set(document.operations.filter { !$0.path.hasPrefix("/console") }).subtracting(reached)
        #expect(missed.isEmpty, "operations the tour never reached: \(missed.map(\.description).sorted())")
        for operation in document.operations where !operation.path.hasPrefix("/console") {
            let documentedSuccess = document.statuses(of: operation).filter { (200..<300).contains($0) }
            let seen = statusesSeen[operation, default: []]
            #expect(documentedSuccess.isSubset(of: seen), "\(operation): documented success \(documentedSuccess.sorted()) never answered; saw \(seen.sorted())")
        }
        #expect(exchanges.count > 100)
        print(
            "OpenAPI conformance: \(exchanges.count) exchanges over \(reached.count) of \(document.operations.count) operations, "
                + "\(Set(exchanges.map(\.reply.status)).count) distinct statuses")
    }

    @Test("the validator itself rejects what does not conform")
    func validatorCatchesViolations() throws {
        let document = try OpenAPIDocument()
        let validator = SchemaValidator(document: document)
        let schema: [String: Any] = ["$ref": "#/components/schemas/Request"]
        let bad = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"id": "x", "kind": 3, "status": "asleep"}"#.utf8))
        let found = validator.violations(of: bad, against: schema)
        #expect(found.contains { $0.contains("missing required due_at") })
        #expect(found.contains { $0.contains("$.id: not a uuid") })
        #expect(found.contains { $0.contains("$.kind: expected string") })
        #expect(found.contains { $0.contains("not in enum") })
    }
}

/// Methods by name, so exchanges can be recorded as text.
enum HTTPMethodName: String {
    case get = "GET"
    case post = "POST"
    case put = "PUT"
    case delete = "DELETE"
    var method: HTTPRequest.Method {
        switch self {
        case .get: .get
        case .post: .post
        case .put: .put
        case .delete: .delete
        }
    }
}
