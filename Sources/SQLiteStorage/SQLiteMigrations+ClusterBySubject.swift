import GRDB
import Storage

extension SQLiteMigrations {
    /// v7: a subject's rows stored together. A view reads one subject's header, field values,
    /// events and consents; in rowid tables those rows sit wherever they were appended (each
    /// source record and event batch arrives at a different time), so a view of a random subject
    /// at 1M subjects read ~20 scattered leaf pages. `WITHOUT ROWID` tables whose primary key
    /// starts with `subject_id` keep them on one or two pages per table.
    ///
    /// - `subjects`: keyed by `subject_id` itself (was a rowid table plus its key index).
    /// - `field_values`: `(subject_id, record_id, field)`, and carries its record's `source`,
    ///   which never changes, so a view needs no join to the scattered `source_records` rows;
    ///   `(record_id, field)` stays unique through an index (upserts, rewrap, cascades).
    /// - `events`: `(subject_id, occurred_at, event_row)`, the order a view lists them in;
    ///   `event_row` is now assigned by the store (`SQLiteVaultStore.nextEventRow`) and stays
    ///   unique, `(source, event_index)` too; `record_id` gets an index, for a record moving to
    ///   another subject (it was a full scan).
    /// - `consent_events`: `(subject_id, event_row)`, the ledger's order.
    /// - `source_records_subject` also covers `source`, for the view's list of sources.
    ///
    /// Frozen once merged, like every migration.
    static func registerClusterBySubject(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v7-cluster-by-subject") { db in
            try db.execute(
                sql: """
                    CREATE TABLE subjects_v7 (
                        subject_id TEXT PRIMARY KEY,
                        kek_version INTEGER NOT NULL,
                        wrapped_dek BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        merged_into TEXT,
                        restricted INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    INSERT INTO subjects_v7 (subject_id, kek_version, wrapped_dek, created_at, merged_into, restricted)
                        SELECT subject_id, kek_version, wrapped_dek, created_at, merged_into, restricted FROM subjects;
                    DROP TABLE subjects;
                    ALTER TABLE subjects_v7 RENAME TO subjects;
                    CREATE INDEX subjects_merged_into ON subjects(merged_into);

                    CREATE TABLE field_values_v7 (
                        subject_id TEXT NOT NULL,
                        record_id INTEGER NOT NULL REFERENCES source_records(record_id) ON DELETE CASCADE,
                        field TEXT NOT NULL,
                        source TEXT NOT NULL,
                        key_owner TEXT NOT NULL,
                        observed_at INTEGER NOT NULL,
                        ciphertext BLOB NOT NULL,
                        PRIMARY KEY (subject_id, record_id, field)
                    ) WITHOUT ROWID;
                    INSERT INTO field_values_v7 (subject_id, record_id, field, source, key_owner, observed_at, ciphertext)
                        SELECT f.subject_id, f.record_id, f.field, r.source, f.key_owner, f.observed_at, f.ciphertext
                        FROM field_values f JOIN source_records r ON r.record_id = f.record_id;
                    DROP TABLE field_values;
                    ALTER TABLE field_values_v7 RENAME TO field_values;
                    CREATE UNIQUE INDEX field_values_record ON field_values(record_id, field);

                    CREATE TABLE events_v7 (
                        subject_id TEXT NOT NULL,
                        occurred_at INTEGER NOT NULL,
                        event_row INTEGER NOT NULL,
                        source TEXT NOT NULL,
                        event_index BLOB NOT NULL,
                        record_id INTEGER NOT NULL,
                        key_owner TEXT NOT NULL,
                        type TEXT NOT NULL,
                        ciphertext BLOB NOT NULL,
                        PRIMARY KEY (subject_id, occurred_at, event_row)
                    ) WITHOUT ROWID;
                    INSERT INTO events_v7 (subject_id, occurred_at, event_row, source, event_index, record_id, key_owner, type, ciphertext)
                        SELECT subject_id, occurred_at, event_row, source, event_index, record_id, key_owner, type, ciphertext FROM events;
                    DROP TABLE events;
                    ALTER TABLE events_v7 RENAME TO events;
                    CREATE UNIQUE INDEX events_row ON events(event_row);
                    CREATE UNIQUE INDEX events_source_index ON events(source, event_index);
                    CREATE INDEX events_record ON events(record_id);

                    CREATE TABLE consent_events_v7 (
                        subject_id TEXT NOT NULL,
                        event_row INTEGER NOT NULL,
                        key_owner TEXT NOT NULL,
                        purpose TEXT NOT NULL,
                        status TEXT NOT NULL,
                        lawful_basis TEXT NOT NULL,
                        jurisdiction TEXT,
                        occurred_at INTEGER NOT NULL,
                        expires_at INTEGER,
                        recorded_at INTEGER NOT NULL,
                        recorded_by TEXT NOT NULL,
                        ciphertext BLOB NOT NULL,
                        PRIMARY KEY (subject_id, event_row)
                    ) WITHOUT ROWID;
                    INSERT INTO consent_events_v7 (subject_id, event_row, key_owner, purpose, status, lawful_basis, jurisdiction, occurred_at,
                                                   expires_at, recorded_at, recorded_by, ciphertext)
                        SELECT subject_id, event_row, key_owner, purpose, status, lawful_basis, jurisdiction, occurred_at,
                               expires_at, recorded_at, recorded_by, ciphertext FROM consent_events;
                    DROP TABLE consent_events;
                    ALTER TABLE consent_events_v7 RENAME TO consent_events;
                    CREATE UNIQUE INDEX consent_events_row ON consent_events(event_row);

                    DROP INDEX source_records_subject;
                    CREATE INDEX source_records_subject ON source_records(subject_id, source);
                    """)
        }
    }
}
