import Audit
import Foundation
import Hummingbird
import Storage
import Vault
import VaultAPI
import VaultModel

/// | method | path | who | audit action |
/// |---|---|---|---|
/// | GET | /v1/audit | admin, compliance | audit.read |
/// | GET | /v1/audit/verify | admin, compliance | audit.verify |
///
/// Filters: `subject_id`, `principal`, `action`, `request_id`, `since`, `until` (RFC 3339),
/// `after` (sequence cursor), `limit` (1–500).
struct AuditController {
    let vault: ProfileVault
    static let roles: Set<RoleName> = [.admin, .compliance]

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("/audit") { request, context in
            _ = try context.requireRole(Self.roles)
            let query = try Self.query(from: request)
            let entries = try await vault.audit.entries(query)
            try await vault.audit.record(context.caller().draft("audit.read", detail: "\(entries.count) entries"))
            let next = entries.count == query.limit ? entries.last?.seq : nil
            return try JSONBody.response(AuditPageBody(entries: entries.map(Self.body), next_after: next))
        }
        group.get("/audit/verify") { _, context in
            _ = try context.requireRole(Self.roles)
            let report = try await vault.audit.verify()
            try await vault.audit.record(
                context.caller().draft(
                    "audit.verify", outcome: report.valid ? "ok" : "failed",
                    detail: "\(report.entries) entries checked"))
            return try JSONBody.response(
                AuditVerifyBody(
                    valid: report.valid, entries: report.entries, first_invalid: report.firstInvalid,
                    problem: report.problem?.rawValue, anchored_seq: report.anchoredSeq))
        }
    }

    static func query(from request: Request) throws -> AuditQuery {
        let parameters = request.uri.queryParameters
        var query = AuditQuery()
        func text(_ name: String) -> String? { parameters[Substring(name)].map(String.init) }
        query.subjectID = try text("subject_id").map {
            guard let id = SubjectID($0) else { throw Problem.invalidID("subject_id") }
            return id.description
        }
        query.principal = text("principal")
        query.action = text("action")
        query.requestID = text("request_id")
        query.since = try text("since").map { try time($0, "since") }
        query.until = try text("until").map { try time($0, "until") }
        if let after = text("after") {
            guard let value = Int64(after), value >= 0 else { throw invalidParameter("after") }
            query.afterSeq = value
        }
        if let limit = text("limit") {
            guard let value = Int(limit), (1...500).contains(value) else { throw invalidParameter("limit") }
            query.limit = value
        }
        return query
    }

    static func time(_ text: String, _ name: String) throws -> Date {
        guard let date = Timestamp.parse(text) else { throw invalidParameter(name) }
        return date
    }

    static func invalidParameter(_ name: String) -> Problem {
        Problem(.badRequest, "invalid-parameter", "Invalid query parameter", detail: "\(name) is not valid")
    }

    static func body(_ entry: AuditEntry) -> AuditEntryBody {
        let d = entry.draft
        return AuditEntryBody(
            seq: entry.seq, at: Timestamp.format(d.at), request_id: d.requestID, principal: d.principal, role: d.role,
            source: d.source, purpose: d.purpose, action: d.action, subject_ids: d.subjectIDs, fields: d.fields,
            policy_version: d.policyVersion, outcome: d.outcome, detail: d.detail,
            hash: entry.hash.map { String(format: "%02x", $0) }.joined())
    }
}
