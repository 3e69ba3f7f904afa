import GRDB

extension SQLiteMigrations {
    /// v1: the keyring, vault keys, subjects, source records, field values, identifiers, events, merges and tokens.
    ///
    /// Frozen once merged, like every migration.
    static func registerFoundation(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-foundation") { db in
            try db.execute(
                sql: """
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
    }
}
