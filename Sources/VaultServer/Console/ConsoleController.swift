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
/// | method | path | what | audit |
/// |---|---|---|---|
/// | GET/POST | /console/signin | token → session cookie (compliance or admin) | console.signin, access.denied |
/// | POST | /console/signout | ends the session | console.signout |
/// | GET | /console | overview: requests by status, overdue, median days to complete | console.view |
/// | GET | /console/requests | the queue; filters status, kind, regulation, overdue | request.list |
/// | GET | /console/requests/{id} | lifecycle and actions | request.read |
/// | POST | /console/requests/{id}/verify, /execute, /reject, /extend | the request steps | request.<step> |
/// | GET | /console/requests/{id}/receipt, /export | downloads | request.receipt, request.export |
/// | GET | /console/audit | recent entries (filter by action) and the chain check | audit.read, audit.verify |
struct ConsoleController {
    static let roles: Set<RoleName> = [.compliance, .admin]
    let vault: ProfileVault
    let sessions = ConsoleSessions()
    let secure: Bool

    func register(on router: Router<AppRequestContext>) {
        let console = router.group("/console").add(middleware: ConsoleHeadersMiddleware())
        console.get("/static/console.css") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ConsolePage.stylesheet))
        }
        console.get("/signin") { _, context in
            ConsolePage.render("signin", title: "Sign in", [:], context: context)
        }
        console.post("/signin") { request, context in try await signIn(request, context) }

        let pages = console.add(middleware: ConsoleSessionMiddleware(sessions: sessions, tokens: vault.tokens, audit: vault.audit))
        pages.post("/signout") { request, context in
            if let id = ConsoleCookie.session(in: request) { await sessions.end(id) }
            try await vault.audit.record(context.caller().draft("console.signout"))
            return ConsolePage.redirect(to: "/console/signin", cookie: ConsoleCookie.clear(secure: secure))
        }
        pages.get("") { _, context in try await overview(context) }
        pages.get("/requests") { request, context in try await queue(request, context) }
        pages.get("/requests/{id}") { _, context in
            let id = try Self.requestID(context)
            let record = try await vault.requests.get(id, caller: context.caller())
            return ConsolePage.render("request", title: "Request", try await Self.requestPage(record, vault: vault, context: context), context: context)
        }
        for step in ["verify", "execute", "reject", "extend"] {
            pages.post("/requests/{id}/\(step)") { _, context in try await act(step, context) }
        }
        pages.get("/requests/{id}/receipt") { _, context in
            let id = try Self.requestID(context)
            let (receipt, notices) = try await vault.requests.receipt(id, caller: context.caller())
            let body = ReceiptBody(signed: receipt.signed, signature: receipt.signature, public_key: receipt.public_key,
                                   notices: notices.map { ReceiptNoticeBody(id: $0.id.uuidString.lowercased(), source: $0.source.rawValue, acked_at: $0.ackedAt.map(Timestamp.format)) })
            return ConsolePage.download(try JSONBody.encoder.encode(body), filename: "erasure-receipt-\(id.uuidString.lowercased()).json")
        }
        pages.get("/requests/{id}/export") { _, context in
            let id = try Self.requestID(context)
            let export = try await vault.requests.export(id, caller: context.caller())
            return ConsolePage.download(try JSONBody.encoder.encode(export), filename: "access-export-\(id.uuidString.lowercased()).json")
        }
        pages.get("/audit") { request, context in try await auditPage(request, context) }
        registerAdmin(on: pages)
    }

    func signIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var request = request, context = context
        let form = try await ConsoleForm.read(&request, context: context)
        let token = (form["token"] ?? "").trimmingCharacters(in: .whitespaces)
        guard let principal = try await vault.tokens.authenticate(token),
              case .role(let role) = principal.kind, Self.roles.contains(role) else {
            try await vault.audit.record(context.caller().draft("access.denied", outcome: "denied", detail: "console sign-in refused"))
            return ConsolePage.render("signin", title: "Sign in", ["failed": true], context: context, status: .unauthorized)
        }
        context.principal = principal
        let session = try await sessions.create(token: Sensitive(token))
        try await vault.audit.record(context.caller().draft("console.signin"))
        return ConsolePage.redirect(to: "/console", cookie: ConsoleCookie.set(session.id, secure: secure))
    }

    func overview(_ context: AppRequestContext) async throws -> Response {
        let records = try await vault.requests.list(RequestFilter(), caller: context.caller())
        let now = Date()
        let bodies = records.map { RequestsController.body($0, now: now) }
        let statuses = ["received", "verified", "in_progress", "completed", "rejected"].map { status in
            ["status": status, "count": bodies.filter { $0.status == status }.count] as [String: Any]
        }
        let days = records.compactMap { r in r.completedAt.map { $0.timeIntervalSince(r.receivedAt) / 86_400 } }.sorted()
        let median = days.isEmpty ? "–" : String(format: "%.1f", days[days.count / 2])
        return ConsolePage.render("overview", title: "Overview", [
            "statuses": statuses, "total": bodies.count, "overdue": bodies.filter(\.overdue).count, "median": median,
            "dueSoon": bodies.filter { !$0.overdue && ["received", "verified", "in_progress"].contains($0.status) && $0.days_left <= 7 }.map(Self.row),
        ], context: context)
    }

    func queue(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        var filter = RequestFilter()
        func value(_ name: String) -> String? { parameters[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        if let status = value("status") {
            guard RequestStatus(rawValue: status) != nil else { return ConsolePage.error(status: .badRequest, "Unknown status.") }
            filter.status = status
        }
        if let kind = value("kind") {
            guard RequestKind(rawValue: kind) != nil else { return ConsolePage.error(status: .badRequest, "Unknown kind.") }
            filter.kind = kind
        }
        let overdueOnly = value("overdue") == "on"
        if overdueOnly { filter.overdueAt = Date() }
        let regulation = value("regulation")
        let rows = try await vault.requests.list(filter, caller: context.caller()).map { RequestsController.body($0) }
            .filter { regulation == nil || $0.regulation == regulation }
            .sorted { ($0.overdue ? 0 : 1, $0.due_at) < ($1.overdue ? 0 : 1, $1.due_at) }
        func options(_ all: [String], _ chosen: String?) -> [[String: Any]] {
            all.map { ["value": $0, "selected": $0 == chosen] }
        }
        return ConsolePage.render("queue", title: "Requests", [
            "rows": rows.map(Self.row), "count": rows.count, "overdueOnly": overdueOnly,
            "statuses": options(RequestStatus.allCases.map(\.rawValue), filter.status),
            "kinds": options(RequestKind.allCases.map(\.rawValue), filter.kind),
            "regulations": options(Regulation.allCases.map(\.rawValue), regulation),
        ], context: context)
    }

    func act(_ step: String, _ context: AppRequestContext) async throws -> Response {
        let id = try Self.requestID(context)
        let reason = (context.form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            switch step {
            case "verify":
                let method = (context.form["method"] ?? "").trimmingCharacters(in: .whitespaces)
                guard !method.isEmpty, method.count <= 128 else { return ConsolePage.error(status: .badRequest, "Choose how the identity was verified.") }
                _ = try await vault.requests.verify(id, method: method, caller: context.caller())
            case "execute": _ = try await vault.requests.execute(id, caller: context.caller())
            case "reject":
                guard !reason.isEmpty, reason.count <= 1024 else { return ConsolePage.error(status: .badRequest, "A rejection needs a reason.") }
                _ = try await vault.requests.reject(id, reason: reason, caller: context.caller())
            default:
                guard !reason.isEmpty, reason.count <= 1024 else { return ConsolePage.error(status: .badRequest, "An extension needs a reason.") }
                _ = try await vault.requests.extend(id, reason: reason, caller: context.caller())
            }
        } catch let error as RequestError {
            return ConsolePage.error(status: .conflict, "Not done: \(error.description)")
        }
        return ConsolePage.redirect(to: "/console/requests/\(id.uuidString.lowercased())")
    }

    func auditPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var query = AuditQuery()
        query.action = request.uri.queryParameters["action"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        query.limit = 100
        // The newest 100 (entries come in sequence order after `afterSeq`).
        let head = try await vault.store.auditHead()?.seq ?? 0
        query.afterSeq = query.action == nil ? max(0, head - 100) : 0
        let entries = try await vault.audit.entries(query).reversed()
        try await vault.audit.record(context.caller().draft("audit.read", detail: "console, \(entries.count) entries"))
        let report = try await vault.audit.verify()
        try await vault.audit.record(context.caller().draft("audit.verify", outcome: report.valid ? "ok" : "failed", detail: "console, \(report.entries) entries checked"))
        return ConsolePage.render("audit", title: "Audit", [
            "valid": report.valid, "checked": report.entries, "anchored": report.anchoredSeq.map(String.init) ?? "none yet",
            "problem": report.problem?.rawValue ?? "", "action": query.action ?? "",
            "entries": entries.map { entry -> [String: Any] in
                ["seq": entry.seq, "at": Timestamp.format(entry.draft.at), "principal": entry.draft.principal, "role": entry.draft.role ?? "",
                 "action": entry.draft.action, "outcome": entry.draft.outcome, "subjects": entry.draft.subjectIDs.count, "detail": entry.draft.detail ?? ""]
            },
        ], context: context)
    }

    static func requestID(_ context: AppRequestContext) throws -> UUID {
        guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw Problem.invalidID("request id") }
        return id
    }

    static func row(_ r: SubjectRequestBody) -> [String: Any] {
        ["id": r.id, "kind": r.kind, "regulation": r.regulation, "status": r.status, "received": String(r.received_at.prefix(10)),
         "due": String((r.extended_due_at ?? r.due_at).prefix(10)), "daysLeft": r.days_left, "overdue": r.overdue]
    }

    static func requestPage(_ record: RequestRecord, vault: ProfileVault, context: AppRequestContext) async throws -> [String: Any] {
        let r = RequestsController.body(record)
        var page = row(r)
        page["subject"] = r.subject_id ?? "–"
        page["verification"] = r.verification_method ?? ""
        page["extensionReason"] = r.extension_reason ?? ""
        page["rejectedReason"] = r.rejected_reason ?? ""
        page["completed"] = r.completed_at ?? ""
        page["canVerify"] = r.status == "received"
        page["canExecute"] = r.status == "verified" || (r.status == "received" && r.kind == "opt_out")
        page["canReject"] = r.status == "received" || r.status == "verified"
        page["canExtend"] = (r.status == "received" || r.status == "verified") && r.extended_due_at == nil
        page["steps"] = [["name": "Received", "at": r.received_at], ["name": "Verified", "at": r.verification_method.map { "by \($0)" } ?? "–"],
                         ["name": r.status == "rejected" ? "Rejected" : "Completed", "at": r.completed_at ?? r.rejected_reason ?? "–"]]
        if r.status == "completed" && r.kind == "erasure", let (receipt, notices) = try? await vault.requests.receipt(record.id, caller: context.caller()) {
            // The same check as `vaultctl request receipt --verify`: the vault's own signing key.
            let key = vault.audit.publicKey
            let valid = receipt.public_key == Data(key.bytes).base64EncodedString()
                && Data(base64Encoded: receipt.signature).map { key.isValidSignature([UInt8]($0), for: Array(receipt.signed.utf8)) } == true
            page["receipt"] = ["valid": valid, "notices": notices.map {
                ["source": $0.source.rawValue, "acked": $0.ackedAt.map(Timestamp.format) ?? "not yet"] as [String: Any]
            }] as [String: Any]
        }
        page["exportable"] = r.status == "completed" && (r.kind == "access" || r.kind == "portability")
        return page
    }
}
