import Catalog
import Foundation
import Identity
import Policy
import Storage
import VaultModel

public enum SegmentError: Error, Sendable, CustomStringConvertible {
    /// The role may not see this field for this purpose, so it may not filter on it either.
    case fieldNotAllowed(String)
    /// Without an indexed predicate the query would decrypt more subjects than allowed.
    case scanTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .fieldNotAllowed(let field): "the role may not filter on \(field): it is not shown to it for this purpose"
        case .scanTooLarge(let limit):
            "the filter has no indexed predicate and the vault holds more than \(limit) subjects; add an equals/in on an identifier or an exists"
        }
    }
}

/// Segment queries: which subjects match a filter and whose consent permits the purpose,
/// returned as the caller's redacted views.
///
/// Cost model (what never decrypts the whole database):
/// - `equals` / `in` on identifier fields go through blind indexes: no decryption to find candidates;
/// - `exists` reads the (plaintext) field names of `field_values`;
/// - `and` intersects, `or` unions the candidates of indexed branches;
/// - everything else (`range`, `equals` on non-identifiers) is checked on the decrypted
///   golden values of the candidates only. A filter with no indexed predicate scans every
///   subject (decrypting each), and is refused above `scanLimit` subjects.
public struct SegmentService: Sendable {
    let store: any VaultStore
    let keys: VaultKeys
    let views: ViewService
    let policies: PolicyState
    public var scanLimit = 100_000

    public init(store: any VaultStore, keys: VaultKeys, views: ViewService, policies: PolicyState) {
        self.store = store
        self.keys = keys
        self.views = views
        self.policies = policies
    }

    public func parse(_ json: JSONValue) throws -> SegmentFilter {
        var parser = SegmentFilterParser(catalog: policies.current.catalog)
        let filter = parser.parse(json)
        guard let filter, parser.issues.isEmpty else { throw IngestError.invalidBatch(parser.issues) }
        return filter
    }

    /// Views of matching subjects, at most `limit`, in subject id order.
    public func query(
        _ filter: SegmentFilter, role: RoleName, purpose: Purpose, limit: Int, caller: Caller,
        now: Date = Date()
    ) async throws -> [SubjectView] {
        let active = policies.active
        guard let decisions = active.policy.table.decisions(role: role, purpose: purpose) else {
            // Audited here: the server passes view errors through as already recorded.
            try await views.audit.record(
                caller.reading(for: purpose).draft(
                    "segment.query", policyVersion: active.label, outcome: "denied",
                    detail: "purpose not held by role"))
            throw ViewError.purposeNotHeld(role: role, purpose: purpose)
        }
        for field in filter.fields.sorted() {
            guard let category = active.policy.catalog.fields[field]?.category, decisions[category]?.action == .show else {
                throw SegmentError.fieldNotAllowed(field.rawValue)
            }
        }
        let candidates: [SubjectID]
        if let indexed = try await indexedCandidates(filter) {
            candidates = indexed.sorted()
        } else {
            guard try await store.subjectCount() <= scanLimit else { throw SegmentError.scanTooLarge(limit: scanLimit) }
            var all: [SubjectID] = []
            var after: SubjectID?
            while true {
                let page = try await store.subjectIDs(after: after, limit: 5000)
                all += page
                guard page.count == 5000 else { break }
                after = page.last
            }
            candidates = all
        }
        let needsConsent = !Purpose("essential")!.covers(purpose)
        let evaluator = views.evaluator(active.policy)
        var results: [SubjectView] = []
        var seen: Set<SubjectID> = []
        for id in candidates where results.count < limit {
            guard let profile = try await views.reader.readForView(id), seen.insert(profile.subjectID).inserted else { continue }
            if profile.restricted && role != .compliance { continue }
            let consent = profile.consentState
            if needsConsent && !consent.isPermitted(purpose, at: now) { continue }
            // Match on what the role sees as plain values (a consent-gated field it can't see doesn't match).
            let evaluated =
                try evaluator.evaluate(names: profile.fieldNames, role: role, purpose: purpose, consent: consent, at: now, value: profile.value(of:)) ?? []
            var visible: [FieldName: String] = [:]
            for field in evaluated where field.action == .show { visible[field.field] = field.value?.unsafeValue }
            guard filter.matches(visible) else { continue }
            var shown: [FieldName: Sensitive<String>] = [:]
            for field in evaluated { if let value = field.value { shown[field.field] = value } }
            results.append(
                SubjectView(
                    subjectID: profile.subjectID, role: role, purpose: purpose, policyVersion: active.label,
                    restricted: profile.restricted, fields: shown, decisions: [], aggregates: nil, sources: profile.sources))
        }
        try await views.audit.record(
            caller.reading(for: purpose).draft(
                // The fields disclosed (what the access export lists as received), not only those filtered on.
                "segment.query", subjects: results.map(\.subjectID.description),
                fields: Set(results.flatMap { $0.fields.keys.map(\.rawValue) } + filter.fields.map(\.rawValue)).sorted(),
                policyVersion: active.label, detail: "\(candidates.count) candidates, \(results.count) matches"))
        return results
    }

    /// Candidate subjects from indexed predicates; nil when the filter has none usable.
    func indexedCandidates(_ filter: SegmentFilter) async throws -> Set<SubjectID>? {
        let catalog = policies.current.catalog
        switch filter {
        case .equals(let field, let value) where catalog.fields[field]?.isIdentifier == true:
            return Set(try await store.subjects(matching: [keys.blindIndexer.index(field: field, normalized: value)]))
        case .oneOf(let field, let values) where catalog.fields[field]?.isIdentifier == true:
            return Set(try await store.subjects(matching: values.map { keys.blindIndexer.index(field: field, normalized: $0) }))
        case .exists(let field, true):
            return Set(try await store.subjects(having: field))
        case .and(let parts):
            var result: Set<SubjectID>?
            for part in parts {
                if let set = try await indexedCandidates(part) { result = result.map { $0.intersection(set) } ?? set }
            }
            return result
        case .or(let parts):
            var result: Set<SubjectID> = []
            for part in parts {
                guard let set = try await indexedCandidates(part) else { return nil }
                result.formUnion(set)
            }
            return result
        default:
            return nil
        }
    }
}
