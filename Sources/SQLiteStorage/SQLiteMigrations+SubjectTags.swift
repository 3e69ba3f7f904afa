import GRDB

extension SQLiteMigrations {
    /// v14: an authentication tag on each subject's header (merged_into, restricted), written by
    /// the store with the vault's key (`SubjectHeaderTags`). Rows from before are tagged once
    /// (`RowTagsInForce` in Vault).
    ///
    /// Frozen once merged, like every migration.
    static func registerSubjectTags(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v14-subject-tags") { db in
            try db.execute(sql: "ALTER TABLE subjects ADD COLUMN mac BLOB")
        }
    }
}
