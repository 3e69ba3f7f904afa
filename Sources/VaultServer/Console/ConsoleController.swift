import Foundation
import HTTPTypes
import Hummingbird
import Requests
import Storage
import Vault
import VaultAPI
import VaultCrypto
import VaultModel

/// The compliance console under `/console`: server-rendered pages, no JavaScript.
///
/// | method | path | role | what | audit |
/// |---|---|---|---|---|
/// | GET/POST | /console/signin | anyone | token → session cookie (compliance or admin) | console.signin, access.denied |
/// | POST | /console/signout | signed in | ends the session | console.signout |
/// | GET | /console | compliance, admin | overview: requests by status, overdue, median days, suppressions, pending notices | request.list |
/// | GET | /console/requests | compliance | the queue; filters status, kind, regulation, overdue | request.list |
/// | GET | /console/requests/{id} | compliance | lifecycle, actions, receipt status, notices | request.read (request.receipt for erasures) |
/// | POST | /console/requests/{id}/verify, /execute, /reject, /extend | compliance | the request steps | request.<step> |
/// | GET | /console/requests/{id}/receipt, /export | compliance | downloads | request.receipt, request.export |
/// | GET | /console/audit | compliance, admin | recent entries (filters) and the chain check | audit.read, audit.verify |
/// | GET/POST | /console/tokens | admin | list / create (the token shown once) | token.list, token.create |
/// | POST | /console/tokens/{id}/revoke | admin | revoke | token.revoke |
/// | GET | /console/policies | admin | version in force, history with diffs | policy.read, policy.history |
/// | GET | /console/keys | admin | master-key versions, rewrap progress | console.view |
/// | POST | /console/keys/rotate | admin | a new master-key version | keys.rotate |
///
/// Every POST carries the session's CSRF token; a refused one is audited as `access.denied`.
struct ConsoleController {
    static let roles: Set<RoleName> = [.compliance, .admin]
    let vault: ProfileVault
    var sessions: ConsoleSessionService { vault.consoleSessions }
    let secure: Bool
    let metrics: VaultMetrics
    /// Sign-in refusals come from callers without a credential: recorded up to a rate.
    let anonymous: AnonymousDenials

    func register(on router: Router<AppRequestContext>) {
        let console = router.group("/console").add(middleware: ConsoleHeadersMiddleware())
        console.get("/static/console.css") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ConsolePage.stylesheet))
        }
        console.get("/signin") { _, context in try signInForm(context) }
        console.post("/signin") { request, context in try await signIn(request, context) }

        let pages = console.add(middleware: ConsoleSessionMiddleware(sessions: sessions, tokens: vault.tokens, audit: vault.audit, secure: secure))
            .add(middleware: ConsoleErrorMiddleware())
        pages.post("/signout") { request, context in
            if let id = ConsoleCookie.session(in: request, secure: secure) { try await sessions.end(id) }
            try await vault.audit.record(context.caller().draft("console.signout"))
            return ConsolePage.redirect(to: "/console/signin", cookie: ConsoleCookie.clear(secure: secure))
        }
        pages.get("") { _, context in try await overview(context) }
        pages.get("/audit") { request, context in try await auditPage(request, context) }

        let compliance = pages.group("/requests").add(middleware: ConsoleRoleMiddleware(roles: [.compliance], audit: vault.audit))
        registerRequestPages(on: compliance)
        let admin = pages.add(middleware: ConsoleRoleMiddleware(roles: [.admin], audit: vault.audit))
        registerAdminPages(on: admin)
    }

    /// The sign-in form. It is protected against login CSRF like every other form: its hidden
    /// `csrf` field must match a fresh cookie (`SameSite=Strict`, so a cross-site POST carries
    /// none), or a forged POST could sign a victim in as the forger.
    func signInForm(_ context: AppRequestContext, failed: Bool = false, status: HTTPResponse.Status = .ok) throws -> Response {
        var context = context
        let nonce = try ConsoleSessionService.random()
        context.csrf = nonce
        var response = ConsolePage.render("signin", title: "Sign in", ["failed": failed], context: context, status: status)
        response.headers[.setCookie] = ConsoleCookie.signIn(nonce, secure: secure)
        return response
    }

    func signIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var request = request
        var context = context
        let form = try await ConsoleForm.read(&request, context: context)
        guard let expected = ConsoleCookie.value(ConsoleCookie.signInName, in: request), let sent = form["csrf"],
            ConstantTime.equals(Array(sent.utf8), Array(expected.utf8))
        else {
            if let unrecorded = anonymous.admit() {
                try await vault.audit.record(
                    context.caller().draft(
                        "access.denied", outcome: "denied",
                        detail: AnonymousDenials.detail("console sign-in without a valid CSRF token", unrecorded: unrecorded)))
            }
            return ConsolePage.error(
                status: .forbidden, "This sign-in form has expired or did not come from the console. Reload the sign-in page and try again.")
        }
        let token = (form["token"] ?? "").trimmingCharacters(in: .whitespaces)
        let authenticated = try await vault.tokens.authenticate(token)
        if let authenticated, !authenticated.signsInToConsole {
            // A valid token of a role or source the console doesn't serve: refused under its own name.
            var denied = context
            denied.principal = authenticated
            try await vault.audit.record(denied.caller().draft("access.denied", outcome: "denied", detail: "console sign-in refused: not a console role"))
            return try signInForm(context, failed: true, status: .unauthorized)
        }
        guard let principal = authenticated, case .role(let role) = principal.kind, Self.roles.contains(role) else {
            if let unrecorded = anonymous.admit() {
                try await vault.audit.record(
                    context.caller().draft(
                        "access.denied", outcome: "denied",
                        detail: AnonymousDenials.detail("console sign-in refused", unrecorded: unrecorded)))
            }
            return try signInForm(context, failed: true, status: .unauthorized)
        }
        context.principal = principal
        let session = try await sessions.create(token: Sensitive(token))
        try await vault.audit.record(context.caller().draft("console.signin"))
        return ConsolePage.redirect(to: "/console", cookie: ConsoleCookie.set(session.id, secure: secure))
    }

    /// The figures an officer reports to the DPO. Aggregates only, so admins see them too;
    /// the list of what is due (request ids) is compliance's.
    func overview(_ context: AppRequestContext) async throws -> Response {
        let records = try await vault.requests.list(RequestFilter(), caller: context.caller())
        let figures = try await vault.requests.complianceFigures()
        let now = Date()
        let bodies = records.map { RequestsController.body($0, now: now) }
        let statuses = RequestStatus.allCases.map { status in
            ["status": status.rawValue, "label": Self.label(status.rawValue), "count": bodies.filter { $0.status == status.rawValue }.count] as [String: Any]
        }
        let days = records.compactMap { r in r.completedAt.map { $0.timeIntervalSince(r.receivedAt) / 86_400 } }.sorted()
        let median =
            days.isEmpty ? "–" : String(format: "%.1f", days.count % 2 == 1 ? days[days.count / 2] : (days[days.count / 2 - 1] + days[days.count / 2]) / 2)
        let compliance = context.principal?.role == .compliance
        // Grants of roles that are shown personal values, newest first (separation of duties).
        var privileged = AuditQuery()
        privileged.action = TokenService.privilegedAction
        privileged.since = now.addingTimeInterval(-30 * 86_400)
        privileged.limit = 1000
        let grants = try await vault.audit.entries(privileged).reversed().map { entry -> [String: Any] in
            ["at": Timestamp.format(entry.draft.at), "by": entry.draft.principal, "detail": entry.draft.detail ?? ""]
        }
        return ConsolePage.render(
            "overview", title: "Overview",
            [
                "privilegedGrants": Array(grants.prefix(10)), "privilegedCount": grants.count, "hasPrivileged": !grants.isEmpty,
                "statuses": statuses, "total": bodies.count, "overdue": bodies.filter(\.overdue).count, "median": median,
                "completedCount": days.count, "suppressions": figures.suppressions, "pendingNotices": figures.pendingNotices,
                "showDue": compliance, "hasOverdue": bodies.contains(where: \.overdue), "hasPending": figures.pendingNotices > 0,
                "dueSoon": bodies.filter { !$0.overdue && RequestStatus(rawValue: $0.status)?.isOpen == true && $0.days_left <= 7 }
                    .sorted { $0.due_at < $1.due_at }.map(Self.row),
                "overdueRows": bodies.filter(\.overdue).sorted { $0.due_at < $1.due_at }.map(Self.row),
            ], context: context)
    }

    /// A status as people read it.
    static func label(_ status: String) -> String {
        status == "in_progress" ? "in progress" : status
    }
}

extension Principal {
    /// Whether the console serves this principal: the compliance and admin roles
    /// (`ConsoleController.roles`); other roles and ingest tokens never sign in.
    var signsInToConsole: Bool {
        guard case .role(let role) = kind else { return false }
        return ConsoleController.roles.contains(role)
    }
}
