import Foundation
import VaultModel

/// An append-only file of erasures beside the database: request id, subject id and the ids
/// of the data keys destroyed, never personal data.
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
        guard let data = FileManager.default.contents(atPath: file.path) else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").filter { !$0.isEmpty }.map {
            guard let entry = try? JSONDecoder().decode(Entry.self, from: Data($0.utf8)) else { throw ErasureLedgerError.corrupt }
            return entry
        }
    }
}

public enum ErasureLedgerError: Error, CustomStringConvertible, Sendable {
    case unwritable, corrupt
    public var description: String {
        switch self {
        case .unwritable: "the erasure ledger cannot be written"
        case .corrupt: "the erasure ledger is corrupt"
        }
    }
}
