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
                issues.append(BatchIssue(index: 0, field: echo.field, type: "unknown-field", reason: echo.reason)); continue
            }
            guard definition.isIdentifier else {
                issues.append(BatchIssue(index: 0, field: name, type: "not-an-identifier", reason: "only identifier fields can be looked up")); continue
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
            var visible: [SubjectID] = []
            for subject in found {
                if try await store.sealedProfile(of: subject)?.restricted == true { withheld += 1 } else { visible.append(subject) }
            }
            found = visible
        }
        try await audit.record(caller.draft("subject.lookup", subjects: found.map(\.description), fields: identifiers.keys.sorted(),
                                            detail: "\(found.count) matches" + (withheld > 0 ? ", \(withheld) restricted withheld" : "")))
        return found
    }
}
