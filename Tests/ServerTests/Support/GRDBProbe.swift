import Foundation
import GRDB

/// A second connection to a vault's database file, for tests that inspect it.
struct GRDBProbe {
    let pool: DatabasePool
    init(path: String) throws { pool = try DatabasePool(path: path) }

    func blobs(_ sql: String, _ argument: String) throws -> [[UInt8]] {
        try pool.read { db in try Data.fetchAll(db, sql: sql, arguments: [argument]).map { [UInt8]($0) } }
    }
}
