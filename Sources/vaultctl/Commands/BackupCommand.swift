import ArgumentParser
import Foundation
import Vault

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Write a consistent backup of the running vault to FILE (admin).",
        discussion: "The backup holds ciphertext only: keep the master key file (with the versions listed) apart from it.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Where to write the backup.") var file: String

    func run() async throws {
        try await reporting {
            let (data, response) = try await connection.client().exchange("POST", "v1/backups")
            guard FileManager.default.createFile(atPath: file, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw Failure.failed("cannot write \(file)")
            }
            // The master-key versions a restore of this file needs: don't retire them while you keep it.
            let versions = response.value(forHTTPHeaderField: "X-Key-Versions") ?? ""
            if connection.json { try Output.json(["file": file, "bytes": "\(data.count)", "key_versions": versions]) } else {
                Output.line("Backup written to \(file) (\(data.count) bytes). It needs master key versions \(versions): keep them, and the key file apart from it.")
            }
        }
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup into a stopped data directory (offline).",
        discussion: "The data directory's master key and erasure ledger are kept: on its next start vaultd replays the ledger before serving, so nobody erased since the backup comes back.")
    @Argument(help: "The backup file.") var file: String
    @Option(name: .customLong("data-dir"), help: "The stopped vault's data directory.") var dataDir = "data"
    @Option(help: "The vault's erasure ledger, when the data directory has none (a restore into a new directory).") var ledger: String?

    func run() async throws {
        try await reporting {
            do {
                let report = try BackupService.restore(URL(fileURLWithPath: file), into: URL(fileURLWithPath: dataDir),
                                                       ledger: ledger.map { URL(fileURLWithPath: $0) })
                Output.line("Restored \(file) into \(dataDir). Start vaultd: it replays the erasure ledger before serving.")
                if report.ledgerCopied { Output.line("Erasure ledger copied from \(ledger!).") }
                if let archive = report.archivedAnchorsFile {
                    Output.line("\(report.archivedAnchors) audit anchors signed after the backup moved to \(archive.lastPathComponent) (the restored chain ends where the backup's did).")
                }
            } catch let error as RestoreError {
                throw Failure.invalidInput(error.description)
            }
        }
    }
}
