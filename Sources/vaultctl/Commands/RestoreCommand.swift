import ArgumentParser
import Foundation

/// `vaultctl restore` is a front for `vaultd restore`: an offline restore belongs to the daemon
/// that owns the data directory (its lock, its ledger, its key), so vaultctl links no storage.
/// Same arguments and exit codes; vaultd's messages (`vaultd: …`) pass through.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup into a stopped data directory (offline; runs `vaultd restore`).",
        discussion: """
            The data directory's master key and erasure ledger are kept: on its next start vaultd replays the ledger before \
            serving, so nobody erased since the backup comes back. vaultd is looked for beside vaultctl, then on PATH.
            """)
    @Argument(help: "The backup file.") var file: String
    @Option(name: .customLong("data-dir"), help: "The stopped vault's data directory.") var dataDir = "data"
    @Option(help: "The vault's erasure ledger, when the data directory has none (a restore into a new directory).") var ledger: String?

    func run() async throws {
        try await reporting {
            guard let vaultd = Self.vaultdExecutable() else {
                throw Failure.failed("cannot find vaultd beside vaultctl or on PATH; run `vaultd restore` on the vault's host")
            }
            let process = Process()
            process.executableURL = vaultd
            // `=` forms and `--` before the file: a path starting with "-" stays a path.
            process.arguments = ["restore", "--data-dir=\(dataDir)"] + (ledger.map { ["--ledger=\($0)"] } ?? []) + ["--", file]
            try process.run()
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal {
                throw Failure.failed("vaultd restore was killed by signal \(process.terminationStatus); nothing was replaced unless it said so; run it again")
            }
            if process.terminationStatus != 0 { throw ExitCode(process.terminationStatus) }
        }
    }

    /// vaultd installed beside this vaultctl (one build, one package), else the first on PATH.
    static func vaultdExecutable() -> URL? {
        var candidates: [URL] = []
        if let me = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            candidates.append(me.deletingLastPathComponent().appendingPathComponent("vaultd"))
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append(URL(fileURLWithPath: String(directory)).appendingPathComponent("vaultd"))
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
