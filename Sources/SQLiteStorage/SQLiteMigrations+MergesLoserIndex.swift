import GRDB
import Storage

extension SQLiteMigrations {
    /// v9: `merges(loser)`. An erasure deletes the lineage of every key owner it shreds with
    /// `winner = ? OR loser = ?`; with only `merges_winner` that scanned the whole merges table
    /// once per key owner, so erasure time grew with the number of merges ever made. The
    /// PostgreSQL store has had this index from its first migration.
    ///
    /// Frozen once merged, like every migration.
    static func registerMergesLoserIndex(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-merges-loser-index") { db in
            try db.execute(sql: "CREATE INDEX merges_loser ON merges(loser)")
        }
    }
}
