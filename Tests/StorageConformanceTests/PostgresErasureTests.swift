import Foundation
import Logging
import PostgresNIO
import PostgresStorage
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// What crypto-shredding guarantees on PostgreSQL, where a DELETE leaves the old tuple in
/// the table file until VACUUM and in the WAL until the segment is recycled (docs/postgresql.md).
@Suite("Erasure on PostgreSQL")
struct PostgresErasureTests {
    @Test(
        "after erasure no live row holds the person's key or values and VACUUM has pruned the dead rows; a copy taken before opens until the master key is rotated and the old version retired"
    )
    func cryptoShredding() async throws {
        let t = try await TemporaryVault.make(.postgres)
        defer { t.remove() }
        let ann = try await t.vault.ingest.ingest(
            records: [record("crm-1", ["email": "ann@example.com", "first_name": "Annabel"])],
            from: crm, caller: tester)[0].outcome.subjectID
        // What an attacker with a copy of the table files, the WAL or a backup taken now would hold.
        let copied = try #require(try await t.vault.store.sealedProfile(of: ann))
        let copiedKey = try #require(copied.keys[ann])
        let officer = Caller(requestID: "erase", principal: "officer", role: .compliance)
        let request = try await t.vault.requests.open(
            .init(kind: .erasure, regulation: .gdpr, subjectID: ann, identifiers: nil, receivedAt: nil),
            caller: officer)
        _ = try await t.vault.requests.verify(request.id, method: "email-link", caller: officer)
        _ = try await t.vault.requests.execute(request.id, caller: officer)

        // 1. No live row: the wrapped data key and every sealed value are gone.
        #expect(try await t.vault.store.wrappedKey(of: ann) == nil)
        #expect(try await t.vault.store.sealedRows(of: ann).isEmpty)
        // 2. A copy taken before the erasure (a dead tuple, a WAL segment, a backup) still holds
        //    the wrapped data key, which opens under the master key: the erasure alone does not
        //    shred such copies. Rotating the master key and retiring the old version does.
        #expect((try? t.vault.keys.unwrapDataKey(copiedKey, of: ann)) != nil, "before rotation, a copied wrapped key still opens")
        _ = try await t.vault.rotation.rotate(caller: officer)
        while try await t.vault.rotation.rewrapBatch(limit: 100) > 0 {}
        try await t.vault.rotation.retire(1, caller: officer)
        #expect(throws: (any Error).self) { try t.vault.keys.unwrapDataKey(copiedKey, of: ann) }
        #expect(try await t.vault.audit.verify().valid)

        // 3. Dead tuples: execute() ran the store's checkpoint, a VACUUM of the erased tables.
        //    pgstattuple reads the pages themselves (the statistics views lag behind).
        let location = try #require(t.postgres)
        let connection = try await TestPostgres.connect(to: location)
        defer { Task { try? await connection.close() } }
        try await connection.query("CREATE EXTENSION IF NOT EXISTS pgstattuple", logger: TestPostgres.logger)
        var dead = 0
        for table in ["subjects", "field_values", "source_records", "identifiers"] {
            let rows = try await connection.query("SELECT dead_tuple_count FROM pgstattuple(\(table))", logger: TestPostgres.logger)
            for try await count in rows.decode(Int.self) { dead += count }
        }
        #expect(dead == 0, "VACUUM after the erasure pruned the deleted rows (\(dead) left)")
    }

    @Test("a held value the retention sweep deletes leaves no dead tuple behind, and autovacuum visits held_values after one deletion")
    func expiredHeldValuesArePruned() async throws {
        let t = try await TemporaryVault.make(.postgres)
        defer { t.remove() }
        let ann = try await t.vault.ingest.ingest(
            records: [record("bill-1", ["email": "ann@example.com", "card_last4": "4242"])],
            from: billing, caller: tester)[0].outcome.subjectID
        let officer = Caller(requestID: "held", principal: "officer", role: .compliance)
        let opened = try await t.vault.requests.open(
            .init(kind: .erasure, regulation: .gdpr, subjectID: ann, identifiers: nil, receivedAt: nil), caller: officer)
        _ = try await t.vault.requests.verify(opened.id, method: "email-link", caller: officer)
        _ = try await t.vault.requests.execute(opened.id, caller: officer)
        #expect(try await t.vault.store.heldValues(of: ann).count == 1, "the card digits are kept under the legal hold")

        let report = try await t.vault.retention.run(dryRun: false, caller: tester, now: Date().addingTimeInterval(3651 * 86_400))
        #expect(report.held == 1)
        let location = try #require(t.postgres)
        let connection = try await TestPostgres.connect(to: location)
        defer { Task { try? await connection.close() } }
        try await connection.query("CREATE EXTENSION IF NOT EXISTS pgstattuple", logger: TestPostgres.logger)
        var dead = -1
        for try await count in try await connection.query("SELECT dead_tuple_count FROM pgstattuple('held_values')", logger: TestPostgres.logger).decode(
            Int.self)
        {
            dead = count
        }
        #expect(dead == 0, "the sweep's VACUUM pruned the expired held value")
        var options: [String] = []
        for try await value in try await connection.query(
            "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'held_values'",
            logger: TestPostgres.logger
        ).decode(String?.self) { options.append(value ?? "") }
        #expect(options.first?.contains("autovacuum_vacuum_threshold=1") == true, "\(options)")
    }
}
