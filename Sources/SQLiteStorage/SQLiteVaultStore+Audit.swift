import Audit
import Foundation
import GRDB
import Storage

extension SQLiteVaultStore: SynchronousAuditAppending {
    /// Appends entries in the caller's transaction, continuing the chain from its head.
    /// Any failure marks the sink failed and surfaces as `auditUnavailable`, which rolls
    /// back the whole transaction: nothing is changed that isn't audited.
    func appendAudit(_ db: Database, _ drafts: [AuditDraft], chain: HashChain) throws {
        guard !auditSink.isFailed else { throw StoreError.auditUnavailable }
        do {
            let head = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"))
            var seq: Int64 = head?["seq"] ?? 0
            var previous: [UInt8] = head.map { [UInt8]($0["hash"] as Data) } ?? HashChain.genesis
            for draft in drafts {
                seq += 1
                let hash = chain.hash(seq: seq, draft: draft, previous: previous)
                try db.cachedStatement(
                    sql: """
                        INSERT INTO audit_log (seq, at, request_id, principal, role, source, purpose, action, subject_ids, fields,
                                               policy_version, outcome, detail, prev_hash, hash)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    seq, Self.millis(draft.at), draft.requestID, draft.principal, draft.role, draft.source, draft.purpose,
                    draft.action, Self.jsonList(draft.subjectIDs), Self.jsonList(draft.fields), draft.policyVersion,
                    draft.outcome, draft.detail, Data(previous), Data(hash),
                ])
                for subject in Set(draft.subjectIDs) {
                    try db.cachedStatement(sql: "INSERT INTO audit_subjects (seq, subject_id) VALUES (?, ?)").execute(arguments: [seq, subject])
                }
                previous = hash
            }
        } catch {
            auditSink.markFailed()
            throw StoreError.auditUnavailable
        }
    }

    public func appendAudit(_ drafts: [AuditDraft], chain: HashChain) async throws {
        try await auditSink.guarded {
            try await pool.write { db in try self.appendAuditOnly(db, drafts, chain: chain) }
        }
    }

    /// Blocks the calling thread while the writer is busy: for a moment, as the reads of
    /// `readOnCallingThread` may; only one caller at a time appends (`AuditLog`'s group commit).
    public func appendAuditOnCallingThread(_ drafts: [AuditDraft], chain: HashChain) throws {
        try auditSink.guardedNow {
            try pool.write { db in try self.appendAuditOnly(db, drafts, chain: chain) }
        }
    }

    /// A transaction of audit entries alone, which pinned readers may read past.
    private func appendAuditOnly(_ db: Database, _ drafts: [AuditDraft], chain: HashChain) throws {
        try appendAudit(db, drafts, chain: chain)
        readers.nextCommitIsAuditOnly(db)
    }

    public func auditHead() async throws -> (seq: Int64, hash: [UInt8])? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").map { ($0["seq"], [UInt8]($0["hash"] as Data)) }
        }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await pool.read { db in
            var conditions = ["a.seq > ?"]
            var arguments: StatementArguments = [query.afterSeq]
            var from = "audit_log a"
            if let subject = query.subjectID {
                from = "audit_subjects s JOIN audit_log a ON a.seq = s.seq"
                conditions.append("s.subject_id = ?")
                _ = arguments.append(contentsOf: [subject])
            }
            if let principal = query.principal {
                conditions.append("a.principal = ?")
                _ = arguments.append(contentsOf: [principal])
            }
            if let action = query.action {
                conditions.append("a.action = ?")
                _ = arguments.append(contentsOf: [action])
            }
            if let requestID = query.requestID {
                conditions.append("a.request_id = ?")
                _ = arguments.append(contentsOf: [requestID])
            }
            if let since = query.since {
                conditions.append("a.at >= ?")
                _ = arguments.append(contentsOf: [Self.millis(since)])
            }
            if let until = query.until {
                conditions.append("a.at < ?")
                _ = arguments.append(contentsOf: [Self.millis(until)])
            }
            let sql = "SELECT a.* FROM \(from) WHERE \(conditions.joined(separator: " AND ")) ORDER BY a.seq LIMIT \(max(1, min(query.limit, 10_000)))"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.auditEntry)
        }
    }

    static func auditEntry(_ row: Row) -> AuditEntry {
        let draft = AuditDraft(
            at: date(row["at"]), requestID: row["request_id"], principal: row["principal"], role: row["role"],
            source: row["source"], purpose: row["purpose"], action: row["action"],
            subjectIDs: list(row["subject_ids"]), fields: list(row["fields"]), policyVersion: row["policy_version"],
            outcome: row["outcome"], detail: row["detail"])
        return AuditEntry(seq: row["seq"], draft: draft, previousHash: [UInt8](row["prev_hash"] as Data), hash: [UInt8](row["hash"] as Data))
    }

    static func jsonList(_ items: [String]) -> String { StoredList.encode(items) }
    static func list(_ text: String) -> [String] { StoredList.decode(text) }
}
