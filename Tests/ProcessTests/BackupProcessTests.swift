import Foundation
import Testing

@Suite("backup and restore with real processes", .serialized)
struct BackupProcessTests {
    static let rootToken = "pv-test-root-token-backup-012"

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// vaultd on `data` with the root token, and a crm ingest token and a compliance token.
    static func startWithTokens(_ data: URL) async throws -> (VaultdProcess, crm: String, dpo: String) {
        let process = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_ROOT_TOKEN": rootToken])
        try await process.start()
        func token(_ args: [String]) throws -> String {
            try json(try vaultctl(["token", "create", "--json"] + args, address: process.address, token: rootToken).out)["token"] as! String
        }
        return (process, try token(["--principal", "crm", "--source", "crm"]), try token(["--principal", "dpo", "--role", "compliance"]))
    }

    @Test("a backup taken before an erasure, restored, does not bring the erased person back")
    func restoreDoesNotResurrect() async throws {
        let data = temporaryDirectory()
        let backup = temporaryDirectory().appendingPathExtension("sqlite")
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(at: backup)
        }
        let (first, crm, dpo) = try await Self.startWithTokens(data)
        let file = data.appendingPathComponent("two.jsonl")
        try #"{"key": "crm-1", "fields": {"email": "keep.me@example.com"}}"#.appending("\n")
            .appending(#"{"key": "crm-2", "fields": {"email": "erase.me@example.com", "last_name": "Erasedottir"}}"#)
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(try vaultctl(["import", "--source", "crm", file.path], address: first.address, token: crm).status == 0)
        try FileManager.default.removeItem(at: file)

        // Opened and verified before the backup, executed after: the restored row is `verified`,
        // and the ledger replay completes it.
        let opened = try Self.json(
            try vaultctl(
                ["request", "open", "--kind", "erasure", "--regulation", "gdpr", "--email", "erase.me@example.com", "--json"],
                address: first.address, token: dpo
            ).out)
        let id = opened["id"] as! String
        _ = try vaultctl(["request", "verify", id, "--method", "email_link"], address: first.address, token: dpo)
        let made = try vaultctl(["backup", backup.path], address: first.address, token: Self.rootToken)
        #expect(made.status == 0, "\(made.err)")
        #expect(made.out.contains("needs master key versions 1"), "the versions a restore needs are shown: \(made.out)")
        let backupData = try Data(contentsOf: backup)
        #expect(backupData.count > 0 && backupData.range(of: Data("Erasedottir".utf8)) == nil, "a backup holds ciphertext only")

        #expect(try vaultctl(["request", "execute", id], address: first.address, token: dpo).status == 0)
        #expect(first.terminate() == 0)

        let running = VaultdProcess(dataDirectory: data)
        try await running.start()
        let refused = try vaultctl(["restore", backup.path, "--data-dir", data.path], address: running.address, token: dpo)
        #expect(refused.status == 65, "no restore under a running vault")
        #expect(running.terminate() == 0)

        let restored = try vaultctl(["restore", backup.path, "--data-dir", data.path], address: "http://127.0.0.1:1", token: "unused")
        #expect(restored.status == 0, "\(restored.err)")
        let second = VaultdProcess(dataDirectory: data)
        try await second.start()
        let erased = try Self.json(try vaultctl(["lookup", "--email", "erase.me@example.com", "--json"], address: second.address, token: dpo).out)
        #expect((erased["subject_ids"] as? [String])?.isEmpty == true, "the ledger replay erased the person again before serving")
        let kept = try Self.json(try vaultctl(["lookup", "--email", "keep.me@example.com", "--json"], address: second.address, token: dpo).out)
        #expect((kept["subject_ids"] as? [String])?.count == 1)
        let request = try Self.json(try vaultctl(["request", "show", id, "--json"], address: second.address, token: dpo).out)
        #expect(request["status"] as? String == "completed", "the replay completed the request the backup held as verified")
        #expect(second.terminate() == 0)
        let database = try Data(contentsOf: data.appendingPathComponent("vault.sqlite"))
        #expect(database.range(of: Data("Erasedottir".utf8)) == nil)
    }

    @Test("a person merged after the backup and then erased is erased from the restored backup too, every part of them")
    func restoreErasesSubjectsMergedAfterTheBackup() async throws {
        let data = temporaryDirectory()
        let backup = temporaryDirectory().appendingPathExtension("sqlite")
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(at: backup)
        }
        let (first, crm, dpo) = try await Self.startWithTokens(data)
        func importLines(_ lines: [String]) throws {
            let file = data.appendingPathComponent("records.jsonl")
            try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            #expect(try vaultctl(["import", "--source", "crm", file.path], address: first.address, token: crm).status == 0)
            try FileManager.default.removeItem(at: file)
        }
        // Two records of one person that nothing links yet: two subjects in the backup.
        try importLines([
            #"{"key": "crm-1", "fields": {"email": "erase.me@example.com"}}"#,
            #"{"key": "crm-2", "fields": {"phone": "4155550100", "last_name": "Mergedottir"}}"#,
        ])
        #expect(try vaultctl(["backup", backup.path], address: first.address, token: Self.rootToken).status == 0)
        // Then a record carrying both links them, and the person asks for erasure.
        try importLines([#"{"key": "crm-3", "fields": {"email": "erase.me@example.com", "phone": "4155550100"}}"#])
        let opened = try Self.json(
            try vaultctl(
                ["request", "open", "--kind", "erasure", "--regulation", "gdpr", "--email", "erase.me@example.com", "--json"],
                address: first.address, token: dpo
            ).out)
        let id = opened["id"] as! String
        _ = try vaultctl(["request", "verify", id, "--method", "email_link"], address: first.address, token: dpo)
        #expect(try vaultctl(["request", "execute", id], address: first.address, token: dpo).status == 0)
        #expect(first.terminate() == 0)

        #expect(try vaultctl(["restore", backup.path, "--data-dir", data.path], address: "http://127.0.0.1:1", token: "unused").status == 0)
        let second = VaultdProcess(dataDirectory: data)
        try await second.start()
        for identifier in [["--email", "erase.me@example.com"], ["--phone", "4155550100"]] {
            let found = try Self.json(try vaultctl(["lookup", "--json"] + identifier, address: second.address, token: dpo).out)
            #expect((found["subject_ids"] as? [String])?.isEmpty == true, "\(identifier[1]) was erased again before serving")
        }
        #expect(second.terminate() == 0)
    }
}

extension BackupProcessTests {
    /// Opens, verifies and executes an erasure request for `email`.
    static func erase(_ email: String, address: String, token: String) throws {
        let opened = try json(
            try vaultctl(
                ["request", "open", "--kind", "erasure", "--regulation", "gdpr", "--email", email, "--json"],
                address: address, token: token
            ).out)
        let id = try #require(opened["id"] as? String)
        _ = try vaultctl(["request", "verify", id, "--method", "email_link"], address: address, token: token)
        #expect(try vaultctl(["request", "execute", id], address: address, token: token).status == 0)
    }

    @Test("a restore into a new directory needs the vault's erasure ledger, and refuses one behind the backup")
    func restoreIntoNewDirectoryNeedsTheLedger() async throws {
        let data = temporaryDirectory()
        let fresh = temporaryDirectory()
        let backup = temporaryDirectory().appendingPathExtension("sqlite")
        let stale = temporaryDirectory().appendingPathExtension("jsonl")
        defer { for url in [data, fresh, backup, stale] { try? FileManager.default.removeItem(at: url) } }
        let (first, crm, dpo) = try await Self.startWithTokens(data)
        let file = data.appendingPathComponent("two.jsonl")
        try #"{"key": "crm-1", "fields": {"email": "before@example.com"}}"#.appending("\n")
            .appending(#"{"key": "crm-2", "fields": {"email": "after@example.com"}}"#)
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(try vaultctl(["import", "--source", "crm", file.path], address: first.address, token: crm).status == 0)
        try FileManager.default.removeItem(at: file)
        // One erasure before the backup (it records ledger position 1), one after it.
        try Self.erase("before@example.com", address: first.address, token: dpo)
        #expect(try vaultctl(["backup", backup.path], address: first.address, token: Self.rootToken).status == 0)
        try Self.erase("after@example.com", address: first.address, token: dpo)
        #expect(first.terminate() == 0)

        // A directory where vaultd ran once has a ledger, empty, of its own vault: refused.
        let other = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: other) }
        let elsewhere = VaultdProcess(dataDirectory: other)
        try await elsewhere.start()
        #expect(elsewhere.terminate() == 0)
        let foreign = try vaultctl(["restore", backup.path, "--data-dir", other.path], address: "http://127.0.0.1:1", token: "unused")
        #expect(foreign.status == 65 && foreign.err.contains("belongs to another vault than the backup"), "\(foreign.err)")

        // A new directory holding only the master key: without a ledger, the person erased
        // after the backup would come back.
        try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.copyItem(at: data.appendingPathComponent("master.key"), to: fresh.appendingPathComponent("master.key"))
        let missing = try vaultctl(["restore", backup.path, "--data-dir", fresh.path], address: "http://127.0.0.1:1", token: "unused")
        #expect(missing.status == 65 && missing.err.contains("no erasure ledger"), "\(missing.err)")
        #expect(!FileManager.default.fileExists(atPath: fresh.appendingPathComponent("vault.sqlite").path), "nothing restored")

        // A ledger older than the backup (it lacks the entry the backup recorded) is refused.
        try Data().write(to: stale)
        let behind = try vaultctl(["restore", backup.path, "--data-dir", fresh.path, "--ledger", stale.path], address: "http://127.0.0.1:1", token: "unused")
        #expect(behind.status == 65 && behind.err.contains("holds 0 entries but the backup was taken when it held 1"), "\(behind.err)")

        let restored = try vaultctl(
            ["restore", backup.path, "--data-dir", fresh.path, "--ledger", data.appendingPathComponent("erasure-ledger.jsonl").path],
            address: "http://127.0.0.1:1", token: "unused")
        #expect(restored.status == 0 && restored.out.contains("Erasure ledger copied"), "\(restored.err)")
        let second = VaultdProcess(dataDirectory: fresh)
        try await second.start()
        for email in ["before@example.com", "after@example.com"] {
            let found = try Self.json(try vaultctl(["lookup", "--email", email, "--json"], address: second.address, token: dpo).out)
            #expect((found["subject_ids"] as? [String])?.isEmpty == true, "\(email) stays erased in the new directory")
        }
        // The restored database can itself be backed up (it holds the position of its own backup).
        let again = try vaultctl(["backup", backup.path + ".2"], address: second.address, token: Self.rootToken)
        #expect(again.status == 0, "\(again.err)")
        try? FileManager.default.removeItem(atPath: backup.path + ".2")
        #expect(second.terminate() == 0)
    }
}

@Suite("data directory lock")
struct DataDirectoryLockProcessTests {
    @Test("a second vaultd on the same data directory refuses to start")
    func secondVaultdRefused() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = VaultdProcess(dataDirectory: data)
        try await first.start()
        let second = VaultdProcess(dataDirectory: data)
        do {
            try await second.start(timeout: .seconds(60))
            Issue.record("a second vaultd started on the same data directory")
        } catch let failure as VaultdProcess.StartFailure {
            #expect(failure.errors.contains("another vaultd is using this data directory"))
        }
        #expect(first.terminate() == 0)
    }
}
