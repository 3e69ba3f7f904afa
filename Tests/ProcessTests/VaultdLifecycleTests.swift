import Foundation
import Testing

/// Real processes: the built vaultd, driven by the built vaultctl and plain HTTP.
@Suite("vaultd and vaultctl as real processes", .serialized)
struct VaultdLifecycleTests {
    static let rootToken = "pv-test-root-token-0123456789"

    @Test("import, look up and view; SIGTERM; restart; the same view; SIGKILL loses nothing committed")
    func importViewRestart() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken])
        try await first.start()
        #expect(first.output.contains("taken from PROFILEVAULT_ROOT_TOKEN"))
        #expect(!first.output.contains(Self.rootToken), "the root token is never printed")

        // Tokens through vaultctl, as an admin would.
        let crm = try vaultctl(["token", "create", "--principal", "crm-sync", "--source", "crm", "--json"], address: first.address, token: Self.rootToken)
        #expect(crm.status == 0, "\(crm.err)")
        let crmToken = try #require(try JSONSerialization.jsonObject(with: Data(crm.out.utf8)) as? [String: Any])["token"] as! String
        let compliance = try vaultctl(
            ["token", "create", "--principal", "dpo", "--role", "compliance", "--json"], address: first.address, token: Self.rootToken)
        let complianceToken = try #require(try JSONSerialization.jsonObject(with: Data(compliance.out.utf8)) as? [String: Any])["token"] as! String

        // Import a JSON Lines file with one bad record.
        let file = data.appendingPathComponent("crm.jsonl")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try """
        {"key": "crm-1", "observed_at": "2026-03-01T10:00:00Z", "fields": {"email": " Ann.Lee@Example.com", "phone": "(415) 555-0100", "first_name": "Ann"}}
        {"key": "crm-2", "fields": {"email": "bob@example.com", "first_name": "Bob"}}
        {"key": "crm-3", "fields": {"emial": "typo@example.com"}}
        {"key": "crm-4", "fields": {"email": "ANN.LEE@example.com", "customer_id": "C-1"}}
        """.write(to: file, atomically: true, encoding: .utf8)
        let imported = try vaultctl(["import", "--source", "crm", file.path, "--json"], address: first.address, token: crmToken)
        #expect(imported.status == 65, "one rejected record makes the exit code 65")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(imported.out.utf8)) as? [String: Any])
        // A source isn't told whether someone else already held the person (reveal_outcome off).
        #expect(summary["accepted"] as? Int == 3 && summary["linked"] as? Int == 0 && summary["rejected"] as? Int == 1)
        #expect(!imported.out.contains("typo@example.com") && !imported.err.contains("typo@example.com"))

        let lookup = try vaultctl(["lookup", "--email", "ann.lee@EXAMPLE.com", "--json"], address: first.address, token: complianceToken)
        #expect(lookup.status == 0)
        let ids = try #require(try JSONSerialization.jsonObject(with: Data(lookup.out.utf8)) as? [String: Any])["subject_ids"] as! [String]
        #expect(ids.count == 1)
        let view = try vaultctl(["view", ids[0], "--purpose", "essential.legal_obligation", "--json"], address: first.address, token: complianceToken)
        #expect(view.status == 0)
        #expect(view.out.contains("\"customer_id\" : \"C-1\"") && view.out.contains("+14155550100"))
        let table = try vaultctl(["view", ids[0], "--purpose", "essential.legal_obligation"], address: first.address, token: complianceToken)
        #expect(table.out.contains("FIELD") && table.out.contains("ann.lee@example.com"))

        // Graceful stop, restart on the same data directory: same data, no new admin token.
        #expect(first.terminate() == 0, "SIGTERM shuts down cleanly")
        let second = VaultdProcess(dataDirectory: data)
        try await second.start()
        #expect(!second.output.contains("Admin token"))
        let again = try vaultctl(["view", ids[0], "--purpose", "essential.legal_obligation", "--json"], address: second.address, token: complianceToken)
        #expect(again.out == view.out)

        // SIGKILL right after a committed write: the write survives.
        let late = try vaultctl(["import", "--source", "crm", file.path, "--json"], address: second.address, token: crmToken)
        #expect(late.status == 65)
        second.kill()
        let third = VaultdProcess(dataDirectory: data)
        try await third.start()
        let afterKill = try vaultctl(["lookup", "--email", "bob@example.com", "--json"], address: third.address, token: complianceToken)
        #expect(afterKill.status == 0 && afterKill.out.contains("subject_ids"))
        #expect(third.terminate() == 0)
    }

    @Test("vaultctl exit codes: denied 77, unreachable 69, usage 64")
    func exitCodes() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let vaultd = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken])
        try await vaultd.start()
        defer { _ = vaultd.terminate() }
        let denied = try vaultctl(["token", "list"], address: vaultd.address, token: "pvt_wrong")
        #expect(denied.status == 77)
        #expect(denied.err.hasPrefix("vaultctl: ") && denied.err.split(separator: "\n").count == 1)
        let unreachable = try vaultctl(["token", "list"], address: "http://127.0.0.1:1", token: Self.rootToken)
        #expect(unreachable.status == 69)
        let usage = try vaultctl(["token", "create", "--principal", "x"], address: vaultd.address, token: Self.rootToken)
        #expect(usage.status == 64)
        let list = try vaultctl(["token", "list"], address: vaultd.address, token: Self.rootToken)
        #expect(list.status == 0 && list.out.contains("PRINCIPAL") && list.out.contains("root"))
    }

    @Test("vaultd refuses to start with a wrong or missing master key for an existing database")
    func keyRefusal() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = VaultdProcess(dataDirectory: data)
        try await first.start()
        #expect(first.output.contains("Admin token (shown once"))
        #expect(first.terminate() == 0)

        let keyFile = data.appendingPathComponent("master.key")
        let original = try Data(contentsOf: keyFile)
        try FileManager.default.removeItem(at: keyFile)
        let missing = VaultdProcess(dataDirectory: data)
        await #expect(throws: VaultdProcess.StartFailure.self) { try await missing.start(timeout: .seconds(60)) }
        #expect(missing.waitForExit() != 0)
        #expect(!FileManager.default.fileExists(atPath: keyFile.path), "no fresh key over old data")

        let wrong = "1:" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let withWrongKey = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_MASTER_KEY": wrong])
        do {
            try await withWrongKey.start(timeout: .seconds(60))
            Issue.record("vaultd started with a wrong key")
        } catch let failure as VaultdProcess.StartFailure {
            #expect(failure.errors.contains("does not match this database"))
        }

        try original.write(to: keyFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyFile.path)
        let permissive = VaultdProcess(dataDirectory: data)
        do {
            try await permissive.start(timeout: .seconds(60))
            Issue.record("vaultd started with a world-readable key file")
        } catch let failure as VaultdProcess.StartFailure {
            #expect(failure.errors.contains("chmod 600"))
        }
    }
}
