import GRDB

extension SQLiteMigrations {
    /// v2: the audit chain.
    ///
    /// Frozen once merged, like every migration.
    static func registerAudit(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit_log (
                        seq INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        request_id TEXT NOT NULL,
                        principal TEXT NOT NULL,
                        role TEXT,
                        source TEXT,
                        purpose TEXT,
                        action TEXT NOT NULL,
                        subject_ids TEXT NOT NULL,
                        fields TEXT NOT NULL,
                        policy_version TEXT,
                        outcome TEXT NOT NULL,
                        detail TEXT,
                        prev_hash BLOB NOT NULL,
                        hash BLOB NOT NULL
                    );
                    CREATE INDEX audit_log_at ON audit_log(at);
                    CREATE INDEX audit_log_principal ON audit_log(principal, seq);
                    CREATE INDEX audit_log_action ON audit_log(action, seq);
                    CREATE INDEX audit_log_request ON audit_log(request_id);
                    CREATE TABLE audit_subjects (
                        seq INTEGER NOT NULL,
                        subject_id TEXT NOT NULL,
                        PRIMARY KEY (subject_id, seq)
                    ) WITHOUT ROWID;
                    """)
        }
    }
}
