import Foundation
import GRDB
import Testing

@testable import SQLiteStorage
@testable import Storage

/// The SQLite statements a view, a merge, a rewrap and an erasure run must search an index, not
/// scan a table: at a million subjects a scan takes seconds. The plans come from SQLite itself
/// (`EXPLAIN QUERY PLAN`) on a migrated store.
@Suite("SQLite query plans")
struct SQLiteQueryPlanTests {
    static let statements: [(sql: String, index: String)] = [
        // A view (SQLiteVaultStore.profile), by the subject-first primary keys of migration v7.
        ("SELECT merged_into, created_at, restricted, kek_version, wrapped_dek FROM subjects WHERE subject_id = ?", "PRIMARY KEY"),
        ("SELECT field, source, key_owner, observed_at, ciphertext FROM field_values WHERE subject_id = ?", "PRIMARY KEY"),
        ("SELECT DISTINCT source FROM source_records WHERE subject_id = ?", "source_records_subject"),
        ("SELECT source, key_owner, type, occurred_at, ciphertext FROM events WHERE subject_id = ? ORDER BY occurred_at DESC", "PRIMARY KEY"),
        ("SELECT event_row, ciphertext FROM consent_events WHERE subject_id = ? ORDER BY event_row", "PRIMARY KEY"),
        // Alias lookups (merges, rewrap, erasure) on the partial index of migration v8.
        ("SELECT subject_id FROM subjects WHERE merged_into = ?", "subjects_merged_into"),
        ("DELETE FROM subjects WHERE subject_id = ? OR merged_into = ?", "subjects_merged_into"),
        ("UPDATE subjects SET merged_into = ? WHERE subject_id = ? OR merged_into = ?", "subjects_merged_into"),
        // A record moving to another subject, and the next event row.
        ("UPDATE events SET subject_id = ? WHERE record_id = ?", "events_record"),
        ("UPDATE field_values SET subject_id = ? WHERE record_id = ?", "field_values_record"),
        ("SELECT MAX(event_row) FROM events", "events_row"),
        ("SELECT MAX(event_row) FROM consent_events", "consent_events_row"),
        // The rewrap's walk (a range of the primary key) and an erasure's lineage delete (v9).
        (
            "SELECT subject_id, kek_version, wrapped_dek FROM subjects WHERE subject_id > ? AND kek_version != ? ORDER BY subject_id LIMIT ?",
            "PRIMARY KEY (subject_id>?)"
        ),
        ("DELETE FROM merges WHERE winner = ? OR loser = ?", "merges_loser"),
    ]

    @Test("hot and per-subject statements search an index", arguments: statements.indices)
    func searchesAnIndex(_ index: Int) async throws {
        let (sql, expected) = Self.statements[index]
        let file = try TemporaryStoreFile()
        defer { file.remove() }
        let store = try SQLiteVaultStore(path: file.path)
        let plan = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(Array(repeating: "x", count: sql.filter { $0 == "?" }.count)))
                .map { $0["detail"] as String }
        }
        #expect(!plan.isEmpty)
        #expect(plan.allSatisfy { !$0.hasPrefix("SCAN") }, "\(sql): \(plan)")
        #expect(plan.contains { $0.contains(expected) }, "\(sql): \(plan)")
    }

    @Test("subjects_merged_into holds merged-away subjects only (live ones would be random inserts for nothing)")
    func mergedIntoIndexIsPartial() async throws {
        let file = try TemporaryStoreFile()
        defer { file.remove() }
        let store = try SQLiteVaultStore(path: file.path)
        let sql = try await store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'subjects_merged_into'")
        }
        #expect(sql?.hasSuffix("WHERE merged_into IS NOT NULL") == true, "\(sql ?? "no index")")
    }
}
