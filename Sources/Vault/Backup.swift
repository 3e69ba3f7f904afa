import Audit
import Foundation
import SQLiteStorage
import Storage

/// Backups of a live vault, and restores into a stopped data directory.
///
/// A backup holds ciphertext only; reading it needs every master-key version that wraps a
/// key in it (listed with each backup). Keep the key file with the backup, and don't
/// retire a version while a backup you keep needs it. A restore keeps the data directory's
/// erasure ledger, which vaultd replays at start, so nobody erased since the backup returns;
/// the backup records where the ledger stood, and a restore refuses a directory whose ledger
/// is missing or behind that position.
public struct BackupService: Sendable {
    let store: any VaultStore
    let audit: AuditLog
    let dataDirectory: URL
    /// Recorded in each backup, so a restore refuses another vault's erasure ledger.
    let vaultID: String

    /// Writes a backup file into the data directory and returns it with the key versions it needs.
    /// The versions are read before and after the snapshot: a rewrap running meanwhile only
    /// moves keys from an older version to the active one, so the backup's keys are under
    /// versions of one read or the other. The file is removed if anything after it fails: a
    /// stray copy would keep the data keys of people erased later, out of the ledger's reach.
    public func create(caller: Caller) async throws -> (file: URL, keyVersions: [Int]) {
        let file = dataDirectory.appendingPathComponent("backup-\(UUID().uuidString).sqlite")
        let before = try await versionsInUse()
        do {
            // Read before the snapshot: an erasure during it only adds entries after this position.
            let ledger = try ErasureLedger(file: dataDirectory.appendingPathComponent(ErasureLedger.fileName)).entries()
            try await store.backup(to: file.path)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
            try SQLiteVaultStore.recordLedgerPosition(
                .init(entries: ledger.count, lastRequestID: ledger.last?.request_id ?? "", vaultID: vaultID),
                inBackup: file.path)
            let versions = before.union(try await versionsInUse()).sorted()
            try await audit.record(
                caller.draft("backup.create", detail: "backup needs master key versions \(versions.map(String.init).joined(separator: ","))"))
            return (file, versions)
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
    }

    func versionsInUse() async throws -> Set<Int> {
        Set(try await store.wrappedKeyCounts().filter { $0.value > 0 }.keys)
    }

    /// Deletes the backup files a crash left in `directory` (a backup is written there, sent,
    /// and deleted; a process killed meanwhile leaves a full copy of the ciphertext behind).
    /// Called at start, under the data directory's lock: no backup of this vault is under way.
    @discardableResult
    public static func removeOrphans(in directory: URL) throws -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let orphans = names.filter { $0.hasPrefix("backup-") && ($0.hasSuffix(".sqlite") || $0.hasSuffix(".sqlite-journal")) }
        for name in orphans { try FileManager.default.removeItem(at: directory.appendingPathComponent(name)) }
        return orphans.count
    }

    /// What a restore did besides replacing the database.
    public struct RestoreReport: Sendable {
        /// Anchors of audit entries the restored database doesn't hold (written after the
        /// backup), moved to `archivedAnchorsFile`.
        public let archivedAnchors: Int
        public let archivedAnchorsFile: URL?
        public let ledgerCopied: Bool
    }

    /// Replaces the database of a stopped data directory with `backup`, keeping its master key
    /// and erasure ledger. Refuses a running vault (its WAL is open and non-empty), a directory
    /// without an erasure ledger unless `ledger` names one (a new directory would otherwise
    /// read a missing ledger as "nobody erased", and bring back everyone erased since the
    /// backup), and a ledger behind the position the backup recorded.
    ///
    /// The restored chain ends where the backup's did: anchors signed later name entries it
    /// doesn't hold, and vaultd refuses to start over such a chain (a cut tail). The restore
    /// is the operator's deliberate rollback, so those anchors move to an archive file beside
    /// the anchors file, kept for the record.
    @discardableResult
    public static func restore(_ backup: URL, into directory: URL, ledger: URL? = nil, now: Date = Date()) throws -> RestoreReport {
        let database = directory.appendingPathComponent("vault.sqlite")
        let lock: DataDirectoryLock
        do { lock = try DataDirectoryLock(directory: directory) } catch { throw RestoreError.vaultRunning }
        defer { withExtendedLifetime(lock) {} }
        guard FileManager.default.fileExists(atPath: backup.path) else { throw RestoreError.missingBackup }
        let header = try FileHandle(forReadingFrom: backup).read(upToCount: 16) ?? Data()
        guard header == Data("SQLite format 3\0".utf8) else { throw RestoreError.notABackup }
        // Without the vault's master key the restored database opens to nothing: vaultd would
        // refuse to start after a restore that said it succeeded.
        let keyFile = directory.appendingPathComponent("master.key")
        guard FileManager.default.fileExists(atPath: keyFile.path) || ProcessInfo.processInfo.environment[MasterKeySource.environmentVariable] != nil
        else { throw RestoreError.masterKeyMissing(keyFile.path) }
        let ledgerFile = directory.appendingPathComponent(ErasureLedger.fileName)
        let hasLedger = FileManager.default.fileExists(atPath: ledgerFile.path)
        if hasLedger, ledger != nil { throw RestoreError.ledgerAlreadyPresent(ledgerFile.path) }
        guard hasLedger || ledger != nil else { throw RestoreError.ledgerMissing(ledgerFile.path) }
        let candidate = ErasureLedger(file: ledger ?? ledgerFile)
        let entries: [ErasureLedger.Entry]
        let ledgerVault: String?
        do { (entries, ledgerVault) = (try candidate.entries(), try candidate.vaultID()) } catch { throw RestoreError.ledgerUnreadable(candidate.file.path) }
        let position = try SQLiteVaultStore.ledgerPosition(inBackup: backup.path)
        // A new directory where vaultd started once has a ledger of its own vault, empty: read
        // as this vault's, it would bring back everyone erased since the backup.
        if let backupVault = position?.vaultID, let ledgerVault, backupVault != ledgerVault {
            throw RestoreError.ledgerOfAnotherVault(candidate.file.path)
        }
        if let position, position.entries > 0 {
            guard entries.count >= position.entries, entries[position.entries - 1].request_id == position.lastRequestID else {
                throw RestoreError.ledgerBehind(candidate.file.path, backupEntries: position.entries, ledgerEntries: entries.count)
            }
        }
        if let ledger {
            try copySynced(ledger.resolvingSymlinksInPath(), to: ledgerFile, through: directory.appendingPathComponent(ErasureLedger.fileName + ".restoring"))
        }
        // Copy the file itself, not a symlink to it (vaultd would then write into the archived
        // backup), into a temporary file that is synced before it replaces the database: a
        // crash or a full disk midway leaves the old database, not a truncated one.
        try copySynced(backup.resolvingSymlinksInPath(), to: database, through: directory.appendingPathComponent("vault.sqlite.restoring")) {
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database.path + suffix) }
        }
        let (archived, archiveFile) = try archiveAnchorsBeyond(
            database: database, anchorsFile: directory.appendingPathComponent("audit-anchors.jsonl"), now: now)
        // A backup from before row tags holds untagged rows: its own chain (a rows.tag entry or
        // none) decides at the next start whether they are tagged, not this directory's marker.
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(RowTagsInForce.markerName))
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(RowTagsInForce.subjectMarkerName))
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(SealedCopiesInForce.markerName))
        return RestoreReport(archivedAnchors: archived, archivedAnchorsFile: archiveFile, ledgerCopied: ledger != nil)
    }

    /// Copies `source` to `destination` through a synced temporary file renamed into place.
    static func copySynced(_ source: URL, to destination: URL, through incoming: URL, beforeRename: () -> Void = {}) throws {
        try? FileManager.default.removeItem(at: incoming)
        do {
            try FileManager.default.copyItem(at: source, to: incoming)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: incoming.path)
            try Self.sync(incoming)
            beforeRename()
            guard rename(incoming.path, destination.path) == 0 else { throw RestoreError.notWritten }
            try Self.sync(destination.deletingLastPathComponent())
        } catch {
            try? FileManager.default.removeItem(at: incoming)
            throw error
        }
    }

    /// Moves the anchors whose entry the restored database doesn't hold (by sequence and hash)
    /// to `audit-anchors.before-restore-<time>.jsonl`, and rewrites the anchors file with the rest.
    static func archiveAnchorsBeyond(database: URL, anchorsFile: URL, now: Date) throws -> (Int, URL?) {
        guard let data = FileManager.default.contents(atPath: anchorsFile.path) else { return (0, nil) }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { !$0.isEmpty }
        let anchors = lines.map { try? JSONDecoder().decode(AuditAnchor.self, from: Data($0.utf8)) }
        let hashes = try SQLiteVaultStore.auditHashes(inFile: database.path, at: Set(anchors.compactMap { $0?.seq }))
        // The reads chain stays as it is (a restore rolls back the store, not what was read):
        // its anchored heads are checked against the directory's own file.
        let readsFile = database.deletingLastPathComponent().appendingPathComponent(SQLiteReadAuditFile.fileName)
        let readsSeqs = Set(anchors.compactMap { $0?.anchoredHead(of: .reads)?.seq }.filter { $0 > 0 })
        let readsHashes =
            FileManager.default.fileExists(atPath: readsFile.path) && !readsSeqs.isEmpty
            ? try SQLiteVaultStore.auditHashes(inFile: readsFile.path, at: readsSeqs) : [:]
        func holds(_ anchor: AuditAnchor) -> Bool {
            guard anchor.seq == 0 || hashes[anchor.seq].map({ HashChain.hex($0) == anchor.head }) == true else { return false }
            guard let reads = anchor.anchoredHead(of: .reads), reads.seq > 0 else { return true }
            return readsHashes[reads.seq].map { HashChain.hex($0) == reads.head } == true
        }
        var kept: [Substring] = []
        var moved: [Substring] = []
        for (line, anchor) in zip(lines, anchors) {
            if let anchor, holds(anchor) { kept.append(line) } else { moved.append(line) }
        }
        guard !moved.isEmpty else { return (0, nil) }
        let stamp = ISO8601DateFormatter().string(from: now).replacingOccurrences(of: ":", with: "")
        let archive = anchorsFile.deletingLastPathComponent().appendingPathComponent("audit-anchors.before-restore-\(stamp).jsonl")
        try Data(moved.joined(separator: "\n").utf8 + [0x0a]).write(to: archive, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: archive.path)
        let rest = kept.isEmpty ? Data() : Data(kept.joined(separator: "\n").utf8 + [0x0a])
        try rest.write(to: anchorsFile, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: anchorsFile.path)
        return (moved.count, archive)
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
    case ledgerMissing(String)
    case masterKeyMissing(String)
    case ledgerAlreadyPresent(String)
    case ledgerUnreadable(String)
    case ledgerOfAnotherVault(String)
    case ledgerBehind(String, backupEntries: Int, ledgerEntries: Int)
    public var description: String {
        switch self {
        case .ledgerMissing(let path):
            "the data directory has no erasure ledger (\(path)): restored without it, everyone erased since the backup would come back; restore into the vault's own data directory, or pass --ledger with the vault's erasure-ledger.jsonl"
        case .masterKeyMissing(let path):
            "the data directory has no master key (\(path)) and \(MasterKeySource.environmentVariable) is not set: copy the vault's key file there first, or restore into the vault's own data directory"
        case .ledgerAlreadyPresent(let path): "the data directory already has an erasure ledger (\(path)); restore without --ledger"
        case .ledgerUnreadable(let path): "the erasure ledger \(path) cannot be read"
        case .ledgerOfAnotherVault(let path):
            "the erasure ledger \(path) belongs to another vault than the backup: restore into the vault's own data directory, or pass --ledger with its erasure-ledger.jsonl"
        case .ledgerBehind(let path, let backup, let ledger):
            "the erasure ledger \(path) holds \(ledger) entries but the backup was taken when it held \(backup) (or it is another vault's): use the vault's current ledger"
        case .notWritten: "the restored database could not be written and synced (the data directory keeps its database)"
        case .vaultRunning: "the data directory's database is in use (stop vaultd first)"
        case .missingBackup: "the backup file does not exist"
        case .notABackup: "the file is not a ProfileVault backup (not an SQLite database)"
        }
    }
}
