import Catalog
import Foundation
import Identity
import Storage
import VaultModel

/// Identifiers → subject ids, through blind indexes only: the lookup never reads plaintext.
public struct LookupService: Sendable {
    let store: any VaultStore
    let keys: VaultKeys
    let policies: PolicyState
    let audit: AuditLog
    var catalog: FieldCatalog { policies.current.catalog }

    public init(store: any VaultStore, keys: VaultKeys, policies: PolicyState, audit: AuditLog) {
        self.store = store
        self.keys = keys
        self.policies = policies
        self.audit = audit
    }

    /// Subjects holding any of the given identifiers (a union: each identifier alone
    /// designates a person), sorted for stable output.
    public func lookup(_ identifiers: [String: JSONValue], caller: Caller) async throws -> [SubjectID] {
        guard !identifiers.isEmpty else {
            throw IngestError.invalidBatch([BatchIssue(index: 0, field: "identifiers", type: "missing-field", reason: "at least one identifier is required")])
        }
        var issues: [BatchIssue] = []
        var indexes: [BlindIndex] = []
        for name in identifiers.keys.sorted() {
            guard let definition = catalog.fields[FieldName(name)] else {
                let echo = SubmittedName.unknown(name, known: catalog.fields.keys.map(\.rawValue), what: "field")
                issues.append(BatchIssue(index: 0, field: echo.field, type: "unknown-field", reason: echo.reason))
                continue
            }
            guard definition.isIdentifier else {
                issues.append(BatchIssue(index: 0, field: name, type: "not-an-identifier", reason: "only identifier fields can be looked up"))
                continue
            }
            do throws(FieldIssue) {
                let value = try catalog.normalize(field: name, value: identifiers[name]!)
                indexes.append(keys.blindIndexer.index(field: definition.name, normalized: value))
            } catch {
                issues.append(BatchIssue(index: 0, error))
            }
        }
        guard issues.isEmpty else { throw IngestError.invalidBatch(issues) }
        var found = try await store.subjects(matching: indexes)
        // Restriction of processing: only compliance may find a restricted subject (a 403 on its
        // view would confirm the restriction to anyone else).
        var withheld = 0
        if caller.role != .compliance {
            let restricted = try await store.restrictedSubjects(among: found)
            withheld = found.filter(restricted.contains).count
            found.removeAll(where: restricted.contains)
        }
        try await audit.record(
            caller.draft(
                "subject.lookup", subjects: found.map(\.description), fields: identifiers.keys.sorted(),
                detail: "\(found.count) matches" + (withheld > 0 ? ", \(withheld) restricted withheld" : "")))
        return found
    }

    /// The subject holding `source`'s record `key` (a customer number quoted in a request), for
    /// compliance only: it says which person a source's record belongs to, which sources
    /// themselves are not told (`OutcomeDisclosure`). Through the record key's blind index; the
    /// key is normalized as ingest does and never echoed.
    public func lookup(source name: String, key raw: String, caller: Caller) async throws -> [SubjectID] {
        guard caller.role == .compliance else { throw LookupError.complianceOnly }
        guard let source = SourceName(name), catalog.sources[source] != nil else {
            let echo = SubmittedName.unknown(name, known: catalog.sources.keys.map(\.rawValue), what: "source")
            throw IngestError.invalidBatch([
                BatchIssue(
                    index: 0, field: "source_record.source", type: "unknown-source",
                    reason: echo.reason)
            ])
        }
        var issues: [BatchIssue] = []
        guard let key = RecordValidator.sourceKey(.string(raw), index: 0, issues: &issues) else {
            throw IngestError.invalidBatch(issues.map { BatchIssue(index: 0, field: "source_record.key", type: $0.type, reason: $0.reason) })
        }
        let index = keys.blindIndexer.index(source: source, recordKey: key)
        let snapshot = try await store.resolutionSnapshot(source: source, sourceKeys: [index], identifiers: [])
        var found: [SubjectID] = []
        if let owner = snapshot.subjectBySourceKey[index.bytes], let subject = try await store.canonicalSubject(of: owner) { found = [subject] }
        try await audit.record(
            caller.draft(
                "subject.lookup", subjects: found.map(\.description), fields: ["source_record"],
                detail: "\(found.count) matches for a \(source) record"))
        return found
    }
}

public enum LookupError: Error, CustomStringConvertible, Sendable {
    case complianceOnly
    public var description: String {
        switch self {
        case .complianceOnly: "only compliance may look a person up by a source's record"
        }
    }
}
