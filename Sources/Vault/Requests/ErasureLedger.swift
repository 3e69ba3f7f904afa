import Foundation
import VaultModel

/// An append-only file of erasures beside the database: request id, subject id, the ids of
/// the data keys destroyed and the suppression entries added (keyed blind indexes), never
/// personal data; and one line naming the vault it belongs to.
///
/// An entry is written (and fsynced) *before* the erasure transaction, as an intent: after a
/// crash, or after a backup from before the erasure is restored, replaying the ledger at
/// start erases whoever is still there, so no restore resurrects an erased person.
public struct ErasureLedger: Sendable {
    public let file: URL
    public static let fileName = "erasure-ledger.jsonl"

    /// Creates the (empty, 0600) ledger of a data directory that has none yet: every vault's
    /// directory then has one, so a restore can tell a missing ledger from one never written.
    public func createIfMissing() throws {
        let fd = open(file.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw ErasureLedgerError.unwritable }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ErasureLedgerError.unwritable }
    }

    /// The line naming the vault the ledger belongs to (`RowAuthenticator.vaultID`): a restore
    /// refuses another vault's ledger, and vaultd refuses to start over one.
    struct Header: Codable {
        let vault: String
    }

    /// Names `vaultID` on the ledger's first line; throws when it names another vault. Run at
    /// every start, so it reads the first line only: a ledger written before it named a vault
    /// is rewritten once with the line in front (synced, then renamed over the old file).
    public func claim(for vaultID: String) throws {
        if let named = try self.vaultID() {
            guard named == vaultID else { throw ErasureLedgerError.anotherVault }
            return
        }
        let header = Data(try JSONEncoder().encode(Header(vault: vaultID)) + [0x0a])
        let existing = FileManager.default.contents(atPath: file.path) ?? Data()
        let incoming = file.deletingLastPathComponent().appendingPathComponent(ErasureLedger.fileName + ".claiming")
        do {
            try? FileManager.default.removeItem(at: incoming)
            guard FileManager.default.createFile(atPath: incoming.path, contents: header + existing, attributes: [.posixPermissions: 0o600]) else {
                throw ErasureLedgerError.unwritable
            }
            try BackupService.sync(incoming)
            guard rename(incoming.path, file.path) == 0 else { throw ErasureLedgerError.unwritable }
            try BackupService.sync(file.deletingLastPathComponent())
        } catch {
            try? FileManager.default.removeItem(at: incoming)
            throw ErasureLedgerError.unwritable
        }
    }

    /// The vault the ledger's first line names; nil for a ledger that names none.
    public func vaultID() throws -> String? {
        guard let handle = FileHandle(forReadingAtPath: file.path) else { return nil }
        defer { try? handle.close() }
        let start = try handle.read(upToCount: 4096) ?? Data()
        guard let end = start.firstIndex(of: 0x0a) else { return nil }
        return try? JSONDecoder().decode(Header.self, from: start[..<end]).vault
    }

    private func lines() throws -> [Substring] {
        guard let data = FileManager.default.contents(atPath: file.path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").filter { !$0.isEmpty }
    }

    public struct Entry: Codable, Sendable, Equatable {
        public let request_id: String
        public let subject_id: String
        public let key_owners: [String]
        public let at: String
        /// The suppression entries (blind indexes, hex) the erasure added: the database's
        /// suppression set is checked against them (`RequestService.restoreSuppressions`), so a
        /// row deleted there doesn't let the person back in. Absent in entries written before.
        public var suppressions: [String]? = nil
    }

    public func append(_ entry: Entry) throws {
        do { try AppendOnlyFile.append(entry, to: file) } catch { throw ErasureLedgerError.unwritable }
    }

    public func entries() throws -> [Entry] {
        try lines().compactMap { line -> Entry? in
            if let entry = try? JSONDecoder().decode(Entry.self, from: Data(line.utf8)) { return entry }
            guard (try? JSONDecoder().decode(Header.self, from: Data(line.utf8))) != nil else { throw ErasureLedgerError.corrupt }
            return nil
        }
    }
}

public enum ErasureLedgerError: Error, CustomStringConvertible, Sendable {
    case unwritable, corrupt, anotherVault
    public var description: String {
        switch self {
        case .anotherVault: "the erasure ledger in the data directory belongs to another vault"
        case .unwritable: "the erasure ledger cannot be written"
        case .corrupt: "the erasure ledger is corrupt"
        }
    }
}
