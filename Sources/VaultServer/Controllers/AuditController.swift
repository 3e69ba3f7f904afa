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
/// `after` (cursor `S.R`: the last sequence number listed of the store chain and of the reads
/// chain, from `next_after`), `limit` (1–500). Entries of both chains, merged in time order.
struct AuditController {
    let vault: ProfileVault
    static let roles: Set<RoleName> = [.admin, .compliance]

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("/audit") { request, context in
            _ = try context.requireRole(Self.roles)
            let (query, cursor) = try Self.query(from: request)
            let (entries, next) = try await vault.audit.page(query, after: cursor)
            try await vault.audit.record(context.caller().draft("audit.read", detail: "\(entries.count) entries"))
            return try JSONBody.response(AuditPageBody(entries: entries.map(Self.body), next_after: next?.text))
        }
        group.get("/audit/verify") { _, context in
            _ = try context.requireRole(Self.roles)
            let report = try await vault.audit.verify()
            try await vault.audit.record(
                context.caller().draft(
                    "audit.verify", outcome: report.valid ? "ok" : "failed",
                    detail: "\(report.entries) entries checked"))
            return try JSONBody.response(Self.body(report))
        }
    }

    static func body(_ report: AuditVerification) -> AuditVerifyBody {
        AuditVerifyBody(
            valid: report.valid, entries: report.entries, first_invalid: report.firstInvalid, problem: report.problem?.rawValue,
            anchored_seq: report.anchoredSeq, chain: report.failedChain?.rawValue,
            chains: report.chains.map {
                AuditChainVerifyBody(
                    name: $0.name.rawValue, valid: $0.report.valid, entries: $0.report.entries, first_invalid: $0.report.firstInvalid,
                    problem: $0.report.problem?.rawValue, anchored_seq: $0.report.anchoredSeq)
            })
    }

    static func query(from request: Request) throws -> (AuditQuery, AuditCursor) {
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
        var cursor = AuditCursor()
        if let after = text("after") {
            guard let value = AuditCursor(after) else { throw invalidParameter("after") }
            cursor = value
        }
        if let limit = text("limit") {
            guard let value = Int(limit), (1...500).contains(value) else { throw invalidParameter("limit") }
            query.limit = value
        }
        return (query, cursor)
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
            chain: entry.chain.rawValue, seq: entry.seq, at: Timestamp.format(d.at), request_id: d.requestID, principal: d.principal, role: d.role,
            source: d.source, purpose: d.purpose, action: d.action, subject_ids: d.subjectIDs, fields: d.fields,
            policy_version: d.policyVersion, outcome: d.outcome, detail: d.detail,
            hash: entry.hash.map { String(format: "%02x", $0) }.joined())
    }
}
