import ArgumentParser
import Foundation

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Write a consistent backup of the running vault to FILE (admin).",
        discussion: "The backup holds ciphertext only: keep the master key file (with the versions listed) apart from it.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Where to write the backup.") var file: String

    func run() async throws {
        try await reporting {
            let (data, response) = try await connection.client(longRunning: true).exchange("POST", "v1/backups")
            guard FileManager.default.createFile(atPath: file, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw Failure.failed("cannot write \(file)")
            }
            // The master-key versions a restore of this file needs: don't retire them while you keep it.
            let versions = response.value(forHTTPHeaderField: "X-Key-Versions") ?? ""
            if connection.json {
                try Output.json(["file": file, "bytes": "\(data.count)", "key_versions": versions])
            } else {
                Output.line(
                    "Backup written to \(file) (\(data.count) bytes). It needs master key versions \(versions): keep them, and the key file apart from it.")
            }
        }
    }
}
