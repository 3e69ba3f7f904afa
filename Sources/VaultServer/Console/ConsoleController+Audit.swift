import Audit
import Foundation
import Hummingbird
import Storage
import Vault
import VaultAPI
import VaultModel

/// The audit page (compliance and admin): the newest entries, filtered by action, principal,
/// subject id or outcome, and the chain verified up to the head, against the latest signed
/// anchor. Audited as the API's `audit.read` and `audit.verify`.
extension ConsoleController {
    static let auditPageSize = 100

    func auditPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        func value(_ name: String) -> String? {
            parameters[Substring(name)].map { String($0).trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        var query = AuditQuery()
        query.action = value("action")
        query.principal = value("principal")
        if let subject = value("subject_id") {
            guard let id = SubjectID(subject) else { return ConsolePage.error(status: .badRequest, "The subject id is not a UUID.", context: context) }
            query.subjectID = id.description
        }
        let outcome = value("outcome")
        let filtered = query.action != nil || query.principal != nil || query.subjectID != nil || outcome != nil
        let head = try await vault.audit.head()
        let entries = try await newest(query, outcome: outcome, filtered: filtered)
        try await vault.audit.record(context.caller().draft("audit.read", detail: "console, \(entries.count) entries"))
        let report = try await vault.audit.verify()
        try await vault.audit.record(
            context.caller().draft("audit.verify", outcome: report.valid ? "ok" : "failed", detail: "console, \(report.entries) entries checked"))
        var values: [String: Any] = [
            "valid": report.valid, "checked": report.entries, "problem": report.problem?.rawValue ?? "unknown",
            "anchored": report.anchoredSeq.map(String.init) ?? "", "hasAnchor": report.anchoredSeq != nil,
            "headSeq": head.map { String($0.seq) } ?? "0",
            "action": query.action ?? "", "principal": query.principal ?? "", "subject": query.subjectID ?? "",
            "outcomes": ["ok", "denied", "refused", "failed"].map { ["value": $0, "selected": $0 == (outcome ?? "")] as [String: Any] },
            "filtered": filtered, "count": entries.count,
            "entries": entries.map { entry -> [String: Any] in
                [
                    "seq": (entry.chain == .reads ? "r" : "") + String(entry.seq), "at": Timestamp.format(entry.draft.at), "principal": entry.draft.principal,
                    "role": entry.draft.role ?? "",
                    "action": entry.draft.action, "outcome": entry.draft.outcome, "notOK": entry.draft.outcome != "ok",
                    "subjects": entry.draft.subjectIDs.count, "detail": entry.draft.detail ?? "",
                ]
            },
        ]
        // Absent when unknown: a Mustache section renders for any present value.
        if let first = report.firstInvalid { values["firstInvalid"] = String(first) }
        if let head { values["headHash"] = head.hash.prefix(8).map { String(format: "%02x", $0) }.joined() }
        return ConsolePage.render("audit", title: "Audit", values, context: context)
    }

    /// The newest matching entries of both chains, newest first. Unfiltered, that is each
    /// chain's last page; filtered, each chain's matches are paged through from the start
    /// (bounded) keeping the newest.
    func newest(_ query: AuditQuery, outcome: String?, filtered: Bool) async throws -> [AuditEntry] {
        let heads = try await vault.audit.heads()
        var kept: [AuditEntry] = []
        for chain in AuditChainName.allCases {
            guard let head = heads[chain]?.seq else { continue }
            var query = query
            guard filtered else {
                query.afterSeq = max(0, head - Int64(Self.auditPageSize))
                query.limit = Self.auditPageSize
                kept += try await vault.audit.entries(query, on: chain)
                continue
            }
            query.limit = 500
            var newest: [AuditEntry] = []
            for _ in 0..<50 {
                let page = try await vault.audit.entries(query, on: chain)
                newest = Array((newest + page.filter { outcome == nil || $0.draft.outcome == outcome }).suffix(Self.auditPageSize))
                guard page.count == query.limit, let last = page.last else { break }
                query.afterSeq = last.seq
            }
            kept += newest
        }
        return Array(kept.sorted { $0.draft.at != $1.draft.at ? $0.draft.at > $1.draft.at : $0.seq > $1.seq }.prefix(Self.auditPageSize))
    }
}
