import Foundation
import GRDB
import Testing

/// What the data directory holds is the vault's user's alone, and a damaged page of the
/// database is reported, not found by the request that happens to read it.
@Suite("data directory: permissions and page integrity", .serialized)
struct DataDirectoryProcessTests {
    static func mode(_ url: URL) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("a data directory group or others can enter is refused with one sentence; the files vaultd writes are 0600")
    func permissions() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let refused = VaultdProcess(dataDirectory: data)
        do {
            try await refused.start(timeout: .seconds(60))
            Issue.record("vaultd started on a data directory of mode 755")
        } catch let failure as VaultdProcess.StartFailure {
            #expect(
                failure.errors.contains("the data directory \(data.path) has mode 755; it must not be open to group or others (chmod 700)"),
                "\(failure.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("vault.sqlite").path), "nothing was written")

        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: data.path)
        let vaultd = VaultdProcess(dataDirectory: data)
        try await vaultd.start()
        #expect(vaultd.terminate() == 0)
        for name in ["vault.sqlite", "master.key", "erasure-ledger.jsonl", "audit-anchors.jsonl"] {
            #expect(try Self.mode(data.appendingPathComponent(name)) == 0o600, "\(name)")
        }
    }

    @Test("a damaged page: vaultd starts, /readyz answers 503 storage-corrupt and the metric says 0")
    func corruptPageReported() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let rootToken = "pv-test-root-token-integrity-1"
        let first = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_ROOT_TOKEN": rootToken])
        try await first.start()
        let crm = try createToken(["--principal", "crm-sync", "--source", "crm"], address: first.address, root: rootToken)
        let records = (0..<200).map { #"{"key": "crm-\#($0)", "fields": {"email": "p\#($0)@example.com", "first_name": "P\#($0)"}}"# }
        let reply = try await ProcessHTTP(address: first.address).call(
            "POST", "/v1/sources/crm/records", token: crm,
            json: #"{"records": [\#(records.joined(separator: ","))]}"#)
        #expect(reply.status == 200)
        let ready = try await ProcessHTTP(address: first.address).call("GET", "/readyz")
        #expect(ready.status == 200)
        #expect(first.terminate() == 0)

        // Overwrite the page type of an index that start doesn't read.
        let path = data.appendingPathComponent("vault.sqlite").path
        let queue = try DatabaseQueue(path: path)
        let (rootPage, pageSize) = try await queue.writeWithoutTransaction { db -> (Int, Int) in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            return (
                try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'field_values_record'")!,
                try Int.fetchOne(db, sql: "PRAGMA page_size")!
            )
        }
        try queue.close()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64((rootPage - 1) * pageSize))
        try handle.write(contentsOf: Data(repeating: 0x42, count: 16))
        try handle.close()

        let second = VaultdProcess(dataDirectory: data)
        try await second.start()
        let http = ProcessHTTP(address: second.address)
        let notReady = try await http.call("GET", "/readyz")
        let problem = try JSONSerialization.jsonObject(with: notReady.body) as? [String: Any]
        #expect(notReady.status == 503 && (problem?["type"] as? String)?.hasSuffix("/storage-corrupt") == true, "\(notReady.status) \(problem ?? [:])")
        let metrics = String(decoding: try await http.call("GET", "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("profilevault_storage_intact 0"))
        #expect(second.terminate() == 0)
    }
}
