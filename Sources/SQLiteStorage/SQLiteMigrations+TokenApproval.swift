import GRDB
import Storage

extension SQLiteMigrations {
    /// v12: dual control (`TokenService.approve`): a token may wait for a second principal's
    /// approval, and records who created it.
    ///
    /// Frozen once merged, like every migration.
    static func registerTokenApproval(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v12-token-approval") { db in
            try db.execute(sql: "ALTER TABLE tokens ADD COLUMN approval INTEGER NOT NULL DEFAULT 0")
            try db.execute(sql: "ALTER TABLE tokens ADD COLUMN created_by TEXT")
        }
    }
}
