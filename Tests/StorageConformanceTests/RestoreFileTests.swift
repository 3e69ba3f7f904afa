import Foundation
import Testing
import VaultTestSupport

@testable import Vault

/// A restore copies the backup file itself into the data directory, through a synced
/// temporary file: never a symlink (vaultd would then write into the archived backup).
@Suite("Restore into a data directory")
struct RestoreFileTests {
    @Test("a backup given through a symlink is copied as a regular file, and the backup is left as it was")
    func symlinkedBackup() async throws {
        let t = try await TemporaryVault.make()
        defer { t.remove() }
        _ = try await t.vault.ingest.ingest(records: [record("crm-1", ["email": "ann@example.com"])], from: crm, caller: tester)
        let (file, versions) = try await t.vault.backups.create(caller: tester)
        #expect(versions == [1])
        let archive = FileManager.default.temporaryDirectory.appendingPathComponent("pv-restore-\(UUID().uuidString)")
        let target = archive.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: archive) }
        let kept = archive.appendingPathComponent("backup.sqlite")
        try FileManager.default.moveItem(at: file, to: kept)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: kept.path)
        let link = archive.appendingPathComponent("latest.sqlite")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: kept)

        // The vault's own directory has its erasure ledger (vaultd creates it at first start) and its master key.
        try Data().write(to: target.appendingPathComponent(ErasureLedger.fileName))
        try FileManager.default.copyItem(at: t.directory.appendingPathComponent("master.key"), to: target.appendingPathComponent("master.key"))
        try BackupService.restore(link, into: target)
        let restored = target.appendingPathComponent("vault.sqlite")
        let attributes = try FileManager.default.attributesOfItem(atPath: restored.path)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try FileManager.default.attributesOfItem(atPath: kept.path)[.posixPermissions] as? NSNumber == 0o640, "the backup keeps its mode")
        #expect(try Data(contentsOf: restored) == Data(contentsOf: kept))
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("vault.sqlite.restoring").path))
    }

    @Test("backup files a crash left in the data directory are deleted at the next start")
    func orphanedBackupsRemoved() async throws {
        let t = try await TemporaryVault.make()
        defer { t.remove() }
        let (file, _) = try await t.vault.backups.create(caller: tester)
        // As if vaultd was killed before sending and deleting it.
        let orphan = t.directory.appendingPathComponent("backup-\(UUID().uuidString).sqlite")
        try FileManager.default.copyItem(at: file, to: orphan)
        try FileManager.default.removeItem(at: file)
        let kept = t.directory.appendingPathComponent("notes-backup.txt")
        try Data("not a backup".utf8).write(to: kept)
        _ = try await t.reopen()
        #expect(!FileManager.default.fileExists(atPath: orphan.path), "the orphaned copy of the ciphertext is gone")
        #expect(FileManager.default.fileExists(atPath: kept.path), "other files are left alone")
    }
}
