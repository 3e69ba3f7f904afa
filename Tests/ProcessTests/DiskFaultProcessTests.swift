import Foundation
import GRDB
import Testing

/// A real vaultd whose data directory fills up (a size-limited tmpfs), then gets space
/// back; and one started on a read-only mount. Needs mount(2), which CI's root has; the
/// in-process suite "HTTP: storage faults" covers the same failure through SQLite's page
/// limit wherever mounting is not allowed.
@Suite("faults: disk full and read-only", .serialized, .enabled(if: Mounts.allowed))
struct DiskFaultProcessTests {
    static let rootToken = "pv-test-root-token-disk-fault-1"

    static func batch(_ n: Int) -> String {
        let records = (0..<50).map { j in
            #"{"key": "d-\#(n)-\#(j)", "fields": {"email": "disk-\#(n)-\#(j)@example.com", "first_name": "\#(String(repeating: "D", count: 300))"}}"#
        }
        return #"{"records": [\#(records.joined(separator: ","))]}"#
    }

    @Test("disk full: 503 for writes and audited reads, acknowledged batches kept, nothing corrupt after space returns")
    func diskFull() async throws {
        let mountPoint = temporaryDirectory()
        try Mounts.tmpfs(at: mountPoint, size: "4m")
        defer {
            Mounts.unmount(mountPoint)
            try? FileManager.default.removeItem(at: mountPoint)
        }
        let data = mountPoint.appendingPathComponent("data")
        let environment = ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken]
        let vaultd = VaultdProcess(dataDirectory: data, environment: environment)
        try await vaultd.start()
        let crm = try createToken(["--principal", "crm-sync", "--source", "crm"], address: vaultd.address, root: Self.rootToken)
        let dpo = try createToken(["--principal", "dpo", "--role", "compliance"], address: vaultd.address, root: Self.rootToken)
        let http = ProcessHTTP(address: vaultd.address)

        var acknowledged: [Int] = []
        var refused: Int?
        for n in 0..<400 {
            let reply = try await http.call("POST", "/v1/sources/crm/records", token: crm, json: Self.batch(n))
            if reply.status == 200 {
                acknowledged.append(n)
                continue
            }
            let problem = (try? JSONSerialization.jsonObject(with: reply.body) as? [String: Any])?["type"] as? String ?? ""
            #expect(reply.status == 503 && (problem.hasSuffix("/storage-unavailable") || problem.hasSuffix("/audit-unavailable")), "\(reply.status) \(problem)")
            refused = n
            break
        }
        let refusedBatch = try #require(refused, "the disk never filled")
        var readRefused = false
        for _ in 0..<500 where !readRefused {
            let lookup = try await http.call("POST", "/v1/subjects/lookup", token: dpo, json: #"{"identifiers": {"email": "disk-0-0@example.com"}}"#)
            readRefused = lookup.status == 503
            #expect(lookup.status == 200 || lookup.status == 503)
        }
        #expect(readRefused, "audited reads went on with a full disk")
        #expect(try await http.call("GET", "/readyz").status == 503)
        #expect(vaultd.process.isRunning, "no crash on a full disk")

        try Mounts.run(["mount", "-o", "remount,size=64m", mountPoint.path])  // space returns
        vaultd.kill()
        let restarted = VaultdProcess(dataDirectory: data, arguments: ["--lookups-per-minute", "100000"], environment: environment)
        try await restarted.start()
        let verify = try vaultctl(["audit", "verify"], address: restarted.address, token: Self.rootToken)
        #expect(verify.status == 0, "\(verify.out) \(verify.err)")
        let client = ProcessHTTP(address: restarted.address)
        func present(_ n: Int, _ j: Int) async throws -> Bool {
            let found = try await client.object("POST", "/v1/subjects/lookup", token: dpo, json: #"{"identifiers": {"email": "disk-\#(n)-\#(j)@example.com"}}"#)
            return !((found["subject_ids"] as? [String]) ?? []).isEmpty
        }
        for n in acknowledged {
            let (head, tail) = (try await present(n, 0), try await present(n, 49))
            #expect(head && tail, "acknowledged batch \(n) lost")
        }
        let (head, tail) = (try await present(refusedBatch, 0), try await present(refusedBatch, 49))
        #expect(!head && !tail, "the refused batch was written")
        #expect(try await client.call("POST", "/v1/sources/crm/records", token: crm, json: Self.batch(9_999)).status == 200, "writes work again")
        #expect(restarted.terminate() == 0)
        let pool = try DatabaseQueue(path: data.appendingPathComponent("vault.sqlite").path)
        #expect(try await pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        print(
            "Disk full (tmpfs 4 MiB): \(acknowledged.count) batches acknowledged, refused at batch \(refusedBatch) with 503; after space returned: all acknowledged present, refused absent, chain valid, integrity ok"
        )
    }

    @Test("a read-only data directory: vaultd refuses to start with one clear sentence and changes nothing")
    func readOnly() async throws {
        let data = temporaryDirectory()
        let view = temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(at: view)
        }
        let environment = ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken]
        let first = VaultdProcess(dataDirectory: data, environment: environment)
        try await first.start()
        #expect(first.terminate() == 0)
        let before = try FileManager.default.contentsOfDirectory(atPath: data.path).sorted()
        let digest = try before.map { try Data(contentsOf: data.appendingPathComponent($0)) }

        try FileManager.default.createDirectory(at: view, withIntermediateDirectories: true)
        try Mounts.run(["mount", "--bind", data.path, view.path])
        defer { Mounts.unmount(view) }
        try Mounts.run(["mount", "-o", "remount,bind,ro", view.path])
        let readOnly = VaultdProcess(dataDirectory: view, environment: environment)
        var errors = ""
        do {
            try await readOnly.start(timeout: .seconds(60))
            Issue.record("vaultd started on a read-only data directory")
        } catch let failure as VaultdProcess.StartFailure {
            errors = failure.errors
        }
        let status = readOnly.waitForExit()
        print("Read-only data directory: vaultd exited \(status): \(errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(status != 0)
        #expect(errors.lowercased().contains("read-only") || errors.lowercased().contains("readonly") || errors.contains("cannot"), "\(errors.prefix(300))")
        #expect(errors.split(separator: "\n").count <= 3, "one clear sentence, not a trace: \(errors.prefix(400))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.path).sorted() == before)
        #expect(try before.map { try Data(contentsOf: data.appendingPathComponent($0)) } == digest, "the data changed")
    }
}

/// mount(2) for the fault tests; CI runs as root.
enum Mounts {
    static let allowed: Bool = {
        let probe = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: probe) }
        guard (try? tmpfs(at: probe, size: "1m")) != nil else { return false }
        unmount(probe)
        return true
    }()

    static func tmpfs(at directory: URL, size: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try run(["mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", directory.path])
    }

    static func unmount(_ directory: URL) { try? run(["umount", "-l", directory.path]) }

    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw MountError.failed(arguments.joined(separator: " ")) }
    }

    enum MountError: Error { case failed(String) }
}
