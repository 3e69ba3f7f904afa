import Audit
import Foundation
import Policy
import Storage

/// Versions, validates, applies and shows policy bundles.
///
/// The database holds every applied bundle; the latest is the one in force. `policies/`
/// seeds version 1 on the first start; later bundles are applied through the API
/// (`vaultctl policy apply`), validated, versioned, diffed and audited.
public struct PolicyService: Sendable {
    let store: any VaultStore
    let keys: VaultKeys
    let state: PolicyState
    let audit: AuditLog

    /// The bundle in force at start: the latest applied version, or `seed` as version 1. A
    /// stored version whose tag doesn't match (rewritten outside the vault) stops the start.
    /// `seed` loads the policy directory; it is called only when the database holds no version.
    static func initial(
        store: any VaultStore, keys: VaultKeys, seed load: () throws -> CompiledPolicy, phoneRegion: String, now: Date = Date()
    ) async throws -> ActivePolicy {
        if let latest = try await store.latestPolicyVersion() {
            guard keys.rows.verify(latest) else { throw RowIntegrityError.policyVersion(latest.version) }
            return ActivePolicy(number: latest.version, policy: try CompiledPolicy.compile(files: latest.files, phoneRegion: phoneRegion))
        }
        let seed = try load()
        var record = PolicyVersionRecord(
            version: 1, digest: seed.version, appliedAt: now, appliedBy: "vaultd (first start)",
            files: seed.files, diff: LineDiff.diff(bundles: [:], seed.files))
        record.mac = keys.rows.tag(record)
        let draft = Caller.system("policy").draft("policy.apply", detail: "v1 \(seed.version) from the policy directory", at: now)
        do {
            try await store.insertPolicyVersion(record, audit: AuditWrite(draft: draft, chain: keys.auditChain))
        } catch StoreError.staleResolution {
            // Another replica seeded version 1 first: that one is in force.
            return try await initial(store: store, keys: keys, seed: { seed }, phoneRegion: phoneRegion, now: now)
        }
        return ActivePolicy(number: 1, policy: seed)
    }

    /// Adopts a version another replica applied (replicas share the database, not memory);
    /// returns it when it replaced the one in force here. A version whose tag doesn't match is
    /// not adopted: the one in force stays, and the refusal is audited.
    @discardableResult
    public func refresh() async throws -> ActivePolicy? {
        guard let latest = try await store.latestPolicyVersion(), latest.version > state.active.number else { return nil }
        guard keys.rows.verify(latest) else {
            if state.refuseOnce(latest.version) {
                try await audit.record(
                    Caller.system("policy").draft(
                        "integrity.error", outcome: "failed",
                        detail: "stored policy version \(latest.version) failed its authentication; \(state.active.label) stays in force"))
            }
            throw RowIntegrityError.policyVersion(latest.version)
        }
        let next = ActivePolicy(
            number: latest.version,
            policy: try CompiledPolicy.compile(files: latest.files, phoneRegion: state.current.catalog.phoneRegion))
        return state.adopt(next) ? next : nil
    }

    public struct Applied: Sendable {
        public let version: ActivePolicy
        public let changed: Bool
        public let diff: [String: [String]]
    }

    /// Validates and applies `files`; a bundle identical to the one in force is not a new version.
    /// `forcedPastFailingTests`: the bundle's own tests failed this often and the admin applied
    /// it anyway; the audit entry says so.
    public func apply(files: [String: String], caller: Caller, forcedPastFailingTests: Int? = nil, now: Date = Date()) async throws -> Applied {
        let active = state.active
        let policy = try CompiledPolicy.compile(files: files, phoneRegion: active.policy.catalog.phoneRegion)
        if policy.version == active.policy.version {
            try await audit.record(caller.draft("policy.apply", outcome: "ok", detail: "unchanged, \(active.label) stays in force", at: now))
            return Applied(version: active, changed: false, diff: [:])
        }
        let diff = LineDiff.diff(bundles: active.policy.files, policy.files)
        let next = ActivePolicy(number: active.number + 1, policy: policy)
        let changed = diff.map { "\($0.key) \($0.value.filter { $0.hasPrefix("+") }.count)+/\($0.value.filter { $0.hasPrefix("-") }.count)-" }.sorted()
        let forced = forcedPastFailingTests.map { ", forced past \($0) failing policy tests" } ?? ""
        let draft = caller.draft(
            "policy.apply", detail: "\(active.label) → \(next.label) \(policy.version): \(changed.joined(separator: ", "))\(forced)", at: now)
        var record = PolicyVersionRecord(
            version: next.number, digest: policy.version, appliedAt: now, appliedBy: caller.principal,
            files: policy.files, diff: diff)
        record.mac = keys.rows.tag(record)
        try await store.insertPolicyVersion(record, audit: AuditWrite(draft: draft, chain: keys.auditChain))
        state.replace(with: next)
        return Applied(version: next, changed: true, diff: diff)
    }

    /// Validates without applying.
    public func validate(files: [String: String], caller: Caller) async throws -> CompiledPolicy {
        do {
            let policy = try CompiledPolicy.compile(files: files, phoneRegion: state.current.catalog.phoneRegion)
            try await audit.record(caller.draft("policy.validate", detail: "valid \(policy.version)"))
            return policy
        } catch let error as PolicyValidationError {
            try await audit.record(caller.draft("policy.validate", outcome: "refused", detail: "\(error.issues.count) problems"))
            throw error
        }
    }

    public func current(caller: Caller) async throws -> (ActivePolicy, PolicyVersionRecord?) {
        let active = state.active
        let record = try await store.policyVersions().first { $0.version == active.number }
        if let record, !keys.rows.verify(record) { throw RowIntegrityError.policyVersion(record.version) }
        try await audit.record(caller.draft("policy.read", detail: active.label))
        return (active, record)
    }

    public func history(caller: Caller) async throws -> [PolicyVersionRecord] {
        let versions = try await store.policyVersions()
        if let failed = versions.first(where: { !keys.rows.verify($0) }) { throw RowIntegrityError.policyVersion(failed.version) }
        try await audit.record(caller.draft("policy.history", detail: "\(versions.count) versions"))
        return versions
    }
}

/// vaultd's first start needs a policy bundle to seed version 1 from.
public struct PolicyDirectoryMissing: Error, CustomStringConvertible {
    public let path: String
    public var description: String {
        "the policy directory \(path) does not exist; the first start seeds the policy from it (--policies DIR), later starts use the stored versions"
    }
}
