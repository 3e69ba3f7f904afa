import Foundation
import GRDB
import Testing
import VaultModel

@testable import SQLiteStorage
@testable import Storage

/// Migration v7 rebuilds the per-subject tables clustered by subject id. A store written by v6
/// must read back the same after it: every value, event and consent, their order, merges, and
/// row numbers that new rows continue from.
@Suite("SQLite migration v7: tables clustered by subject")
struct SQLiteClusterMigrationTests {
    let ann = SubjectID(UUID(uuidString: "0A000000-0000-4000-8000-000000000001")!)
    let alias = SubjectID(UUID(uuidString: "0B000000-0000-4000-8000-000000000002")!)
    let bob = SubjectID(UUID(uuidString: "0C000000-0000-4000-8000-000000000003")!)

    /// A v6 store file with Ann (two records, values sealed by her and by a merged-away alias,
    /// three events, two consents) and Bob interleaved between her rows, as ingest leaves them.
    func writeVersion6Store(at path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try SQLiteMigrations.migrator().migrate(queue, upTo: "v6-console-sessions")
        try queue.write { db in
            let (a, b, x) = (ann.description, bob.description, alias.description)
            try db.execute(
                sql: """
                    INSERT INTO subjects (subject_id, kek_version, wrapped_dek, created_at, merged_into, restricted) VALUES
                        (?, 1, x'AA', 1000, NULL, 1), (?, 1, x'BB', 2000, NULL, 0), (?, 1, x'CC', 3000, ?, 0);
                    INSERT INTO source_records (record_id, source, key_index, bi_version, subject_id, key_owner, key_ciphertext, first_seen_at, updated_at) VALUES
                        (1, 'crm', x'01', 1, ?, ?, x'E1', 1000, 1000), (2, 'crm', x'02', 1, ?, ?, x'E2', 2000, 2000),
                        (3, 'billing', x'03', 1, ?, ?, x'E3', 3000, 3000);
                    INSERT INTO field_values (record_id, field, subject_id, key_owner, observed_at, ciphertext) VALUES
                        (1, 'email', ?, ?, 1000, x'F1'), (2, 'email', ?, ?, 2000, x'F2'), (3, 'iban', ?, ?, 3000, x'F3'), (1, 'first_name', ?, ?, 1000, x'F4');
                    INSERT INTO events (event_row, source, event_index, record_id, subject_id, key_owner, type, occurred_at, ciphertext) VALUES
                        (1, 'crm', x'A1', 1, ?, ?, 'order', 5000, x'D1'), (2, 'crm', x'A2', 2, ?, ?, 'order', 5500, x'D2'),
                        (3, 'billing', x'A3', 3, ?, ?, 'invoice', 7000, x'D3'), (4, 'crm', x'A4', 1, ?, ?, 'ticket', 6000, x'D4');
                    INSERT INTO consent_events (event_row, subject_id, key_owner, purpose, status, lawful_basis, jurisdiction, occurred_at,
                                                expires_at, recorded_at, recorded_by, ciphertext) VALUES
                        (1, ?, ?, 'marketing.email', 'granted', 'consent', 'EU', 1000, NULL, 1000, 'tester', x'C1'),
                        (2, ?, ?, 'marketing.email', 'granted', 'consent', NULL, 1500, NULL, 1500, 'tester', x'C2'),
                        (3, ?, ?, 'marketing.email', 'withdrawn', 'consent', 'EU', 2000, 9000, 2000, 'tester', x'C3');
                    """,
                arguments: [
                    a, b, x, a,
                    a, a, b, b, a, x,
                    a, a, b, b, a, x, a, a,
                    a, a, b, b, a, x, a, a,
                    a, a, b, b, a, a,
                ])
        }
    }

    @Test("a v6 store reads back the same after v7, and new rows number on from the old ones")
    func version6StoreMigrates() async throws {
        let file = try TemporaryStoreFile()
        defer { file.remove() }
        let path = file.path
        try writeVersion6Store(at: path)

        let store = try SQLiteVaultStore(path: path)
        let wal = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int
        #expect(wal == 0, "the migration's pages were checkpointed and the WAL emptied")
        let profile = try #require(try await store.sealedProfile(of: ann))
        #expect(profile.subjectID == ann)
        #expect(profile.restricted)
        #expect(profile.createdAt == Date(timeIntervalSince1970: 1))
        #expect(Set(profile.keys.keys) == [ann, alias])
        let fields = profile.fields.map { "\($0.field.rawValue)@\($0.source.rawValue):\($0.keyOwner == alias ? "alias" : "ann"):\($0.ciphertext)" }
        #expect(fields.sorted() == ["email@crm:ann:[241]", "first_name@crm:ann:[244]", "iban@billing:alias:[243]"])
        #expect(profile.events.map(\.ciphertext) == [[0xD3], [0xD4], [0xD1]], "newest first")
        #expect(profile.events.map(\.source.rawValue) == ["billing", "crm", "crm"])
        #expect(profile.consents.map(\.sequence) == [1, 3])
        #expect(profile.consents.map(\.jurisdiction) == ["EU", "EU"])
        #expect(profile.consents.last?.expiresAt == Date(timeIntervalSince1970: 9))
        #expect(profile.sources.map(\.rawValue) == ["billing", "crm"])
        // The merged-away alias still resolves to Ann.
        #expect(try await store.sealedProfile(of: alias)?.subjectID == ann)
        #expect(try #require(try await store.sealedProfile(of: bob)).fields.map(\.ciphertext) == [[0xF2]])

        let (foreignKeyProblems, integrity, nextEvent, nextConsent, tables) = try await store.pool.read { db in
            (
                try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count,
                try String.fetchOne(db, sql: "PRAGMA integrity_check"),
                try SQLiteVaultStore.nextEventRow(db, in: "events"),
                try SQLiteVaultStore.nextEventRow(db, in: "consent_events"),
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%WITHOUT ROWID' ORDER BY name
                        """)
            )
        }
        #expect(foreignKeyProblems == 0)
        #expect(integrity == "ok")
        #expect(nextEvent == 5 && nextConsent == 4)
        #expect(Set(tables).isSuperset(of: ["subjects", "field_values", "events", "consent_events"]), "clustered by subject")
        // Erasing a record still takes its values along (the foreign key survived the rebuild).
        try await store.pool.write { try $0.execute(sql: "DELETE FROM source_records WHERE record_id = 2") }
        #expect(try #require(try await store.sealedProfile(of: bob)).fields.isEmpty)
    }

    @Test("an empty store numbers its first event and consent rows from one")
    func emptyStoreNumbersFromOne() async throws {
        let file = try TemporaryStoreFile()
        defer { file.remove() }
        let store = try SQLiteVaultStore(path: file.path)
        let next = try await store.pool.read { db in
            (try SQLiteVaultStore.nextEventRow(db, in: "events"), try SQLiteVaultStore.nextEventRow(db, in: "consent_events"))
        }
        #expect(next == (1, 1))
    }
}
