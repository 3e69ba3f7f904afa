import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VaultAPI
import VaultCrypto

/// The compliance console in process: sessions, cookies, CSRF, security headers, the request
/// flow through its forms, downloads, escaping and auditing.
@Suite("Console: HTTP")
struct ConsoleHTTPTests {
    struct Page: Sendable {
        let status: Int
        let headers: HTTPFields
        let text: String
        var location: String? { headers[.location] }
        var cookie: String? { headers[.setCookie] }
    }

    static func send(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, cookie: String? = nil,
        form: [String: String]? = nil
    ) async throws -> Page {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = cookie }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            body = ByteBuffer(string: form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
        }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            Page(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
        }
    }

    static func csrf(in page: Page) -> String? {
        page.text.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/).map { String($0.1) }
    }

    /// The sign-in form's CSRF cookie (`name=value`) and field, as a browser gets them.
    static func signInForm(_ client: any TestClientProtocol) async throws -> (cookie: String, csrf: String) {
        let form = try await send(client, .get, "/console/signin")
        let cookie = try #require(form.cookie)
        #expect(cookie.hasPrefix("pv_signin=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console/signin"))
        return (String(cookie.split(separator: ";")[0]), try #require(csrf(in: form)))
    }

    static func signIn(_ client: any TestClientProtocol, token: String) async throws -> String {
        let form = try await signInForm(client)
        let page = try await send(client, .post, "/console/signin", cookie: form.cookie, form: ["token": token, "csrf": form.csrf])
        #expect(page.status == 303 && page.location == "/console")
        let cookie = try #require(page.cookie)
        return String(cookie.split(separator: ";")[0])
    }

    @Test("sign-in: only compliance and admin; cookie attributes; security headers; no session → sign-in page")
    func signInAndHeaders() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let anonymous = try await Self.send(client, .get, "/console/requests")
            #expect(anonymous.status == 303 && anonymous.location == "/console/signin")
            let form = try await Self.send(client, .get, "/console/signin")
            #expect(form.status == 200 && form.text.contains(#"<label for="token">"#))
            #expect(form.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(form.headers[.contentSecurityPolicy]?.contains("script-src") == false, "no script is allowed at all")
            #expect(form.headers[.cacheControl] == "no-store" && form.headers[.xContentTypeOptions] == "nosniff")
            let (formCookie, formCSRF) = try await Self.signInForm(client)
            for refused in [h.support, h.crm, "pvt_not-a-token"] {
                let page = try await Self.send(client, .post, "/console/signin", cookie: formCookie, form: ["token": refused, "csrf": formCSRF])
                #expect(page.status == 401 && page.cookie?.hasPrefix("pv_signin=") == true && page.text.contains("not valid for the console"))
                #expect(!page.text.contains(refused), "the token is never echoed")
            }
            let forged = try await Self.send(client, .post, "/console/signin", form: ["token": h.compliance])
            #expect(forged.status == 403 && forged.cookie == nil, "login CSRF: a sign-in POST without the form's cookie and field is refused")
            let mismatched = try await Self.send(
                client, .post, "/console/signin", cookie: formCookie, form: ["token": h.compliance, "csrf": String(repeating: "0", count: 64)])
            #expect(mismatched.status == 403 && mismatched.cookie == nil)
            let signedIn = try await Self.send(client, .post, "/console/signin", cookie: formCookie, form: ["token": h.compliance, "csrf": formCSRF])
            let cookie = try #require(signedIn.cookie)
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console") && cookie.contains("Max-Age=900"))
            #expect(!cookie.contains(h.compliance), "the cookie is a session id, not the token")
            let overview = try await Self.send(client, .get, "/console", cookie: String(cookie.split(separator: ";")[0]))
            #expect(overview.status == 200 && overview.text.contains("Median days to complete"))
            let admin = try await Self.signIn(client, token: h.admin)
            #expect(try await Self.send(client, .get, "/console/audit", cookie: admin).status == 200)
            let signins = try await client.call(.get, "/v1/audit?action=console.signin", token: h.admin).decode(AuditPageBody.self)
            #expect(signins.entries.count == 2)
            let denied = try await client.call(.get, "/v1/audit?action=access.denied", token: h.admin).decode(AuditPageBody.self)
            // A valid token of another role or a source is refused under its own name; an unknown one anonymously.
            let named = denied.entries.filter { $0.detail == "console sign-in refused: not a console role" }
            #expect(named.count == 2 && named.allSatisfy { $0.principal != "anonymous" }, "\(named.map(\.principal))")
            #expect(denied.entries.filter { $0.detail == "console sign-in refused" }.count == 1)
        }
    }

    @Test("an erasure through the forms: CSRF enforced, verify, execute, receipt valid and downloadable, audited")
    func erasureFlow() async throws {
        let h = try await ServerHarness.make()
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src"])
        try await h.run { client in
            let subject = try await RequestsHTTPTests.seedPerson(client, h, tokens: extra)
            let request = try await RequestsHTTPTests.open(client, h, #"{"kind": "erasure", "regulation": "gdpr", "subject_id": "\#(subject)"}"#)
            let cookie = try await Self.signIn(client, token: h.compliance)
            let queue = try await Self.send(client, .get, "/console/requests?status=received&kind=erasure", cookie: cookie)
            #expect(queue.text.contains(request.id))
            let filtered = try await Self.send(client, .get, "/console/requests?status=completed", cookie: cookie)
            #expect(!filtered.text.contains(request.id))
            #expect(try await Self.send(client, .get, "/console/requests?status=asleep", cookie: cookie).status == 400)
            let page = try await Self.send(client, .get, "/console/requests/\(request.id)", cookie: cookie)
            #expect(page.status == 200 && page.text.contains(#"id="status">received"#))
            let csrf = try #require(Self.csrf(in: page))

            let forged = try await Self.send(client, .post, "/console/requests/\(request.id)/verify", cookie: cookie, form: ["method": "email_link"])
            #expect(forged.status == 403, "no CSRF token")
            let wrong = try await Self.send(
                client, .post, "/console/requests/\(request.id)/verify", cookie: cookie,
                form: ["method": "email_link", "csrf": String(repeating: "0", count: 64)])
            #expect(wrong.status == 403)
            #expect(try await client.call(.get, "/v1/requests/\(request.id)", token: h.compliance).decode(SubjectRequestBody.self).status == "received")

            let verified = try await Self.send(
                client, .post, "/console/requests/\(request.id)/verify", cookie: cookie, form: ["method": "email_link", "csrf": csrf])
            #expect(verified.status == 303 && verified.location == "/console/requests/\(request.id)")
            let executed = try await Self.send(client, .post, "/console/requests/\(request.id)/execute", cookie: cookie, form: ["csrf": csrf])
            #expect(executed.status == 303)
            let done = try await Self.send(client, .get, "/console/requests/\(request.id)", cookie: cookie)
            #expect(done.text.contains(#"id="status">completed"#) && done.text.contains("<strong class=\"good\">valid</strong>"))
            #expect(try await client.call(.get, "/v1/requests/\(request.id)", token: h.compliance).decode(SubjectRequestBody.self).status == "completed")

            let download = try await Self.send(client, .get, "/console/requests/\(request.id)/receipt", cookie: cookie)
            #expect(download.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            let receipt = try JSONDecoder().decode(ReceiptBody.self, from: Data(download.text.utf8))
            let keys = try await client.call(.get, "/v1/keys", token: h.compliance).decode(KeysBody.self)
            let key = Ed25519PublicKey(bytes: [UInt8](try #require(Data(base64Encoded: keys.signing_public_key))))
            #expect(key.isValidSignature([UInt8](try #require(Data(base64Encoded: receipt.signature))), for: Array(receipt.signed.utf8)))
            for value in RequestsHTTPTests.plaintexts { #expect(!done.text.contains(value) && !download.text.contains(value)) }

            let steps = try await client.call(.get, "/v1/audit?action=request.verify", token: h.admin).decode(AuditPageBody.self)
            #expect(steps.entries.count == 1 && steps.entries[0].principal == "test")
            let csrfDenied = try await client.call(.get, "/v1/audit?action=access.denied", token: h.admin).decode(AuditPageBody.self)
            #expect(csrfDenied.entries.filter { $0.detail?.contains("CSRF") == true }.count == 2)
        }
    }

    @Test("values are escaped; sign-out and token revocation end the session")
    func escapingAndSessionEnd() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let subject = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm, json: #"{"records": [{"key": "x", "fields": {"email": "x@example.com"}}]}"#
            )
            .decode(IngestRecordsResponse.self).results[0].subject_id!
            let request = try await RequestsHTTPTests.open(client, h, #"{"kind": "access", "regulation": "ccpa", "subject_id": "\#(subject)"}"#)
            let cookie = try await Self.signIn(client, token: h.compliance)
            let csrf = try #require(Self.csrf(in: try await Self.send(client, .get, "/console/requests/\(request.id)", cookie: cookie)))
            _ = try await Self.send(
                client, .post, "/console/requests/\(request.id)/reject", cookie: cookie,
                form: ["reason": "<script>alert(1)</script>", "csrf": csrf])
            let page = try await Self.send(client, .get, "/console/requests/\(request.id)", cookie: cookie)
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.text.contains("<script>"))

            let out = try await Self.send(client, .post, "/console/signout", cookie: cookie, form: ["csrf": csrf])
            #expect(out.status == 303 && out.cookie?.contains("Max-Age=0") == true)
            #expect(try await Self.send(client, .get, "/console", cookie: cookie).status == 303, "the old cookie is dead")

            let created = try await client.call(.post, "/v1/tokens", token: h.admin, json: #"{"principal": "dpo-2", "role": "compliance"}"#).decode(
                CreatedTokenBody.self)
            let second = try await Self.signIn(client, token: created.token)
            #expect(try await Self.send(client, .get, "/console", cookie: second).status == 200)
            #expect(try await client.call(.delete, "/v1/tokens/\(created.id)", token: h.admin).status == 204)
            #expect(try await Self.send(client, .get, "/console", cookie: second).status == 303, "revoking the token ends its sessions")
        }
    }

    @Test("admin pages: a token created shows once and works, revoke, policy versions, keys; compliance is refused")
    func adminPages() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let compliance = try await Self.signIn(client, token: h.compliance)
            for page in ["/console/tokens", "/console/policies", "/console/keys"] {
                #expect(try await Self.send(client, .get, page, cookie: compliance).status == 403, "\(page) is admin only")
            }
            let admin = try await Self.signIn(client, token: h.admin)
            let list = try await Self.send(client, .get, "/console/tokens", cookie: admin)
            let csrf = try #require(Self.csrf(in: list))
            #expect(list.text.contains("role:support") && list.text.contains("source:crm"))
            // A support token is a privileged grant (the role is shown personal values).
            let createsBefore = try await client.call(.get, "/v1/audit?action=token.create.privileged", token: h.admin).decode(AuditPageBody.self).entries.count
            let created = try await Self.send(
                client, .post, "/console/tokens", cookie: admin, form: ["principal": "helpdesk", "scope": "role:support", "csrf": csrf])
            let token = try #require(created.text.firstMatch(of: /id="new-token" class="token" readonly value="(pvt_[^"]+)"/).map { String($0.1) })
            #expect(try await client.call(.post, "/v1/subjects/lookup", token: token, json: #"{"identifiers": {"email": "a@example.com"}}"#).status == 200)
            let again = try await Self.send(client, .get, "/console/tokens", cookie: admin)
            #expect(again.text.contains("helpdesk") && !again.text.contains(token), "shown once, never listed")
            let id = try #require(
                again.text.firstMatch(
                    of:
                        /action="\/console\/tokens\/([0-9a-f-]{36})\/revoke" class="inline"><input type="hidden" name="csrf" value="[0-9a-f]{64}"><button type="submit" class="secondary" aria-label="Revoke the token of helpdesk"/
                ).map { String($0.1) })
            #expect(try await Self.send(client, .post, "/console/tokens/\(id)/revoke", cookie: admin, form: ["csrf": csrf]).status == 303)
            #expect(try await client.call(.post, "/v1/subjects/lookup", token: token, json: #"{"identifiers": {"email": "a@example.com"}}"#).status == 401)
            let policies = try await Self.send(client, .get, "/console/policies", cookie: admin)
            #expect(policies.status == 200 && policies.text.contains("In force: v1"))
            let keys = try await Self.send(client, .get, "/console/keys", cookie: admin)
            #expect(keys.status == 200 && keys.text.contains("Active master-key version"))
            let creates = try await client.call(.get, "/v1/audit?action=token.create.privileged", token: h.admin).decode(AuditPageBody.self)
            #expect(creates.entries.count == createsBefore + 1, "the console's token creation is audited")
        }
    }
}
