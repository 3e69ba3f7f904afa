import Foundation
import GRDB
import SQLiteStorage
import Testing
import VaultAPI
import VaultModel

@Suite("HTTP: audit")
struct AuditHTTPTests {
    @Test("every 2xx that touches data, tokens or the audit has exactly one audit entry with its request id; denials are audited")
    func oneEntryPerRequest() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            var requestIDs: [String] = []
            func track(_ reply: Reply, _ expected: Int) {
                #expect(reply.status == expected, "\(reply.text.prefix(200))")
                if let id = reply.requestID { requestIDs.append(id) }
            }
            let ingest = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: IngestAndViewHTTPTests.annRecord)
            track(ingest, 200)
            let id = try ingest.decode(IngestRecordsResponse.self).results[0].subject_id!
            track(
                try await client.call(
                    .post, "/v1/sources/crm/events", token: h.crm,
                    json: """
                        {"events": [{"id": "o-1", "key": "crm-0000042", "type": "call", "occurred_at": "2026-03-05T09:00:00Z", "attributes": {"minutes": 4}}]}
                        """), 200)
            track(try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "ann.lee@example.com"}}"#), 200)
            track(try await client.call(.get, "/v1/subjects/\(id)", token: h.compliance, purpose: "essential"), 200)
            track(try await client.call(.post, "/v1/tokens", token: h.admin, json: #"{"principal": "p", "role": "support"}"#), 201)
            track(try await client.call(.get, "/v1/tokens", token: h.admin), 200)
            track(try await client.call(.get, "/v1/audit?limit=5", token: h.compliance), 200)
            track(try await client.call(.get, "/v1/audit/verify", token: h.admin), 200)
            let denied = try await client.call(.get, "/v1/tokens", token: h.support)
            track(denied, 403)
            let anonymous = try await client.call(.get, "/v1/tokens")
            track(anonymous, 401)
            let wrongPurpose = try await client.call(.get, "/v1/subjects/\(id)", token: h.support, purpose: "marketing.advertising")
            track(wrongPurpose, 403)
            #expect(requestIDs.count == 11)

            for requestID in requestIDs {
                let page = try await client.call(.get, "/v1/audit?request_id=\(requestID)", token: h.admin).decode(AuditPageBody.self)
                #expect(page.entries.count == 1, "request \(requestID) has \(page.entries.count) audit entries")
            }
            let deniedEntry = try await client.call(.get, "/v1/audit?request_id=\(denied.requestID!)", token: h.admin).decode(AuditPageBody.self).entries[0]
            #expect(deniedEntry.action == "access.denied" && deniedEntry.outcome == "denied" && deniedEntry.role == "support")
            let anonymousEntry = try await client.call(.get, "/v1/audit?request_id=\(anonymous.requestID!)", token: h.admin).decode(AuditPageBody.self).entries[
                0]
            #expect(anonymousEntry.principal == "anonymous")
            let viewEntries = try await client.call(.get, "/v1/audit?subject_id=\(id)&action=subject.view", token: h.admin).decode(AuditPageBody.self).entries
            #expect(viewEntries.map(\.outcome) == ["ok", "denied"])
            #expect(viewEntries[0].fields == ["email", "first_name", "last_name", "phone"])
            #expect(viewEntries.allSatisfy { $0.chain == "reads" }, "views are on the reads chain")
            let verify = try await client.call(.get, "/v1/audit/verify", token: h.compliance).decode(AuditVerifyBody.self)
            #expect(verify.valid && verify.entries > 11)
            #expect(verify.chains.map(\.name) == ["store", "reads"] && verify.chains.allSatisfy(\.valid))
            // Both chains page through with one cursor, each entry once.
            var after = "0"
            var seen: [String] = []
            while true {
                let page = try await client.call(.get, "/v1/audit?limit=3&after=\(after)", token: h.admin).decode(AuditPageBody.self)
                seen += page.entries.map { "\($0.chain)-\($0.seq)" }
                guard let next = page.next_after else { break }
                after = next
            }
            #expect(Set(seen).count == seen.count && seen.contains("store-1") && seen.contains { $0.hasPrefix("reads-") })
            #expect(try await client.call(.get, "/v1/audit?after=1.x", token: h.admin).status == 400)
        }
    }

    @Test("with the audit sink broken, reads and writes answer 503 and readiness fails")
    func failClosed() async throws {
        let h = try await ServerHarness.make()
        defer { h.temporary.remove() }
        try await h.run(keep: true) { client in
            let id = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: IngestAndViewHTTPTests.annRecord)
                .decode(IngestRecordsResponse.self).results[0].subject_id!
            #expect(try await client.call(.get, "/readyz").status == 200)
            // Both chains' files fail: the reads chain (the view's entry) and the store's (the write's).
            let reads = h.temporary.directory.appendingPathComponent(SQLiteReadAuditFile.fileName).path
            let pools = try [h.temporary.databasePath, reads].map { try DatabasePool(path: $0) }
            for pool in pools {
                try await pool.write { db in
                    try db.execute(sql: "CREATE TRIGGER audit_fault BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'injected'); END")
                }
            }
            let view = try await client.call(.get, "/v1/subjects/\(id)", token: h.compliance, purpose: "essential")
            #expect(view.status == 503 && view.problem?.slug == "audit-unavailable")
            #expect(!view.text.contains("ann"), "nothing of the view is returned")
            let write = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm,
                json: #"{"records": [{"key": "crm-2", "fields": {"email": "bob@example.com"}}]}"#)
            #expect(write.status == 503)
            #expect(try await client.call(.get, "/readyz").status == 503)
            for pool in pools { try await pool.write { try $0.execute(sql: "DROP TRIGGER audit_fault") } }
            #expect(try await client.call(.get, "/readyz").status == 503, "no silent recovery")
        }
        let reopened = try await h.temporary.reopen()
        let lookup = try await reopened.lookup.lookup(["email": .string("bob@example.com")], caller: .system("test"))
        #expect(lookup.isEmpty, "the refused write was not applied")
        let ann = try await reopened.lookup.lookup(["email": .string("ann.lee@example.com")], caller: .system("test"))
        #expect(ann.count == 1, "the earlier write is still there")
        #expect(try await reopened.audit.verify().valid)
    }
}
