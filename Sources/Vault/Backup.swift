import Foundation
import Storage

/// Backups of a live vault, and restores into a stopped data directory.
///
/// A backup holds ciphertext only; reading it needs every master-key version that wraps a
/// key in it (listed with each backup). Keep the key file with the backup, and don't
/// retire a version while a backup you keep needs it. A restore keeps the data directory's
/// erasure ledger, which vaultd replays at start, so nobody erased since the backup returns.
public struct BackupService: Sendable {
    let store: any VaultStore
    let audit: AuditLog
    let dataDirectory: URL

    /// Writes a backup file into the data directory and returns it with the key versions it needs.
    public func create(caller: Caller) async throws -> (file: URL, keyVersions: [Int]) {
        let file = dataDirectory.appendingPathComponent("backup-\(UUID().uuidString).sqlite")
        try await store.backup(to: file.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        let versions = try await store.wrappedKeyCounts().filter { $0.value > 0 }.keys.sorted()
        try await audit.record(caller.draft("backup.create", detail: "backup needs master key versions \(versions.map(String.init).joined(separator: ","))"))
        return (file, versions)
    }

    /// Replaces the database of a stopped data directory with `backup`, keeping its master key
    /// and erasure ledger. Refuses a running vault (its WAL is open and non-empty).
    public static func restore(_ backup: URL, into directory: URL) throws {
        let database = directory.appendingPathComponent("vault.sqlite")
        let lock: DataDirectoryLock
        do { lock = try DataDirectoryLock(directory: directory) } catch { throw RestoreError.vaultRunning }
        defer { withExtendedLifetime(lock) {} }
        guard FileManager.default.fileExists(atPath: backup.path) else { throw RestoreError.missingBackup }
        let header = try FileHandle(forReadingFrom: backup).read(upToCount: 16) ?? Data()
        guard header == Data("SQLite format 3\0".utf8) else { throw RestoreError.notABackup }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database.path + suffix) }
        try FileManager.default.copyItem(at: backup, to: database)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: database.path)
    }
}

public enum RestoreError: Error, CustomStringConvertible, Sendable {
    case vaultRunning, missingBackup, notABackup
    public var description: String {
        switch self {
        case .vaultRunning: "the data directory's database is in use (stop vaultd first)"
        case .missingBackup: "the backup file does not exist"
        case .notABackup: "the file is not a ProfileVault backup (not an SQLite database)"
        }
    }
}
