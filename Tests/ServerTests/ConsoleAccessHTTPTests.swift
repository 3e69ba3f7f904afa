import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import VaultAPI
import VaultModel
import VaultTestSupport

@testable import VaultServer

/// The console in process, beyond the request flow of "Console: HTTP": which role sees which
/// page, the admin pages, HTML error pages for bad input, session expiry, the overview's
/// figures, and that every page view lands in the audit log.
@Suite("Console: access, admin pages, audit")
struct ConsoleAccessHTTPTests {
    typealias Page = ConsoleHTTPTests.Page

    static func get(_ client: any TestClientProtocol, _ uri: String, _ cookie: String) async throws -> Page {
        try await ConsoleHTTPTests.send(client, .get, uri, cookie: cookie)
    }

    static func actions(_ client: any TestClientProtocol, _ h: ServerHarness, _ action: String) async throws -> [AuditEntryBody] {
        try await client.call(.get, "/v1/audit?action=\(action)&limit=500", token: h.admin).decode(AuditPageBody.self).entries
    }

    @Test("separation of duties: request pages are compliance's, token, policy and key pages admin's; refusals are 403 pages, audited")
    func rolesSeeTheirPages() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let compliance = try await ConsoleHTTPTests.signIn(client, token: h.compliance)
            let admin = try await ConsoleHTTPTests.signIn(client, token: h.admin)
            for path in ["/console/tokens", "/console/policies", "/console/keys"] {
                let refused = try await Self.get(client, path, compliance)
                #expect(refused.status == 403 && refused.text.contains("for the admin role"), "\(path)")
                #expect(refused.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(try await Self.get(client, path, admin).status == 200, "\(path)")
            }
            let queue = try await Self.get(client, "/console/requests", admin)
            #expect(queue.status == 403 && queue.text.contains("for the compliance role"))
            #expect(try await Self.get(client, "/console/requests/\(UUID().uuidString)", admin).status == 403)
            #expect(try await Self.get(client, "/console/requests", compliance).status == 200)
            for shared in ["/console", "/console/audit"] {
                #expect(try await Self.get(client, shared, compliance).status == 200)
                #expect(try await Self.get(client, shared, admin).status == 200)
            }
            let complianceNav = try await Self.get(client, "/console", compliance).text
            #expect(complianceNav.contains(#"href="/console/requests""#) && !complianceNav.contains(#"href="/console/tokens""#))
            let adminOverview = try await Self.get(client, "/console", admin).text
            #expect(adminOverview.contains(#"href="/console/tokens""#) && !adminOverview.contains(#"href="/console/requests""#))
            #expect(!adminOverview.contains("Due within 7 days"), "request ids are compliance's")

            let csrf = try #require(ConsoleHTTPTests.csrf(in: try await Self.get(client, "/console", compliance)))
            let forged = try await ConsoleHTTPTests.send(
                client, .post, "/console/tokens", cookie: compliance,
                form: ["principal": "x", "scope": "role:admin", "csrf": csrf])
            #expect(forged.status == 403, "a compliance officer can't mint tokens, even with a valid CSRF token")
            let denied = try await Self.actions(client, h, "access.denied").filter { $0.detail?.contains("role not allowed") == true }
            #expect(denied.count == 6)
            #expect(try await client.call(.get, "/v1/tokens", token: h.admin).decode(TokenListBody.self).tokens.count == 5, "no token was created")
        }
    }

    @Test("tokens page: a created token is shown once, works, and revoking it ends its console session; policies and keys pages")
    func adminPages() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let admin = try await ConsoleHTTPTests.signIn(client, token: h.admin)
            let list = try await Self.get(client, "/console/tokens", admin)
            #expect(list.text.contains(#"<label for="principal">"#) && list.text.contains(#"<option value="role:compliance">"#))
            #expect(!list.text.contains(#"value="source:dsr""#), "the vault's own rectification source gets no token")
            let csrf = try #require(ConsoleHTTPTests.csrf(in: list))
            #expect(
                try await ConsoleHTTPTests.send(client, .post, "/console/tokens", cookie: admin, form: ["principal": "dpo-3", "scope": "role:compliance"])
                    .status == 403)
            let created = try await ConsoleHTTPTests.send(
                client, .post, "/console/tokens", cookie: admin,
                form: ["principal": "dpo-3", "scope": "role:compliance", "csrf": csrf])
            #expect(created.status == 201 && created.headers[.cacheControl] == "no-store")
            let token = try #require(created.text.firstMatch(of: /id="new-token" class="token" readonly value="(pvt_[A-Za-z0-9_-]+)"/).map { String($0.1) })
            #expect(!(try await Self.get(client, "/console/tokens", admin)).text.contains(token), "shown once")
            let bad = try await ConsoleHTTPTests.send(
                client, .post, "/console/tokens", cookie: admin, form: ["principal": "x", "scope": "role:nobody", "csrf": csrf])
            #expect(bad.status == 422 && bad.text.contains("Unknown role"))
            #expect(
                try await ConsoleHTTPTests.send(client, .post, "/console/tokens", cookie: admin, form: ["principal": "x", "scope": "everything", "csrf": csrf])
                    .status == 400)

            let officer = try await ConsoleHTTPTests.signIn(client, token: token)
            #expect(try await Self.get(client, "/console/requests", officer).status == 200)
            let id = try #require(
                try await client.call(.get, "/v1/tokens", token: h.admin).decode(TokenListBody.self).tokens.first { $0.principal == "dpo-3" }?.id)
            let revoked = try await ConsoleHTTPTests.send(client, .post, "/console/tokens/\(id)/revoke", cookie: admin, form: ["csrf": csrf])
            #expect(revoked.status == 303 && revoked.location == "/console/tokens")
            #expect(try await Self.get(client, "/console/requests", officer).location == "/console/signin", "revocation ends the session")
            #expect(try await ConsoleHTTPTests.send(client, .post, "/console/tokens/\(id)/revoke", cookie: admin, form: ["csrf": csrf]).status == 404)
            #expect(try await ConsoleHTTPTests.send(client, .post, "/console/tokens/not-a-uuid/revoke", cookie: admin, form: ["csrf": csrf]).status == 400)
            #expect(try await Self.actions(client, h, "token.create.privileged").contains { $0.detail?.contains("dpo-3") == true })
            #expect(try await Self.actions(client, h, "token.revoke").map(\.outcome) == ["ok", "refused"], "the second revocation is refused, and audited")

            let policies = try await Self.get(client, "/console/policies", admin)
            #expect(policies.status == 200 && policies.text.contains("In force: v1") && policies.text.contains("roles.yaml"))
            let keys = try await Self.get(client, "/console/keys", admin)
            #expect(keys.status == 200 && keys.text.contains("Active master-key version: <strong>v1</strong>") && keys.text.contains("<progress"))
            #expect(keys.text.contains("Rotation complete"))
        }
    }

    @Test("bad input answers HTML error pages: malformed and unknown ids, unknown filters, refused steps; nothing echoed")
    func errorPages() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let cookie = try await ConsoleHTTPTests.signIn(client, token: h.compliance)
            let malformed = try await Self.get(client, "/console/requests/not-a-uuid", cookie)
            #expect(malformed.status == 400 && malformed.headers[.contentType]?.hasPrefix("text/html") == true && malformed.text.contains("request id"))
            let unknown = try await Self.get(client, "/console/requests/\(UUID().uuidString.lowercased())", cookie)
            #expect(unknown.status == 404 && unknown.text.contains("no request with this id") && unknown.text.contains(#"href="/console/requests""#))
            #expect(try await Self.get(client, "/console/requests/\(UUID().uuidString.lowercased())/receipt", cookie).status == 404)
            #expect(try await Self.get(client, "/console/requests?regulation=hipaa", cookie).status == 400)
            let subject = try await Self.get(client, "/console/audit?subject_id=%3Cb%3Ejane%40example.com", cookie)
            #expect(subject.status == 400 && !subject.text.contains("jane") && !subject.text.contains("<b>"))

            let person = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm, json: #"{"records": [{"key": "k1", "fields": {"email": "k1@example.com"}}]}"#
            )
            .decode(IngestRecordsResponse.self).results[0].subject_id!
            let request = try await RequestsHTTPTests.open(client, h, #"{"kind": "erasure", "regulation": "gdpr", "subject_id": "\#(person)"}"#)
            let csrf = try #require(ConsoleHTTPTests.csrf(in: try await Self.get(client, "/console/requests/\(request.id)", cookie)))
            let early = try await ConsoleHTTPTests.send(client, .post, "/console/requests/\(request.id)/execute", cookie: cookie, form: ["csrf": csrf])
            #expect(early.status == 409 && early.text.contains("received") && early.text.contains("Back to the overview"))
            let nobody = try await ConsoleHTTPTests.send(
                client, .post, "/console/requests/\(UUID().uuidString.lowercased())/verify", cookie: cookie,
                form: ["method": "email_link", "csrf": csrf])
            #expect(nobody.status == 404)
            #expect(!early.text.contains("k1@example.com"))
        }
    }

    @Test("a session idles out after 15 minutes; each page renews it and the cookie's Max-Age")
    func sessionExpiry() async throws {
        let t = try await TemporaryVault.make()
        defer { t.remove() }
        let sessions = t.vault.consoleSessions
        let start = Date()
        let session = try await sessions.create(token: Sensitive("pvt_x"), now: start)
        #expect(session.id.count == 64 && session.csrf.count == 64 && session.id != session.csrf)
        #expect(try await sessions.touch(session.id, now: start.addingTimeInterval(14 * 60))?.csrf == session.csrf, "still alive after 14 minutes of use")
        #expect(try await sessions.touch(session.id, now: start.addingTimeInterval(28 * 60)) != nil, "renewed by the last request")
        #expect(try await sessions.touch(session.id, now: start.addingTimeInterval(43 * 60 + 1)) == nil, "15 idle minutes end it")
        #expect(try await sessions.touch(session.id, now: start.addingTimeInterval(28 * 60)) == nil, "and it is gone for good")

        let h = try await ServerHarness.make()
        try await h.run { client in
            let cookie = try await ConsoleHTTPTests.signIn(client, token: h.compliance)
            let page = try await Self.get(client, "/console/audit", cookie)
            #expect(page.cookie?.hasPrefix(cookie + ";") == true && page.cookie?.contains("Max-Age=900") == true, "renewed on each page")
            #expect(try await Self.get(client, "/console", "pv_console=" + String(repeating: "a", count: 64)).location == "/console/signin")
        }
    }

    @Test("under TLS the cookie is __Host- prefixed, Secure and scoped to /; without TLS it is scoped to /console")
    func cookieUnderTLS() {
        let secure = ConsoleCookie.set(String(repeating: "b", count: 64), secure: true)
        #expect(secure.hasPrefix("__Host-pv_console=") && secure.contains("; Secure") && secure.contains("Path=/;"))
        #expect(secure.contains("HttpOnly") && secure.contains("SameSite=Strict") && secure.contains("Max-Age=900"))
        let plain = ConsoleCookie.set(String(repeating: "b", count: 64), secure: false)
        #expect(plain.hasPrefix("pv_console=") && !plain.contains("Secure") && plain.contains("Path=/console;"))
        #expect(ConsoleCookie.clear(secure: true).contains("Max-Age=0"))
    }

    @Test("extend with a reason (once), and the access export as a download")
    func extendAndExport() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let person = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm,
                json: #"{"records": [{"key": "e1", "fields": {"email": "e1@example.com", "first_name": "Eve"}}]}"#
            )
            .decode(IngestRecordsResponse.self).results[0].subject_id!
            let access = try await RequestsHTTPTests.open(client, h, #"{"kind": "access", "regulation": "gdpr", "subject_id": "\#(person)"}"#)
            let cookie = try await ConsoleHTTPTests.signIn(client, token: h.compliance)
            let page = try await Self.get(client, "/console/requests/\(access.id)", cookie)
            #expect(page.text.contains(#"<label for="extend-reason">"#))
            let csrf = try #require(ConsoleHTTPTests.csrf(in: page))
            #expect(
                try await ConsoleHTTPTests.send(client, .post, "/console/requests/\(access.id)/extend", cookie: cookie, form: ["reason": " ", "csrf": csrf])
                    .status == 400)
            let extended = try await ConsoleHTTPTests.send(
                client, .post, "/console/requests/\(access.id)/extend", cookie: cookie,
                form: ["reason": "complex request across four systems", "csrf": csrf])
            #expect(extended.status == 303)
            let after = try await Self.get(client, "/console/requests/\(access.id)", cookie).text
            #expect(after.contains("because</dt><dd>complex request across four systems</dd>") && !after.contains(#"<label for="extend-reason">"#))
            let again = try await ConsoleHTTPTests.send(
                client, .post, "/console/requests/\(access.id)/extend", cookie: cookie, form: ["reason": "again", "csrf": csrf])
            #expect(again.status == 409 && again.text.contains("extended already"))
            #expect(try await client.call(.get, "/v1/requests/\(access.id)", token: h.compliance).decode(SubjectRequestBody.self).extended_due_at != nil)

            _ = try await ConsoleHTTPTests.send(
                client, .post, "/console/requests/\(access.id)/verify", cookie: cookie, form: ["method": "account_login", "csrf": csrf])
            _ = try await ConsoleHTTPTests.send(client, .post, "/console/requests/\(access.id)/execute", cookie: cookie, form: ["csrf": csrf])
            #expect(try await Self.get(client, "/console/requests/\(access.id)", cookie).text.contains(#"id="export""#))
            let export = try await Self.get(client, "/console/requests/\(access.id)/export", cookie)
            #expect(export.status == 200 && export.headers[.contentDisposition] == "attachment; filename=\"access-export-\(access.id).json\"")
            #expect(export.text.contains("e1@example.com"), "the export is the person's data, for the person")
            #expect(try await Self.actions(client, h, "request.export").count == 1)
        }
    }

    @Test("the overview counts suppression entries and pending notices; every console page view is audited")
    func overviewAndAudit() async throws {
        let h = try await ServerHarness.make()
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src"])
        try await h.run { client in
            let subject = try await RequestsHTTPTests.seedPerson(client, h, tokens: extra)
            let request = try await RequestsHTTPTests.open(client, h, #"{"kind": "erasure", "regulation": "gdpr", "subject_id": "\#(subject)"}"#)
            _ = try await client.call(.post, "/v1/requests/\(request.id)/verify", token: h.compliance, json: #"{"method": "email_link"}"#)
            _ = try await client.call(.post, "/v1/requests/\(request.id)/execute", token: h.compliance)
            let figures = try await h.temporary.vault.requests.complianceFigures()
            #expect(figures.suppressions > 0 && figures.pendingNotices == 4)

            let cookie = try await ConsoleHTTPTests.signIn(client, token: h.compliance)
            let overview = try await Self.get(client, "/console", cookie).text
            #expect(overview.contains("<dt>Suppression entries</dt><dd>\(figures.suppressions)</dd>"))
            #expect(overview.contains("<dt>Notices pending</dt><dd>4</dd>"))
            let page = try await Self.get(client, "/console/requests/\(request.id)", cookie).text
            #expect(page.contains("4 not yet acknowledged") && page.contains("<td>crm</td><td>erasure</td>"))

            let admin = try await ConsoleHTTPTests.signIn(client, token: h.admin)
            let before = try await client.call(.get, "/v1/audit/verify", token: h.admin).decode(AuditVerifyBody.self).entries
            let views: [(String, String, [String])] = [
                (cookie, "/console", ["request.list"]), (cookie, "/console/requests", ["request.list"]),
                (cookie, "/console/requests/\(request.id)", ["request.read", "request.receipt"]),
                (cookie, "/console/audit?action=request.execute", ["audit.read", "audit.verify"]),
                (admin, "/console/tokens", ["token.list"]), (admin, "/console/policies", ["policy.read", "policy.history"]),
                (admin, "/console/keys", ["console.view"]),
            ]
            for (session, path, expected) in views {
                let count = try await client.call(.get, "/v1/audit/verify", token: h.admin).decode(AuditVerifyBody.self).entries
                #expect(try await Self.get(client, path, session).status == 200, "\(path)")
                let new = try await client.call(.get, "/v1/audit?after=\(count + 1)&limit=50", token: h.admin).decode(AuditPageBody.self).entries
                    .filter { $0.action != "audit.verify" || $0.detail?.hasPrefix("console") == true }
                #expect(Set(expected).isSubset(of: Set(new.map(\.action))), "\(path) audited as \(expected); saw \(new.map(\.action))")
            }
            #expect(try await client.call(.get, "/v1/audit/verify", token: h.admin).decode(AuditVerifyBody.self).entries > before)
        }
    }
}
