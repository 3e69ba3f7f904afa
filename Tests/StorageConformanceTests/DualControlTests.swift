import Foundation
import Storage
import Testing
import VaultModel
import VaultTestSupport

@testable import Vault

/// Dual control is decided when a token is used, not only when it is created.
@Suite("Dual control: decided at use")
struct DualControlTests {
    @Test("a token created while its role was shown nothing is refused once a policy shows the role values", arguments: StorageBackend.allCases)
    func policySwapRefused(_ backend: StorageBackend) async throws {
        let t = try await TemporaryVault.make(backend, dualControl: true)
        defer { t.remove() }
        let admin = Caller(requestID: "swap", principal: "admin-1", role: .admin)
        var files = t.vault.policies.current.files
        let shown = files["roles.yaml"]!
        // A role shown nothing: its token is no privileged grant and needs no approval.
        files["roles.yaml"] = shown + "  probe:\n    purposes: [operations]\n    rules: []\n"
        _ = try await t.vault.policyService.apply(files: files, caller: admin)
        let created = try await t.vault.tokens.create(principal: "probe-app", kind: .role(RoleName("probe")), caller: admin)
        #expect(!created.privileged && !created.awaitingApproval)
        let tokens = TokenService(store: t.vault.store, keys: t.vault.keys, policies: t.vault.policies, cacheLifetime: .zero, dualControl: true)
        #expect(try await tokens.authenticate(created.token.unsafeValue)?.name == "probe-app")
        // The same admin then makes the role see values: the token it already holds stops working.
        files["roles.yaml"] = shown + "  probe:\n    purposes: [operations]\n    rules:\n      - { category: user.contact, action: show }\n"
        _ = try await t.vault.policyService.apply(files: files, caller: admin)
        #expect(try await tokens.authenticate(created.token.unsafeValue) == nil)
        // A compliance principal can approve it, and it works again.
        let officer = Caller(requestID: "approve", principal: "officer-1", role: .compliance)
        _ = try await tokens.approve(created.record.id, caller: officer)
        #expect(try await tokens.authenticate(created.token.unsafeValue)?.name == "probe-app")
    }
}
