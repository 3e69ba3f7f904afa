import Audit
import Foundation
import PostgresNIO
import Storage

extension PostgresVaultStore {
    /// Appends entries in the caller's write transaction (which holds the writer lock, so the
    /// head read here is the chain's head across all replicas). Any failure marks the sink
    /// failed and rolls the whole transaction back: nothing changes that isn't audited.
    ///
    /// Entries and their subject index rows go in one statement per thousand: a group commit of
    /// views holds up to one entry per request in flight, and one round trip per entry made the
    /// batch's round trips, not its commit, the cost of a view's audit.
    func appendAudit(_ s: PostgresSession, _ drafts: [AuditDraft], chain: HashChain) async throws {
        try await auditSink.guarded {
            let head = try await s.row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            var seq: Int64 = try head?.get("seq", as: Int64.self) ?? 0
            var previous: [UInt8] = try head.map { try $0.bytes("hash") } ?? HashChain.genesis
            for start in stride(from: 0, to: drafts.count, by: Self.auditEntriesPerStatement) {
                let chunk = drafts[start..<min(drafts.count, start + Self.auditEntriesPerStatement)]
                var binds = PostgresBindings(capacity: chunk.count * 15 + 2)
                var rows: [String] = []
                var subjectSeqs: [Int64] = []
                var subjectIDs: [String] = []
                for draft in chunk {
                    seq += 1
                    let hash = chain.hash(seq: seq, draft: draft, previous: previous)
                    let first = binds.count + 1
                    rows.append("(" + (first..<first + 15).map { "$\($0)" }.joined(separator: ", ") + ")")
                    binds.append(seq)
                    binds.append(Self.millis(draft.at))
                    binds.append(draft.requestID)
                    binds.append(draft.principal)
                    binds.append(draft.role)
                    binds.append(draft.source)
                    binds.append(draft.purpose)
                    binds.append(draft.action)
                    binds.append(Self.jsonList(draft.subjectIDs))
                    binds.append(Self.jsonList(draft.fields))
                    binds.append(draft.policyVersion)
                    binds.append(draft.outcome)
                    binds.append(draft.detail)
                    binds.append(bytea(previous))
                    binds.append(bytea(hash))
                    for subject in Set(draft.subjectIDs) {
                        subjectSeqs.append(seq)
                        subjectIDs.append(subject)
                    }
                    previous = hash
                }
                let arrays = binds.count
                binds.append(subjectSeqs)
                binds.append(subjectIDs)
                try await s.execute(
                    PostgresQuery(
                        unsafeSQL: """
                            WITH entries AS (
                                INSERT INTO audit_log (seq, at, request_id, principal, role, source, purpose, action, subject_ids, fields,
                                                       policy_version, outcome, detail, prev_hash, hash)
                                VALUES \(rows.joined(separator: ", ")))
                            INSERT INTO audit_subjects (seq, subject_id) SELECT * FROM unnest($\(arrays + 1)::bigint[], $\(arrays + 2)::text[])
                            """, binds: binds))
            }
        }
    }

    /// Entries per INSERT: a statement takes at most 65,535 bind parameters and an entry binds
    /// 15, so a group commit of more than 4,369 queued entries (a busy replica while another
    /// holds the writer lock) failed, and with it the audit sink, for good.
    static let auditEntriesPerStatement = 1000

    public func appendAudit(_ drafts: [AuditDraft], chain: HashChain) async throws {
        try await auditSink.guarded { try await write { s in try await self.appendAudit(s, drafts, chain: chain) } }
    }

    public func auditHead() async throws -> (seq: Int64, hash: [UInt8])? {
        try await session { s in
            try await s.row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").map { (try $0.get("seq", as: Int64.self), try $0.bytes("hash")) }
        }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        var filter = FilterClause()
        filter.add("a.seq > ?", query.afterSeq)
        var from = "audit_log a"
        if let subject = query.subjectID {
            from = "audit_subjects s JOIN audit_log a ON a.seq = s.seq"
            filter.add("s.subject_id = ?", subject)
        }
        if let principal = query.principal { filter.add("a.principal = ?", principal) }
        if let action = query.action { filter.add("a.action = ?", action) }
        if let requestID = query.requestID { filter.add("a.request_id = ?", requestID) }
        if let since = query.since { filter.add("a.at >= ?", Self.millis(since)) }
        if let until = query.until { filter.add("a.at < ?", Self.millis(until)) }
        let sql = "SELECT a.* FROM \(from) \(filter.sql) ORDER BY a.seq LIMIT \(max(1, min(query.limit, 10_000)))"
        let statement = PostgresQuery(unsafeSQL: sql, binds: filter.binds)
        return try await session { s in try await s.rows(statement).map(Self.auditEntry) }
    }

    static func auditEntry(_ row: PostgresRandomAccessRow) throws -> AuditEntry {
        let draft = AuditDraft(
            at: try row.date("at"), requestID: try row.get("request_id"), principal: try row.get("principal"),
            role: try row.get("role", as: String?.self), source: try row.get("source", as: String?.self),
            purpose: try row.get("purpose", as: String?.self), action: try row.get("action"),
            subjectIDs: list(try row.get("subject_ids")), fields: list(try row.get("fields")),
            policyVersion: try row.get("policy_version", as: String?.self), outcome: try row.get("outcome"),
            detail: try row.get("detail", as: String?.self))
        return AuditEntry(seq: try row.get("seq", as: Int64.self), draft: draft, previousHash: try row.bytes("prev_hash"), hash: try row.bytes("hash"))
    }

    static func jsonList(_ items: [String]) -> String { StoredList.encode(items) }
    static func list(_ text: String) -> [String] { StoredList.decode(text) }
}
