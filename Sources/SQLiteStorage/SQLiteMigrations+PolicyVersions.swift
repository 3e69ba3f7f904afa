import GRDB

extension SQLiteMigrations {
    /// v4: the applied policy bundles.
    ///
    /// Frozen once merged, like every migration.
    static func registerPolicyVersions(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-policy-versions") { db in
            try db.execute(
                sql: """
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
    }
}
