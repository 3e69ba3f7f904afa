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
    /// The versions are read before and after the snapshot: a rewrap running meanwhile only
    /// moves keys from an older version to the active one, so the backup's keys are under
    /// versions of one read or the other. The file is removed if anything after it fails: a
    /// stray copy would keep the data keys of people erased later, out of the ledger's reach.
    public func create(caller: Caller) async throws -> (file: URL, keyVersions: [Int]) {
        let file = dataDirectory.appendingPathComponent("backup-\(UUID().uuidString).sqlite")
        let before = try await versionsInUse()
        do {
            try await store.backup(to: file.path)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
            let versions = before.union(try await versionsInUse()).sorted()
            try await audit.record(caller.draft("backup.create", detail: "backup needs master key versions \(versions.map(String.init).joined(separator: ","))"))
            return (file, versions)
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
    }

    func versionsInUse() async throws -> Set<Int> {
        Set(try await store.wrappedKeyCounts().filter { $0.value > 0 }.keys)
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
        // Copy the file itself, not a symlink to it (vaultd would then write into the archived
        // backup), into a temporary file that is synced before it replaces the database: a
        // crash or a full disk midway leaves the old database, not a truncated one.
        let source = backup.resolvingSymlinksInPath()
        let incoming = directory.appendingPathComponent("vault.sqlite.restoring")
        try? FileManager.default.removeItem(at: incoming)
        do {
            try FileManager.default.copyItem(at: source, to: incoming)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: incoming.path)
            try Self.sync(incoming)
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database.path + suffix) }
            guard rename(incoming.path, database.path) == 0 else { throw RestoreError.notWritten }
            try Self.sync(directory)
        } catch {
            try? FileManager.default.removeItem(at: incoming)
            throw error
        }
    }

    /// fsync of a file or directory.
    static func sync(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { throw RestoreError.notWritten }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw RestoreError.notWritten }
    }
}

public enum RestoreError: Error, CustomStringConvertible, Sendable {
    case vaultRunning, missingBackup, notABackup, notWritten
    public var description: String {
        switch self {
        case .notWritten: "the restored database could not be written and synced (the data directory keeps its database)"
        case .vaultRunning: "the data directory's database is in use (stop vaultd first)"
        case .missingBackup: "the backup file does not exist"
        case .notABackup: "the file is not a ProfileVault backup (not an SQLite database)"
        }
    }
}
