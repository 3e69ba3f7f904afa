import GRDB

extension SQLiteMigrations {
    /// v6: the console's sealed sessions.
    ///
    /// Frozen once merged, like every migration.
    static func registerConsoleSessions(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6-console-sessions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE console_sessions (
                        id_hash BLOB PRIMARY KEY,
                        sealed BLOB NOT NULL,
                        expires_at INTEGER NOT NULL
                    );
                    """)
        }
    }
}
