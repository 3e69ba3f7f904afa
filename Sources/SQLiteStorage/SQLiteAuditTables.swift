import Audit
import Foundation
import GRDB
import Storage

/// The SQL of an audit chain in SQLite (`audit_log` and `audit_subjects`), shared by the store's
/// chain (write entries, in their transactions) and the reads chain's own file
/// (`SQLiteReadAuditFile`): one place that says how an entry is stored, found and read back.
enum SQLiteAuditTables {
    /// Appends `drafts` continuing the chain from its stored head; returns the new head.
    @discardableResult
    static func append(_ db: Database, _ drafts: [AuditDraft], chain: HashChain) throws -> (seq: Int64, hash: [UInt8]) {
        let head = try self.head(db)
        var seq: Int64 = head?.seq ?? 0
        var previous: [UInt8] = head?.hash ?? HashChain.genesis
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
                seq, SQLiteVaultStore.millis(draft.at), draft.requestID, draft.principal, draft.role, draft.source, draft.purpose,
                draft.action, StoredList.encode(draft.subjectIDs), StoredList.encode(draft.fields), draft.policyVersion,
                draft.outcome, draft.detail, Data(previous), Data(hash),
            ])
            // A trigger can make SQLite skip an insert without an error: an entry not written is a failed append.
            guard db.changesCount == 1 else { throw StoreError.auditUnavailable }
            for subject in Set(draft.subjectIDs) {
                try db.cachedStatement(sql: "INSERT INTO audit_subjects (seq, subject_id) VALUES (?, ?)").execute(arguments: [seq, subject])
                guard db.changesCount == 1 else { throw StoreError.auditUnavailable }
            }
            previous = hash
        }
        return (seq, previous)
    }

    static func head(_ db: Database) throws -> (seq: Int64, hash: [UInt8])? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).map {
            ($0["seq"], [UInt8]($0["hash"] as Data))
        }
    }

    static func entries(_ db: Database, _ query: AuditQuery, chain: AuditChainName) throws -> [AuditEntry] {
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
            _ = arguments.append(contentsOf: [SQLiteVaultStore.millis(since)])
        }
        if let until = query.until {
            conditions.append("a.at < ?")
            _ = arguments.append(contentsOf: [SQLiteVaultStore.millis(until)])
        }
        let sql = "SELECT a.* FROM \(from) WHERE \(conditions.joined(separator: " AND ")) ORDER BY a.seq LIMIT \(max(1, min(query.limit, 10_000)))"
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { entry($0, chain: chain) }
    }

    static func entry(_ row: Row, chain: AuditChainName) -> AuditEntry {
        let draft = AuditDraft(
            at: SQLiteVaultStore.date(row["at"]), requestID: row["request_id"], principal: row["principal"], role: row["role"],
            source: row["source"], purpose: row["purpose"], action: row["action"],
            subjectIDs: StoredList.decode(row["subject_ids"]), fields: StoredList.decode(row["fields"]), policyVersion: row["policy_version"],
            outcome: row["outcome"], detail: row["detail"])
        return AuditEntry(
            chain: chain, seq: row["seq"], draft: draft, previousHash: [UInt8](row["prev_hash"] as Data), hash: [UInt8](row["hash"] as Data))
    }
}
