import Catalog
import Foundation
import VaultModel
import Yams

/// How long values are kept: per field (fields.yaml `retention`), per category and per
/// event type (retention.yaml). Durations are `Nd` (days) or `Ny` (365-day years).
public struct RetentionRules: Sendable, Equatable {
    public let fields: [FieldName: Int]
    public let events: [String: Int]

    public static func days(_ text: String) -> Int? {
        guard let unit = text.last, let n = Int(text.dropLast()), n > 0 else { return nil }
        switch unit {
        case "d": return n
        case "y": return n * 365
        default: return nil
        }
    }

    static func compile(_ text: String, catalog: FieldCatalog, holds: [LegalHold]) throws -> RetentionRules {
        let file: LegalHold.RetentionFile
        do { file = try YAMLDecoder().decode(LegalHold.RetentionFile.self, from: text) } catch {
            throw PolicyValidationError(issues: [PolicyIssue(file: "retention.yaml", line: nil, rule: nil, message: "expected retention: {categories, events}")]
            )
        }
        var issues: [PolicyIssue] = []
        var categories: [(DataCategory, Int)] = []
        for (key, value) in file.retention?.categories ?? [:] {
            guard let category = DataCategory(key), let days = days(value) else {
                issues.append(PolicyIssue(file: "retention.yaml", line: nil, rule: key, message: "a retention is a category and a duration like 90d or 2y"))
                continue
            }
            categories.append((category, days))
        }
        var fields: [FieldName: Int] = [:]
        for field in catalog.fields.values {
            if holds.contains(where: { $0.category.covers(field.category) }) { continue }  // the hold is the floor
            if let own = field.retention {
                guard let days = days(own) else {
                    issues.append(PolicyIssue(file: "fields.yaml", line: nil, rule: field.name.rawValue, message: "retention must be like 90d or 2y"))
                    continue
                }
                fields[field.name] = days
            } else if let rule = categories.filter({ $0.0.covers(field.category) }).max(by: { $0.0.segments.count < $1.0.segments.count }) {
                fields[field.name] = rule.1
            }
        }
        var events: [String: Int] = [:]
        for (type, value) in file.retention?.events ?? [:] {
            guard catalog.eventTypes[type] != nil, let days = days(value) else {
                issues.append(PolicyIssue(file: "retention.yaml", line: nil, rule: type, message: "an event retention names an event type and a duration"))
                continue
            }
            events[type] = days
        }
        guard issues.isEmpty else { throw PolicyValidationError(issues: issues) }
        return RetentionRules(fields: fields, events: events)
    }
}
