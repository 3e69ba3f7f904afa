import GRDB

extension SQLiteMigrations {
    /// v5: data-subject requests, suppressions of erased people, the outbox of notices to sources and values held after an erasure.
    ///
    /// Frozen once merged, like every migration.
    static func registerRequests(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-requests") { db in
            try db.execute(
                sql: """
                    CREATE TABLE requests (
                        request_id TEXT PRIMARY KEY,
                        kind TEXT NOT NULL,
                        regulation TEXT NOT NULL,
                        subject_id TEXT,
                        status TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        due_at INTEGER NOT NULL,
                        extended_due_at INTEGER,
                        extension_reason TEXT,
                        duplicate_of TEXT,
                        verification_method TEXT,
                        verified_at INTEGER,
                        started_at INTEGER,
                        completed_at INTEGER,
                        rejected_reason TEXT,
                        purposes TEXT,
                        sealed_details BLOB,
                        receipt TEXT,
                        created_at INTEGER NOT NULL,
                        created_by TEXT NOT NULL
                    );
                    CREATE INDEX requests_status ON requests(status, due_at);
                    CREATE INDEX requests_subject ON requests(subject_id, kind);
                    CREATE TABLE suppressions (
                        blind_index BLOB PRIMARY KEY,
                        request_id TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE outbox (
                        notice_id TEXT PRIMARY KEY,
                        source TEXT NOT NULL,
                        request_id TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        subject_id TEXT NOT NULL,
                        sealed_key BLOB,
                        created_at INTEGER NOT NULL,
                        acked_at INTEGER
                    );
                    CREATE INDEX outbox_source ON outbox(source, acked_at);
                    CREATE TABLE held_values (
                        subject_id TEXT NOT NULL,
                        field TEXT NOT NULL,
                        category TEXT NOT NULL,
                        basis TEXT NOT NULL,
                        held_until INTEGER NOT NULL,
                        ciphertext BLOB NOT NULL,
                        PRIMARY KEY (subject_id, field)
                    );
                    """)
        }
    }
}
