import Foundation
import GRDB
import Testing

/// kill -9 in the middle of concurrent batch ingest, then a restart: every acknowledged
/// batch is there whole, no batch is there in part, and the audit chain verifies.
@Suite("faults: kill -9 during ingest", .serialized)
struct IngestCrashProcessTests {
    static let rootToken = "pv-test-root-token-ingest-crash-1"
    static let perBatch = 50

    static func batch(_ n: Int) -> String {
        let records = (0..<perBatch).map { j in
            #"{"key": "k-\#(n)-\#(j)", "fields": {"email": "crash-\#(n)-\#(j)@example.com", "first_name": "Name\#(n)x\#(j)", "city": "Town\#(n)"}}"#
        }
        return #"{"records": [\#(records.joined(separator: ","))]}"#
    }

    actor Acknowledged {
        var batches: Set<Int> = []
        var sent: Set<Int> = []
        func send(_ n: Int) { sent.insert(n) }
        func ack(_ n: Int) { batches.insert(n) }
    }

    @Test("acknowledged batches survive kill -9 whole; none is half applied; the chain verifies")
    func killDuringIngest() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let environment = ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken]
        let first = VaultdProcess(dataDirectory: data, environment: environment)
        try await first.start()
        let crm = try createToken(["--principal", "crm-sync", "--source", "crm"], address: first.address, root: Self.rootToken)
        let http = ProcessHTTP(address: first.address)
        let acknowledged = Acknowledged()
        // Four writers post batches until the process dies under them.
        let writers = (0..<4).map { writer in
            Task {
                for round in 0..<1_000 {
                    let n = round * 4 + writer
                    await acknowledged.send(n)
                    guard let reply = try? await http.call("POST", "/v1/sources/crm/records", token: crm, json: Self.batch(n)) else { return }
                    if reply.status == 200 { await acknowledged.ack(n) }
                }
            }
        }
        while await acknowledged.batches.count < 12 { try await Task.sleep(for: .milliseconds(20)) }
        first.kill()
        for writer in writers { await writer.value }
        let acked = await acknowledged.batches
        let sent = await acknowledged.sent

        let second = VaultdProcess(dataDirectory: data, environment: environment)
        try await second.start()
        let verify = try vaultctl(["audit", "verify"], address: second.address, token: Self.rootToken)
        #expect(verify.status == 0, "\(verify.out) \(verify.err)")
        #expect(second.terminate() == 0)

        // In the file itself: whole batches only, each record its own subject (unique emails).
        let pool = try DatabasePool(path: data.appendingPathComponent("vault.sqlite").path)
        let subjects = try await pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM subjects") ?? 0 }
        let records = try await pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM source_records") ?? 0 }
        #expect(records % Self.perBatch == 0, "\(records) records is not a whole number of batches")
        #expect(records == subjects, "every record made one subject")
        let applied = records / Self.perBatch
        #expect(applied >= acked.count, "\(acked.count) batches acknowledged but only \(applied) applied")
        #expect(applied <= sent.count)

        // Which batches: source keys are blind-indexed, so ask the vault for each batch's first
        // and last record; an acknowledged batch has both, any other has both or neither.
        let third = VaultdProcess(dataDirectory: data, arguments: ["--lookups-per-minute", "100000"], environment: environment)
        try await third.start()
        defer { _ = third.terminate() }
        let dpo = try createToken(["--principal", "dpo", "--role", "compliance"], address: third.address, root: Self.rootToken)
        let client = ProcessHTTP(address: third.address)
        func present(_ n: Int, _ j: Int) async throws -> Bool {
            let found = try await client.object(
                "POST", "/v1/subjects/lookup", token: dpo, json: #"{"identifiers": {"email": "crash-\#(n)-\#(j)@example.com"}}"#)
            return !((found["subject_ids"] as? [String]) ?? []).isEmpty
        }
        var whole = 0
        for n in sent.sorted() {
            let (head, tail) = (try await present(n, 0), try await present(n, Self.perBatch - 1))
            #expect(head == tail, "batch \(n) is half applied")
            if acked.contains(n) { #expect(head, "acknowledged batch \(n) lost") }
            if head { whole += 1 }
        }
        #expect(whole == applied)
        print(
            "Ingest crash: \(sent.count) batches sent, \(acked.count) acknowledged, \(applied) applied after kill -9 (\(applied - acked.count) in flight), 0 lost, 0 partial"
        )
    }
}
