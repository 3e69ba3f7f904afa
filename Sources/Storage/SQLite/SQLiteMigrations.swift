import GRDB

/// The SQLite schema. One migration per version; a merged migration is frozen.
enum SQLiteMigrations {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-foundation") { db in
            try db.execute(sql: """
                CREATE TABLE keyring (
                    version INTEGER PRIMARY KEY,
                    check_value BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    state TEXT NOT NULL
                );
                CREATE TABLE vault_keys (
                    name TEXT PRIMARY KEY,
                    kek_version INTEGER NOT NULL,
                    wrapped BLOB NOT NULL
                );
                CREATE TABLE subjects (
                    subject_id TEXT PRIMARY KEY,
                    kek_version INTEGER NOT NULL,
                    wrapped_dek BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    merged_into TEXT,
                    restricted INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX subjects_merged_into ON subjects(merged_into);
                CREATE TABLE source_records (
                    record_id INTEGER PRIMARY KEY,
                    source TEXT NOT NULL,
                    key_index BLOB NOT NULL,
                    bi_version INTEGER NOT NULL,
                    subject_id TEXT NOT NULL,
                    key_owner TEXT NOT NULL,
                    key_ciphertext BLOB NOT NULL,
                    first_seen_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    UNIQUE (source, key_index)
                );
                CREATE INDEX source_records_subject ON source_records(subject_id);
                CREATE TABLE field_values (
                    record_id INTEGER NOT NULL REFERENCES source_records(record_id) ON DELETE CASCADE,
                    field TEXT NOT NULL,
                    subject_id TEXT NOT NULL,
                    key_owner TEXT NOT NULL,
                    observed_at INTEGER NOT NULL,
                    ciphertext BLOB NOT NULL,
                    PRIMARY KEY (record_id, field)
                );
                CREATE INDEX field_values_subject ON field_values(subject_id);
                CREATE TABLE identifiers (
                    record_id INTEGER NOT NULL REFERENCES source_records(record_id) ON DELETE CASCADE,
                    field TEXT NOT NULL,
                    bi_version INTEGER NOT NULL,
                    blind_index BLOB NOT NULL,
                    subject_id TEXT NOT NULL,
                    PRIMARY KEY (record_id, field)
                );
                CREATE INDEX identifiers_blind_index ON identifiers(blind_index);
                CREATE INDEX identifiers_subject ON identifiers(subject_id);
                CREATE TABLE events (
                    event_row INTEGER PRIMARY KEY,
                    source TEXT NOT NULL,
                    event_index BLOB NOT NULL,
                    record_id INTEGER NOT NULL,
                    subject_id TEXT NOT NULL,
                    key_owner TEXT NOT NULL,
                    type TEXT NOT NULL,
                    occurred_at INTEGER NOT NULL,
                    ciphertext BLOB NOT NULL,
                    UNIQUE (source, event_index)
                );
                CREATE INDEX events_subject ON events(subject_id, occurred_at);
                CREATE TABLE merges (
                    merge_id INTEGER PRIMARY KEY,
                    winner TEXT NOT NULL,
                    loser TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    merged_at INTEGER NOT NULL,
                    record_ids TEXT NOT NULL
                );
                CREATE INDEX merges_winner ON merges(winner);
                CREATE TABLE tokens (
                    token_id TEXT PRIMARY KEY,
                    principal TEXT NOT NULL,
                    role TEXT,
                    source TEXT,
                    token_hash BLOB NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER
                );
                """)
        }
        migrator.registerMigration("v2-audit") { db in
            try db.execute(sql: """
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
        migrator.registerMigration("v3-consent") { db in
            try db.execute(sql: """
                CREATE TABLE consent_events (
                    event_row INTEGER PRIMARY KEY,
                    subject_id TEXT NOT NULL,
                    key_owner TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    status TEXT NOT NULL,
                    lawful_basis TEXT NOT NULL,
                    jurisdiction TEXT,
                    occurred_at INTEGER NOT NULL,
                    expires_at INTEGER,
                    recorded_at INTEGER NOT NULL,
                    recorded_by TEXT NOT NULL,
                    ciphertext BLOB NOT NULL
                );
                CREATE INDEX consent_events_subject ON consent_events(subject_id, event_row);
                """)
        }
        migrator.registerMigration("v4-policy-versions") { db in
            try db.execute(sql: """
                CREATE TABLE policy_versions (
                    version INTEGER PRIMARY KEY,
                    digest TEXT NOT NULL,
                    applied_at INTEGER NOT NULL,
                    applied_by TEXT NOT NULL,
                    files TEXT NOT NULL,
                    diff TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v5-requests") { db in
            try db.execute(sql: """
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
        migrator.registerMigration("v6-console-sessions") { db in
            try db.execute(sql: """
                CREATE TABLE console_sessions (
                    id_hash BLOB PRIMARY KEY,
                    sealed BLOB NOT NULL,
                    expires_at INTEGER NOT NULL
                );
                """)
        }
        registerClusterBySubject(&migrator)
        registerPartialMergedIndex(&migrator)
        registerMergesLoserIndex(&migrator)
        registerKeyOperationLease(&migrator)
        registerRowTags(&migrator)
        registerTokenApproval(&migrator)
        registerRequestTags(&migrator)
        return migrator
    }
}
