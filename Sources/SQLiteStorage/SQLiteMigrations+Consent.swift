import GRDB

extension SQLiteMigrations {
    /// v3: the consent ledger.
    ///
    /// Frozen once merged, like every migration.
    static func registerConsent(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-consent") { db in
            try db.execute(
                sql: """
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
    }
}
