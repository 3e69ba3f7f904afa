import Foundation
import GRDB
import SQLiteStorage
import Storage
import Testing
import Vault
import VaultModel
import VaultTestSupport

@Suite("Data at rest and keys")
struct AtRestTests {
    @Test("no plaintext personal value of the demo set appears in the SQLite file or its WAL")
    func noPlaintextOnDisk() async throws {
        let t = try await TemporaryVault.make()
        defer { t.remove() }
        let dataset = DemoDataset.generate(people: 300, seed: 3)
        _ = try await DemoLoader(vault: t.vault).load(dataset)
        // Every normalized value long enough not to match by chance (e.g. "US" or a 4-digit tail).
        var planted: Set<String> = []
        for record in dataset.records {
            for (name, value) in record.fields where value.count >= 6 {
                planted.insert(value.trimmingCharacters(in: .whitespaces))
                if name == "email" { planted.insert(value.trimmingCharacters(in: .whitespaces).lowercased()) }
            }
            planted.insert(record.key)
        }
        for event in dataset.events {
            planted.insert(event.id)
            if case .string(let subject)? = event.attributes["subject"] { planted.insert(subject) }
        }
        var files: [Data] = []
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: t.databasePath + suffix) { files.append(data) }
        }
        #expect(files.count == 2, "the database and its WAL are both checked")
        let leaked = planted.filter { value in files.contains { contains($0, value) } }
        #expect(leaked.isEmpty, "\(leaked.count) plaintext values found on disk")
        #expect(planted.count > 1000)
    }

    @Test("a field ciphertext copied onto another subject's row fails to open")
    func swappedCiphertext() async throws {
        let t = try await TemporaryVault.make()
        defer { t.remove() }
        let a = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com", "first_name": "Ann"])], from: crm, caller: tester)
        let b = try await t.vault.ingest.ingest(records: [record("crm-2", ["email": "bob@example.com", "first_name": "Bob"])], from: crm, caller: tester)
        let pool = try DatabasePool(path: t.databasePath)
        try await pool.write { db in
            let annCiphertext = try Data.fetchOne(
                db, sql: "SELECT ciphertext FROM field_values WHERE subject_id = ? AND field = 'first_name'",
                arguments: [a[0].outcome.subjectID.description])!
            try db.execute(
                sql: "UPDATE field_values SET ciphertext = ? WHERE subject_id = ? AND field = 'first_name'",
                arguments: [annCiphertext, b[0].outcome.subjectID.description])
        }
        // Written by another connection: the store's per-request reads see it within this bound.
        try await Task.sleep(for: SQLiteVaultStore.foreignCommitVisibility + .milliseconds(20))
        await #expect(throws: (any Error).self) { try await t.vault.reader.read(b[0].outcome.subjectID) }
        #expect(try await t.vault.reader.read(a[0].outcome.subjectID)?.fields["first_name"]?.golden.value.unsafeValue == "Ann")
    }

    @Test("the master key file is created 0600 and data survives a reopen")
    func keyFileAndReopen() async throws {
        let t = try await TemporaryVault.make()
        defer { t.remove() }
        let keyPath = t.directory.appendingPathComponent("master.key").path
        let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let r = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)
        let reopened = try await t.reopen()
        #expect(try await reopened.reader.read(r[0].outcome.subjectID)?.fields["email"]?.golden.value.unsafeValue == "ann@example.com")
    }

    @Test("a group-readable key file is refused")
    func permissiveKeyFile() async throws {
        let t = try await TemporaryVault.make()
        defer { t.remove() }
        let keyPath = t.directory.appendingPathComponent("master.key").path
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: keyPath)
        await #expect { try await t.reopen() } throws: { error in
            guard case KeySetupError.tooPermissive = error else { return false }
            return true
        }
    }

    @Test("a missing key for an existing database is refused, never replaced")
    func missingKey() async throws {
        let t = try await TemporaryVault.make()
        defer { t.remove() }
        let keyPath = t.directory.appendingPathComponent("master.key").path
        try FileManager.default.removeItem(atPath: keyPath)
        await #expect { try await t.reopen() } throws: { error in
            guard case KeySetupError.missingForExistingDatabase = error else { return false }
            return true
        }
        #expect(!FileManager.default.fileExists(atPath: keyPath), "no new key was written over old data")
    }

    @Test("a wrong key is refused by the key check value")
    func wrongKey() async throws {
        let t = try await TemporaryVault.make()
        defer { t.remove() }
        let keyPath = t.directory.appendingPathComponent("master.key").path
        try FileManager.default.removeItem(atPath: keyPath)
        _ = try MasterKeySource.file(path: keyPath).create()
        await #expect { try await t.reopen() } throws: { error in
            (error as? KeySetupError) == .wrongKey(version: 1)
        }
    }

    @Test("the key can come from the environment")
    func environmentKey() async throws {
        let raw = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let source = MasterKeySource.environment(variable: "PV_TEST_KEY")
        let keys = try source.load(environment: ["PV_TEST_KEY": "1:\(raw)"])
        #expect(keys?.count == 1)
        #expect(throws: KeySetupError.environmentMissing("PV_TEST_KEY")) { try source.load(environment: [:]) }
        #expect(throws: KeySetupError.malformed("PV_TEST_KEY")) { try source.load(environment: ["PV_TEST_KEY": "1:short"]) }
    }

    @Test("personal values print as <redacted>")
    func sensitiveDescriptions() {
        let value = Sensitive("ann@example.com")
        #expect("\(value)" == "<redacted>")
        #expect(String(reflecting: value) == "<redacted>")
        var dumped = ""
        dump(value, to: &dumped)
        #expect(!dumped.contains("ann@"))
    }
}
