import GRDB

extension SQLiteMigrations {
    /// v15: sealed event totals per (record, key owner) (`EventTotalsGroup`), so a view reads a
    /// few small rows instead of every event of the person. Keyed by subject first, like the
    /// tables v7 clustered, so a subject's rows share a page. Existing groups start pending
    /// (NULL): the store can't compute sealed figures, the vault seals them when it opens
    /// (`EventTotalsHealer`) and views compute the figures from the events meanwhile.
    ///
    /// Frozen once merged, like every migration.
    static func registerEventTotals(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v15-event-totals") { db in
            try db.execute(
                sql: """
                    CREATE TABLE event_totals (
                        subject_id TEXT NOT NULL, record_id INTEGER NOT NULL, key_owner TEXT NOT NULL, ciphertext BLOB,
                        PRIMARY KEY (subject_id, record_id, key_owner)
                    ) WITHOUT ROWID;
                    CREATE UNIQUE INDEX event_totals_group ON event_totals(record_id, key_owner);
                    CREATE INDEX event_totals_pending ON event_totals(subject_id) WHERE ciphertext IS NULL;
                    INSERT OR IGNORE INTO event_totals (subject_id, record_id, key_owner, ciphertext)
                        SELECT MIN(subject_id), record_id, key_owner, NULL FROM events GROUP BY record_id, key_owner;
                    """)
        }
    }
}
