import Foundation
import Storage

/// Row tags (`RowAuthenticator`) come into force once per vault: the first open of a database
/// without them tags the token, policy and request rows it already holds, and records that on the
/// audit chain (`rows.tag`) and in a marker file of the data directory. From then on an
/// untagged row was written outside the vault and fails its check where it is read.
///
/// Neither record lives only in the database: a database writer who drops the tag columns
/// and the migration record (so they are added again) finds the marker on any node that
/// tagged before; a node without it (a new replica) looks for the `rows.tag` entry, and
/// deleting that entry from the middle of the keyed chain is what `audit verify` reports.
enum RowTagsInForce {
    static let action = "rows.tag"
    static let markerName = "row-tags-in-force"

    /// Runs `step` unless this node's marker file or the chain's `action` entry says it ran (the
    /// step appends that entry itself, in its transaction), then writes the marker.
    static func once(
        _ action: String, marker name: String, store: any VaultStore, dataDirectory: URL, _ step: () async throws -> Void
    ) async throws {
        let marker = dataDirectory.appendingPathComponent(name)
        guard !FileManager.default.fileExists(atPath: marker.path) else { return }
        var recorded = AuditQuery()
        recorded.action = action
        recorded.limit = 1
        if try await store.auditEntries(recorded).isEmpty { try await step() }
        try Data("\(action) done\n".utf8).write(to: marker, options: .atomic)
        _ = chmod(marker.path, 0o600)
    }

    static func establish(store: any VaultStore, keys: VaultKeys, dataDirectory: URL) async throws {
        try await once(action, marker: markerName, store: store, dataDirectory: dataDirectory) {
            let rows = keys.rows
            let (allTokens, allPolicies, allRequests) = (try await store.tokens(), try await store.policyVersions(), try await store.requests(RequestFilter()))
            // A row that carries a tag means tags are in force already: the untagged ones were
            // written outside the vault (with the rows.tag entry deleted), and are left to fail.
            let inForce = allTokens.contains { $0.mac != nil } || allPolicies.contains { $0.mac != nil } || allRequests.contains { $0.mac != nil }
            let tokens = Dictionary(uniqueKeysWithValues: inForce ? [] : allTokens.filter { $0.mac == nil }.map { ($0.id, rows.tag($0)) })
            let policies = Dictionary(uniqueKeysWithValues: inForce ? [] : allPolicies.filter { $0.mac == nil }.map { ($0.version, rows.tag($0)) })
            let requests = Dictionary(uniqueKeysWithValues: inForce ? [] : allRequests.filter { $0.mac == nil }.map { ($0.id, rows.tag($0)) })
            let draft = Caller.system("upgrade").draft(
                action,
                detail:
                    "row tags in force: \(tokens.count) tokens, \(policies.count) policy versions and \(requests.count) requests written before them were tagged"
            )
            try await store.tagRows(tokens: tokens, policyVersions: policies, requests: requests, audit: AuditWrite(draft: draft, chain: keys.auditChain))
        }
    }

    /// Subject headers came later (`StoreRowTags`): the same once-per-vault step, with a
    /// marker and an audit action of their own, so a vault that tagged its other rows before
    /// still tags its subjects once.
    static let subjectAction = "rows.tag.subjects"
    static let subjectMarkerName = "subject-tags-in-force"

    static func establishSubjects(store: any VaultStore, keys: VaultKeys, dataDirectory: URL) async throws {
        store.rowTags.use(keys.rows)
        try await once(subjectAction, marker: subjectMarkerName, store: store, dataDirectory: dataDirectory) {
            let chain = keys.auditChain
            _ = try await store.tagUntaggedSubjects { count in
                AuditWrite(
                    draft: Caller.system("upgrade").draft(
                        subjectAction, detail: "subject tags in force: \(count) subject, record, identifier and held-value rows written before them were tagged"
                    ),
                    chain: chain)
            }
        }
    }
}
