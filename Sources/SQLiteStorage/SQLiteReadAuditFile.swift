import Audit
import Foundation
import GRDB
import Storage

/// The reads chain (`AuditChainName.reads`) in a SQLite file of its own, beside the store's
/// (`audit-reads.sqlite`): a view's audit entry commits here, so the store's file, its WAL and
/// its readers' page caches see no commit per view, and the audit log no longer grows inside
/// the store and its backups. One writer (the vault's audit thread) appends; every commit is
/// durable (WAL, `synchronous = FULL`) before the callers it covers are answered.
public final class SQLiteReadAuditFile: AuditChainStorage, SynchronousAuditAppending {
    public static let fileName = "audit-reads.sqlite"

    let pool: DatabasePool
    public let auditSink = AuditSinkState()

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets NORMAL on the writer when it turns WAL on, after `prepareDatabase`: in WAL
        // mode NORMAL answers a commit before its fsync. FULL, on the writer that appends.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrator().migrate(pool)
    }

    /// The file's schema; frozen once merged, like the store's migrations.
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("reads-v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit_log (
                        seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, request_id TEXT NOT NULL, principal TEXT NOT NULL, role TEXT,
                        source TEXT, purpose TEXT, action TEXT NOT NULL, subject_ids TEXT NOT NULL, fields TEXT NOT NULL,
                        policy_version TEXT, outcome TEXT NOT NULL, detail TEXT, prev_hash BLOB NOT NULL, hash BLOB NOT NULL
                    );
                    CREATE INDEX audit_log_at ON audit_log(at);
                    CREATE INDEX audit_log_principal ON audit_log(principal, seq);
                    CREATE INDEX audit_log_action ON audit_log(action, seq);
                    CREATE INDEX audit_log_request ON audit_log(request_id);
                    CREATE TABLE audit_subjects (seq INTEGER NOT NULL, subject_id TEXT NOT NULL, PRIMARY KEY (subject_id, seq)) WITHOUT ROWID;
                    """)
        }
        return migrator
    }

    /// One transaction, synced, on the calling thread (the vault's audit thread, never a
    /// cooperative one). Any failure fails the sink for good (`AuditSinkState`). The head is
    /// read in the transaction (one B-tree step per batch), not kept in memory: a second vault
    /// opened on the same directory (tests, a restore check) appends to the same chain.
    public func appendAuditOnCallingThread(_ drafts: [AuditDraft], chain: HashChain) throws {
        try auditSink.guardedNow {
            try pool.write { db in try SQLiteAuditTables.append(db, drafts, chain: chain) }
        }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await pool.read { try SQLiteAuditTables.entries($0, query, chain: .reads) }
    }

    public func auditHead() async throws -> (seq: Int64, hash: [UInt8])? {
        try await pool.read { try SQLiteAuditTables.head($0) }
    }
}
