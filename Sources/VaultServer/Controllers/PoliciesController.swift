import Foundation
import Hummingbird
import Policy
import Vault
import VaultAPI
import VaultModel

/// | method | path | who | audit action |
/// |---|---|---|---|
/// | GET | /v1/policies | admin | policy.read |
/// | PUT | /v1/policies | admin | policy.apply (with the diff summary) |
/// | POST | /v1/policies/validate | admin | policy.validate |
/// | GET | /v1/policies/history | admin | policy.history |
struct PoliciesController {
    let vault: ProfileVault

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("/policies") { _, context in
            _ = try context.requireRole([.admin])
            let (active, record) = try await vault.policyService.current(caller: context.caller())
            return try JSONBody.response(
                PolicyBody(
                    version: active.label, digest: active.policy.version,
                    applied_at: record.map { Timestamp.format($0.appliedAt) }, applied_by: record?.appliedBy,
                    files: active.policy.files))
        }
        group.put("/policies") { request, context in
            _ = try context.requireRole([.admin])
            let body = try await JSONBody.decode(PolicyFilesBody.self, from: request, context: context)
            let applied = try await vault.policyService.apply(
                files: body.files, caller: context.caller(), forcedPastFailingTests: body.forced_past_failing_tests.map { max(1, $0) })
            return try JSONBody.response(
                PolicyAppliedBody(
                    version: applied.version.label, digest: applied.version.policy.version,
                    changed: applied.changed, diff: applied.diff))
        }
        group.post("/policies/validate") { request, context in
            _ = try context.requireRole([.admin])
            let body = try await JSONBody.decode(PolicyFilesBody.self, from: request, context: context)
            let policy = try await vault.policyService.validate(files: body.files, caller: context.caller())
            return try JSONBody.response(PolicyValidBody(valid: true, digest: policy.version))
        }
        group.get("/policies/history") { _, context in
            _ = try context.requireRole([.admin])
            let versions = try await vault.policyService.history(caller: context.caller())
            return try JSONBody.response(
                PolicyHistoryBody(
                    versions: versions.map {
                        PolicyVersionBody(
                            version: "v\($0.version)", digest: $0.digest, applied_at: Timestamp.format($0.appliedAt),
                            applied_by: $0.appliedBy, diff: $0.diff)
                    }))
        }
    }
}
