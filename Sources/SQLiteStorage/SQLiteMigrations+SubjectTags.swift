import GRDB

extension SQLiteMigrations {
    /// v14: an authentication tag on each subject's header (merged_into, restricted) and on each
    /// record and identifier link (which person a record or identifier belongs to), written by
    /// the store with the vault's key (`StoreRowTags`), and on each value held past an erasure
    /// (`HeldValueRow`, written by the vault). Rows from before are tagged once
    /// (`RowTagsInForce` in Vault).
    ///
    /// Frozen once merged, like every migration.
    static func registerSubjectTags(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v14-subject-tags") { db in
            try db.execute(sql: "ALTER TABLE subjects ADD COLUMN mac BLOB")
            try db.execute(sql: "ALTER TABLE source_records ADD COLUMN mac BLOB")
            try db.execute(sql: "ALTER TABLE identifiers ADD COLUMN mac BLOB")
            try db.execute(sql: "ALTER TABLE held_values ADD COLUMN mac BLOB")
        }
    }
}
