import Catalog
import Foundation
import VaultModel

/// A record that passed validation: normalized values, still plaintext (wrapped).
struct NormalizedRecord: Sendable {
    let key: Sensitive<String>
    let observedAt: Date
    let fields: [(name: FieldName, value: Sensitive<String>)]
}

/// Validates a whole batch of raw records before anything is sealed or stored.
///
/// Every problem of every record is collected (index and field, never the value) so a source
/// can fix its batch in one round trip.
struct RecordValidator {
    let catalog: FieldCatalog
    static let maximumKeyLength = 256
    static let members = ["key", "observed_at", "fields"]

    func validate(_ raw: [JSONValue], now: Date) throws -> [NormalizedRecord] {
        var issues: [BatchIssue] = []
        var records: [NormalizedRecord] = []
        for (index, item) in raw.enumerated() {
            guard case .object(let object) = item else {
                issues.append(BatchIssue(index: index, field: nil, type: "wrong-type", reason: "a record must be an object"))
                continue
            }
            var recordIssues: [BatchIssue] = []
            for name in object.keys.sorted() where !Self.members.contains(name) {
                let echo = SubmittedName.unknown(name, known: Self.members, what: "member (records have key, observed_at and fields)")
                recordIssues.append(BatchIssue(index: index, field: echo.field, type: "unknown-member", reason: echo.reason))
            }
            let key = Self.sourceKey(object["key"], index: index, issues: &recordIssues)
            let observedAt = Self.timestamp(object["observed_at"], member: "observed_at", index: index, now: now, issues: &recordIssues)
            var fields: [(FieldName, Sensitive<String>)] = []
            switch object["fields"] {
            case .object(let values)?:
                if values.isEmpty {
                    recordIssues.append(BatchIssue(index: index, field: "fields", type: "missing-field", reason: "a record needs at least one field"))
                }
                for name in values.keys.sorted() {
                    do throws(FieldIssue) {
                        fields.append((FieldName(name), try catalog.normalize(field: name, value: values[name]!)))
                    } catch {
                        recordIssues.append(BatchIssue(index: index, error))
                    }
                }
            case nil:
                recordIssues.append(BatchIssue(index: index, field: "fields", type: "missing-field", reason: "fields is required"))
            default:
                recordIssues.append(BatchIssue(index: index, field: "fields", type: "wrong-type", reason: "fields must be an object"))
            }
            if recordIssues.isEmpty, let key, let observedAt {
                records.append(NormalizedRecord(key: key, observedAt: observedAt, fields: fields))
            }
            issues += recordIssues
        }
        guard issues.isEmpty else { throw IngestError.invalidBatch(issues) }
        return records
    }

    static func sourceKey(_ value: JSONValue?, index: Int, issues: inout [BatchIssue]) -> Sensitive<String>? {
        guard let value else {
            issues.append(BatchIssue(index: index, field: "key", type: "missing-field", reason: "key is required"))
            return nil
        }
        guard case .string(let text) = value else {
            issues.append(BatchIssue(index: index, field: "key", type: "wrong-type", reason: "expected a string"))
            return nil
        }
        let trimmed = Normalizers.trimmed(text)
        guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= maximumKeyLength,
            !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            issues.append(BatchIssue(index: index, field: "key", type: "invalid-value", reason: "1 to \(maximumKeyLength) printable characters"))
            return nil
        }
        return Sensitive(trimmed)
    }

    /// Clock skew tolerated for a time ahead of the vault's clock.
    static let skew: TimeInterval = 300

    /// An RFC 3339 time; absent means "now". A time beyond the skew ahead of the vault's clock
    /// is refused and one within it recorded as now: a value dated ahead would outrank every
    /// later one in survivorship (rectifications too) and never expire under retention.
    static func timestamp(_ value: JSONValue?, member: String, index: Int, now: Date, issues: inout [BatchIssue]) -> Date? {
        guard let value else { return now }
        guard case .string(let text) = value else {
            issues.append(BatchIssue(index: index, field: member, type: "wrong-type", reason: "expected an RFC 3339 time string"))
            return nil
        }
        guard let date = Timestamp.parse(text) else {
            issues.append(BatchIssue(index: index, field: member, type: "invalid-value", reason: "not an RFC 3339 time"))
            return nil
        }
        guard date <= now.addingTimeInterval(skew) else {
            issues.append(BatchIssue(index: index, field: member, type: "invalid-value", reason: "in the future"))
            return nil
        }
        return min(date, now)
    }
}

/// RFC 3339 timestamps, with or without fractional seconds.
public enum Timestamp {
    public static func parse(_ text: String) -> Date? {
        if let d = try? Date(text, strategy: .iso8601) { return d }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }
}
