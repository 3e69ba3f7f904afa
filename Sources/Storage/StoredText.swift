import Audit
import Foundation
import VaultModel

/// How both backends write lists and maps into text columns, so a row reads the same
/// whichever database holds it.
public enum StoredList {
    /// A JSON array of strings (two per audit entry, so written by `JSONWriter`).
    public static func encode(_ items: [String]) -> String {
        var json = JSONWriter()
        json.strings(items)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}

extension PolicyVersionRecord {
    /// The bundle's files and diff as stored: JSON with sorted keys.
    public struct StoredText: Sendable {
        public let files: String
        public let diff: String

        public init(_ record: PolicyVersionRecord) throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            files = String(decoding: try encoder.encode(record.files), as: UTF8.self)
            diff = String(decoding: try encoder.encode(record.diff), as: UTF8.self)
        }

        public init(files: String, diff: String) {
            self.files = files
            self.diff = diff
        }

        public func record(version: Int, digest: String, appliedAt: Date, appliedBy: String) throws -> PolicyVersionRecord {
            let decoder = JSONDecoder()
            return PolicyVersionRecord(
                version: version, digest: digest, appliedAt: appliedAt, appliedBy: appliedBy,
                files: try decoder.decode([String: String].self, from: Data(files.utf8)),
                diff: try decoder.decode([String: [String]].self, from: Data(diff.utf8)))
        }
    }
}

/// The audit entry of a retention sweep: what it deleted (or would), counted per field and event type.
public enum SweepReport {
    public static func draft(_ base: AuditDraft, fields: [FieldName: Int], events: [String: Int], held: Int, dryRun: Bool) -> AuditDraft {
        var draft = base
        let parts =
            fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            + events.sorted { $0.key < $1.key }.map { "event \($0.key)=\($0.value)" } + (held > 0 ? ["held=\(held)"] : [])
        draft.fields = fields.keys.map(\.rawValue).sorted()
        draft.detail = (dryRun ? "dry run, would delete: " : "deleted: ") + (parts.isEmpty ? "nothing" : parts.joined(separator: ", "))
        return draft
    }
}
