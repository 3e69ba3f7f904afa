import ArgumentParser
import Foundation
import Vault

/// `vaultd restore FILE --data-dir DIR`: an offline restore, by the daemon that owns the data
/// directory (it takes the directory's lock, so never under a running vault). `vaultctl
/// restore` runs this.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup into a stopped data directory (offline).",
        discussion: """
            The data directory's master key and erasure ledger are kept: on its next start vaultd replays the ledger before \
            serving, so nobody erased since the backup comes back. Exit codes: 0 restored, 65 the backup, ledger or directory \
            was refused (the message says why; nothing was changed), 1 any other failure.
            """)
    /// `--data-dir` and `--config` are vaultd's own options: the directory resolves as the
    /// daemon's does (flag > PROFILEVAULT_DATA_DIR > config file > `data`).
    @ParentCommand var daemon: VaultdCommand
    @Argument(help: "The backup file.") var file: String
    @Option(help: "The vault's erasure ledger, when the data directory has none (a restore into a new directory).") var ledger: String?

    func run() async throws {
        ProcessHardening.restrictCreatedFiles()
        let dataDir: String
        if let flag = daemon.dataDir {
            dataDir = flag  // a flag wins: no configuration file is read (vaultctl restore always passes one)
        } else {
            do {
                dataDir = try await VaultdSettings.load(configPath: daemon.config).string(nil, "data_dir", default: "data")
            } catch {
                Console.error("vaultd: cannot read the configuration for the data directory: \(error); pass --data-dir")
                throw ExitCode(64)
            }
        }
        let report: BackupService.RestoreReport
        do {
            report = try BackupService.restore(
                URL(fileURLWithPath: file), into: URL(fileURLWithPath: dataDir),
                ledger: ledger.map { URL(fileURLWithPath: $0) })
        } catch let error as RestoreError {
            Console.error("vaultd: \(error.description)")
            throw ExitCode(65)
        } catch {
            Console.error("vaultd: the restore failed: \(error)")
            throw ExitCode(1)
        }
        Console.line("Restored \(file) into \(dataDir). Start vaultd: it replays the erasure ledger before serving.")
        if report.ledgerCopied, let ledger { Console.line("Erasure ledger copied from \(ledger).") }
        if let archive = report.archivedAnchorsFile {
            Console.line(
                "\(report.archivedAnchors) audit anchors signed after the backup moved to \(archive.lastPathComponent) (the restored chain ends where the backup's did)."
            )
        }
    }
}
