import Foundation
import GRDB
import SQLiteStorage
import Storage
import Testing
import VaultAPI
import VaultModel

@testable import Vault

/// Storage faults in process: a full database (SQLite's page limit, which answers
/// SQLITE_FULL exactly as a full disk does), tampered and misplaced ciphertext.
@Suite("HTTP: storage faults")
struct StorageFaultHTTPTests {
    static func batch(_ n: Int) -> String {
        let records = (0..<20).map { j in
            #"{"key": "full-\#(n)-\#(j)", "fields": {"email": "full-\#(n)-\#(j)@example.com", "first_name": "\#(String(repeating: "F", count: 400))"}}"#
        }
        return #"{"records": [\#(records.joined(separator: ","))]}"#
    }

    @Test("disk full: writes and audited reads fail closed with 503, acknowledged batches survive, nothing half-written, fine after restart")
    func diskFull() async throws {
        let h = try await ServerHarness.make()
        let outcome = Outcome()
        try await h.run(keep: true) { client in
            let store = try #require(h.temporary.vault.store as? SQLiteVaultStore)
            _ = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: Self.batch(0))
            await outcome.acknowledge(0)
            // A full disk fills both files: the store's and the reads chain's.
            let reads = try #require(await h.temporary.vault.audit.reads as? SQLiteReadAuditFile)
            try await store.limitPages(to: try await store.pageCount() + 40)
            try await reads.limitPages(to: try await reads.pageCount() + 2)
            for n in 1...200 {
                let reply = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: Self.batch(n))
                if reply.status == 200 {
                    await outcome.acknowledge(n)
                    continue
                }
                #expect(reply.status == 503, "\(reply.text)")
                #expect(["storage-unavailable", "audit-unavailable"].contains(reply.problem?.slug ?? ""), "\(reply.text)")
                #expect(!reply.text.contains("full-\(n)"))
                await outcome.refuse(n)
                break
            }
            #expect(await outcome.refused != nil, "the page limit never filled")
            // Audited reads fail closed: each needs an entry the database cannot take.
            let id = try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "full-0-0@example.com"}}"#)
            var readRefused = id.status == 503
            for _ in 0..<300 where !readRefused {
                let view = try await client.call(
                    .post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "full-0-1@example.com"}}"#)
                if view.status != 200 {
                    #expect(view.status == 503 && view.problem?.slug == "audit-unavailable", "\(view.text)")
                    readRefused = true
                }
            }
            #expect(readRefused, "reads went on while no audit entry could be written")
            #expect(try await client.call(.get, "/readyz").status == 503)
            try await store.limitPages(to: nil)  // space returns
            try await reads.limitPages(to: nil)
        }
        // Restart: the chain verifies, the file is sound, every acknowledged batch is whole, the refused one absent.
        let restarted = try await h.temporary.reopen()
        defer { h.temporary.remove() }
        #expect(try await restarted.audit.verify().valid)
        let probe = try GRDBProbe(path: h.temporary.databasePath)
        let integrity = try await probe.pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
        #expect(integrity == "ok")
        let caller = Caller(requestID: "after", principal: "test")
        func stored(_ n: Int) async throws -> Int {
            var found = 0
            for j in 0..<20 where try await !restarted.lookup.lookup(["email": .string("full-\(n)-\(j)@example.com")], caller: caller).isEmpty { found += 1 }
            return found
        }
        let acknowledged = await outcome.acknowledged
        #expect(acknowledged.count >= 1)
        for n in acknowledged {
            let count = try await stored(n)
            #expect(count == 20, "batch \(n) acknowledged but \(count) of 20 records stored")
        }
        if let refused = await outcome.refused {
            #expect(try await stored(refused) == 0, "the refused batch was half written")
        }
        let again = try await restarted.ingest.ingest(
            records: [.object(["key": .string("after-1"), "fields": .object(["email": .string("after@example.com")])])],
            from: SourceName("crm")!, caller: caller)
        #expect(again.count == 1)
        print("Disk full: \(acknowledged.count) batches acknowledged before the limit, all present after restart; refused batch absent")
    }

    actor Outcome {
        var acknowledged: [Int] = []
        var refused: Int?
        func acknowledge(_ n: Int) { acknowledged.append(n) }
        func refuse(_ n: Int) { refused = n }
    }

    @Test("tampered or misplaced ciphertext: 500 integrity-error without data, logged without values")
    func tamperedCiphertext() async throws {
        let h = try await ServerHarness.make()
        let logs = LogCapture()
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src"])
        try await h.run(logs: logs) { client in
            let id = try await RequestsHTTPTests.seedPerson(client, h, tokens: extra)
            let other = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm,
                json: #"{"records": [{"key": "o-1", "fields": {"email": "other.person@example.com", "first_name": "Otto"}}]}"#
            )
            .decode(IngestRecordsResponse.self).results[0].subject_id!
            let probe = try GRDBProbe(path: h.temporary.databasePath)
            // One flipped bit in one stored value.
            try await probe.pool.write { db in
                let row = try #require(
                    try Row.fetchOne(
                        db, sql: "SELECT record_id, field, ciphertext FROM field_values WHERE subject_id = ? AND field = 'email' LIMIT 1", arguments: [id]))
                var bytes = [UInt8](row["ciphertext"] as Data)
                bytes[bytes.count / 2] ^= 0x01
                try db.execute(
                    sql: "UPDATE field_values SET ciphertext = ? WHERE record_id = ? AND field = 'email'", arguments: [Data(bytes), row["record_id"] as Int64])
            }
            // Written by another connection: vaultd's per-request reads see it within this bound.
            try await Task.sleep(for: SQLiteVaultStore.foreignCommitVisibility + .milliseconds(20))
            let view = try await client.call(.get, "/v1/subjects/\(id)", token: h.compliance, purpose: "essential")
            #expect(view.status == 500 && view.problem?.slug == "integrity-error", "\(view.status) \(view.text.prefix(200))")
            // A value of one subject moved under another.
            try await probe.pool.write { db in
                try db.execute(sql: "UPDATE field_values SET subject_id = ? WHERE subject_id = ? AND field = 'first_name'", arguments: [other, id])
            }
            try await Task.sleep(for: SQLiteVaultStore.foreignCommitVisibility + .milliseconds(20))
            let moved = try await client.call(.get, "/v1/subjects/\(other)", token: h.compliance, purpose: "essential")
            #expect(moved.status == 500 && moved.problem?.slug == "integrity-error", "\(moved.status) \(moved.text.prefix(200))")
            for reply in [view, moved] {
                for plaintext in RequestsHTTPTests.plaintexts + ["other.person", "Otto"] { #expect(!reply.text.contains(plaintext)) }
            }
            // Each refused view is on the audit chain, with who asked and for which route.
            let audited = try await client.call(.get, "/v1/audit?action=integrity.error", token: h.admin).decode(AuditPageBody.self)
            #expect(audited.entries.count == 2 && audited.entries.allSatisfy { $0.principal == "test" && $0.outcome == "failed" && $0.role == "compliance" })
            #expect(audited.entries.allSatisfy { $0.detail?.contains("GET /v1/subjects/{id}: integrity-error") == true }, "\(audited.entries.map(\.detail))")
        }
        let text = logs.text
        #expect(text.contains("integrity-error"), "the failure is logged")
        for plaintext in RequestsHTTPTests.plaintexts + ["other.person", "Otto"] { #expect(!text.contains(plaintext), "a value reached the log") }
    }
}
