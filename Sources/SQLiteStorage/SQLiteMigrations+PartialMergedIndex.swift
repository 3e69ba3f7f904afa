import GRDB
import Storage

extension SQLiteMigrations {
    /// v8: `subjects_merged_into` holds merged-away subjects only. Every live subject has a NULL
    /// `merged_into`, and NULL entries sorted by their random subject id made each new subject
    /// one more random index insert for nothing: no query looks subjects up by a NULL there
    /// (live subjects are counted and paged through the primary key). `merged_into = ?`, the
    /// alias lookups of merges, rewrap and erasure, implies `IS NOT NULL`, so they keep the index.
    ///
    /// Frozen once merged, like every migration.
    static func registerPartialMergedIndex(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8-merged-into-partial-index") { db in
            try db.execute(
                sql: """
                    DROP INDEX subjects_merged_into;
                    CREATE INDEX subjects_merged_into ON subjects(merged_into) WHERE merged_into IS NOT NULL;
                    """)
        }
    }
}
