import Foundation
import GRDB

extension SQLiteVaultStore {
    /// A consistent copy of the live database (`VACUUM INTO`: compacted, no free pages, so no
    /// residue of deleted rows) written to `path`, while the vault keeps serving reads.
    public func backup(to path: String) async throws {
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM INTO ?", arguments: [path])
        }
    }
}
