import Catalog
import Foundation
import VaultModel

/// A segment filter: predicates on fields combined with `and` / `or`.
///
/// JSON: `{"field": "email", "equals": "…"}`, `{"field": "city", "in": ["…"]}`,
/// `{"field": "birth_date", "range": {"gte": "1980-01-01", "lt": "1990-01-01"}}`,
/// `{"field": "iban", "exists": true}`, `{"and": [ … ]}`, `{"or": [ … ]}`.
/// Values are normalized like ingested values before they are compared; ranges compare the
/// normalized text (ISO dates and postal codes order correctly).
public indirect enum SegmentFilter: Sendable {
    case and([SegmentFilter])
    case or([SegmentFilter])
    case equals(FieldName, Sensitive<String>)
    case oneOf(FieldName, [Sensitive<String>])
    case range(FieldName, lower: (value: String, inclusive: Bool)?, upper: (value: String, inclusive: Bool)?)
    case exists(FieldName, Bool)

    /// Every field the filter reads.
    var fields: Set<FieldName> {
        switch self {
        case .and(let parts), .or(let parts): parts.reduce(into: []) { $0.formUnion($1.fields) }
        case .equals(let f, _), .oneOf(let f, _), .range(let f, _, _), .exists(let f, _): [f]
        }
    }

    /// Evaluates on golden values the caller may see (others are absent).
    func matches(_ values: [FieldName: String]) -> Bool {
        switch self {
        case .and(let parts): return parts.allSatisfy { $0.matches(values) }
        case .or(let parts): return parts.contains { $0.matches(values) }
        case .equals(let f, let v): return values[f] == v.unsafeValue
        case .oneOf(let f, let vs): return values[f].map { value in vs.contains { $0.unsafeValue == value } } ?? false
        case .exists(let f, let present): return (values[f] != nil) == present
        case .range(let f, let lower, let upper):
            guard let value = values[f] else { return false }
            if let lower, lower.inclusive ? value < lower.value : value <= lower.value { return false }
            if let upper, upper.inclusive ? value > upper.value : value >= upper.value { return false }
            return true
        }
    }
}

/// Parses a filter, collecting problems by JSON path (never by value).
struct SegmentFilterParser {
    let catalog: FieldCatalog
    var issues: [BatchIssue] = []
    static let maximumDepth = 8
    static let maximumPredicates = 64
    var predicates = 0

    mutating func parse(_ json: JSONValue, path: String = "filter", depth: Int = 0) -> SegmentFilter? {
        guard depth < Self.maximumDepth else {
            issue(path, "too-deep", "filters nest at most \(Self.maximumDepth) levels")
            return nil
        }
        guard case .object(let o) = json else {
            issue(path, "wrong-type", "a filter is an object")
            return nil
        }
        predicates += 1
        guard predicates <= Self.maximumPredicates else {
            issue(path, "too-many-predicates", "at most \(Self.maximumPredicates) predicates")
            return nil
        }
        for combinator in ["and", "or"] where o[combinator] != nil {
            guard o.count == 1, case .array(let items)? = o[combinator], !items.isEmpty else {
                issue(path, "invalid-value", "\(combinator) takes a non-empty list and nothing else")
                return nil
            }
            let parts = items.enumerated().compactMap { parse($1, path: "\(path).\(combinator).\($0)", depth: depth + 1) }
            guard parts.count == items.count else { return nil }
            return combinator == "and" ? .and(parts) : .or(parts)
        }
        guard case .string(let name)? = o["field"] else {
            issue(path, "missing-field", "a predicate names a field")
            return nil
        }
        guard let definition = catalog.fields[FieldName(name)] else {
            issue("\(path).field", "unknown-field", "not in the field catalog")
            return nil
        }
        let field = definition.name
        let operators = Set(o.keys).subtracting(["field"])
        guard operators.count == 1, let op = operators.first else {
            issue(path, "invalid-value", "a predicate has exactly one of equals, in, range, exists")
            return nil
        }
        func normalized(_ value: JSONValue, at p: String) -> Sensitive<String>? {
            do throws(FieldIssue) {
                return try catalog.normalize(field: name, value: value)
            } catch {
                issue(p, error.kind.rawValue, error.reason)
                return nil
            }
        }
        switch (op, o[op]!) {
        case ("equals", let value):
            return normalized(value, at: "\(path).equals").map { .equals(field, $0) }
        case ("in", .array(let values)) where !values.isEmpty && values.count <= 100:
            let all = values.enumerated().compactMap { normalized($1, at: "\(path).in.\($0)") }
            return all.count == values.count ? .oneOf(field, all) : nil
        case ("exists", .bool(let present)):
            return .exists(field, present)
        case ("range", .object(let bounds)):
            var lower: (String, Bool)?
            var upper: (String, Bool)?
            for (key, value) in bounds {
                guard let v = normalized(value, at: "\(path).range.\(key)") else { return nil }
                switch key {
                case "gt", "gte": lower = (v.unsafeValue, key == "gte")
                case "lt", "lte": upper = (v.unsafeValue, key == "lte")
                default:
                    issue("\(path).range.\(key)", "invalid-value", "bounds are gt, gte, lt, lte")
                    return nil
                }
            }
            guard lower != nil || upper != nil else {
                issue("\(path).range", "invalid-value", "a range needs a bound")
                return nil
            }
            return .range(field, lower: lower.map { ($0.0, $0.1) }, upper: upper.map { ($0.0, $0.1) })
        default:
            issue("\(path).\(op)", "invalid-value", "equals takes a value, in a list of 1 to 100, exists a boolean, range an object")
            return nil
        }
    }

    mutating func issue(_ path: String, _ type: String, _ reason: String) {
        issues.append(BatchIssue(index: 0, field: path, type: type, reason: reason))
    }
}
