import GRDB
import Storage

extension SQLiteMigrations {
    /// v11: an authentication tag on every row that carries an authorization decision
    /// (`RowAuthenticator` in Vault): tokens and policy versions. Rows written before it get
    /// their tag once (`RowTagsInForce` in Vault); a row without one afterwards was written
    /// outside the vault.
    ///
    /// Frozen once merged, like every migration.
    static func registerRowTags(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v11-row-tags") { db in
            try db.execute(sql: "ALTER TABLE tokens ADD COLUMN mac BLOB")
            try db.execute(sql: "ALTER TABLE policy_versions ADD COLUMN mac BLOB")
        }
    }
}
