import GRDB
import Storage

extension SQLiteMigrations {
    /// v10: the key-operation lease (`KeyOperationLeaseSQL`): one rotation or retirement at a
    /// time, so two concurrent rotations can't write different keys under one version.
    ///
    /// Frozen once merged, like every migration.
    static func registerKeyOperationLease(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v10-key-operation-lease") { db in
            try db.execute(
                sql: """
                    CREATE TABLE key_operation_lease (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        holder TEXT NOT NULL,
                        expires_at INTEGER NOT NULL
                    )
                    """)
        }
    }
}
