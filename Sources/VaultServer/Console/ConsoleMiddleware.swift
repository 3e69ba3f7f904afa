import Foundation
import HTTPTypes
import Hummingbird
import Vault
import VaultCrypto
import VaultModel

/// Every console response: a strict CSP (no script at all, styles from this origin only),
/// no framing, no sniffing, no referrer, no caching of pages that show personal data.
struct ConsoleHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let policy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = Self.policy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

/// Signed-in pages: the session cookie → the principal (its token authenticated again on each
/// request), and on every POST the form's `csrf` field must equal the session's (constant
/// time). No session → 303 to the sign-in page; a bad CSRF token → 403. Each answer renews
/// the cookie's Max-Age, so the browser forgets it when the server-side session idles out.
struct ConsoleSessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let sessions: ConsoleSessionService
    let tokens: TokenService
    let audit: AuditLog
    let secure: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let id = ConsoleCookie.session(in: request, secure: secure), let session = try await sessions.touch(id),
            let principal = try await tokens.authenticate(session.token.unsafeValue),
            case .role(let role) = principal.kind, ConsoleController.roles.contains(role)
        else {
            if let id = ConsoleCookie.session(in: request, secure: secure) { try await sessions.end(id) }
            return ConsolePage.redirect(to: "/console/signin")
        }
        var context = context
        context.principal = principal
        var request = request
        if request.method == .post {
            let form = try await ConsoleForm.read(&request, context: context)
            guard let sent = form["csrf"], ConstantTime.equals(Array(sent.utf8), Array(session.csrf.utf8)) else {
                try await audit.record(context.caller().draft("access.denied", outcome: "denied", detail: "console POST without a valid CSRF token"))
                return ConsolePage.error(status: .forbidden, "This form has expired or did not come from the console. Go back, reload and try again.")
            }
            context.form = form
        }
        context.csrf = session.csrf
        var response = try await next(request, context)
        if response.headers[.setCookie] == nil { response.headers[.setCookie] = ConsoleCookie.set(id, secure: secure) }
        return response
    }
}

/// The session cookie: `__Host-` prefixed and Secure when served over TLS.
enum ConsoleCookie {
    static func name(secure: Bool) -> String { secure ? "__Host-pv_console" : "pv_console" }

    /// Only the name this server sets: over TLS a plain `pv_console` cookie could have been
    /// planted by a sibling host or over plain HTTP (session fixation), which `__Host-` rules out.
    static func session(in request: Request, secure: Bool) -> String? {
        value(name(secure: secure), in: request)
    }

    /// The 64-hex-digit value of cookie `name`, if the request carries one.
    static func value(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2, parts[0] == name, parts[1].count == 64 { return parts[1] }
            }
        }
        return nil
    }

    /// The sign-in form's CSRF cookie: sent back only to the sign-in POST, for 10 minutes.
    static let signInName = "pv_signin"
    static func signIn(_ nonce: String, secure: Bool) -> String {
        "\(signInName)=\(nonce); Path=/console/signin; Max-Age=600; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    static func set(_ id: String, secure: Bool) -> String {
        // __Host- requires Path=/; without TLS the cookie is scoped to the console's path.
        let path = secure ? "/" : "/console"
        return "\(name(secure: secure))=\(id); Path=\(path); Max-Age=\(Int(ConsoleSessionService.idle)); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    static func clear(secure: Bool) -> String {
        "\(name(secure: secure))=; Path=\(secure ? "/" : "/console"); Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }
}

/// `application/x-www-form-urlencoded` bodies (small: the console's forms only).
enum ConsoleForm {
    static func read(_ request: inout Request, context: AppRequestContext) async throws -> [String: String] {
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        return parse(String(buffer: buffer))
    }

    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let name = parts.first, !name.isEmpty { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }
}
