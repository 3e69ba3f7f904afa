import GRDB
import Storage

extension SQLiteMigrations {
    /// v13: an authentication tag on requests (`RowAuthenticator`): a request's status, dates
    /// and receipt can't be changed in the database unnoticed.
    ///
    /// Frozen once merged, like every migration.
    static func registerRequestTags(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v13-request-tags") { db in
            try db.execute(sql: "ALTER TABLE requests ADD COLUMN mac BLOB")
        }
    }
}
