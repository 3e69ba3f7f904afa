import Foundation
import Hummingbird
import Vault
import VaultModel

/// The console's admin pages: tokens (create shows the token once, revoke), policy versions
/// with their diffs, key rotation progress. Admin role only; compliance gets a 403 page.
///
/// | method | path | what | audit |
/// |---|---|---|---|
/// | GET | /console/tokens | principals and tokens (never the tokens) | token.list |
/// | POST | /console/tokens | create; the page shows it once | token.create |
/// | POST | /console/tokens/{id}/revoke | revoke | token.revoke |
/// | GET | /console/policies | versions, who applied them, per-file diffs | policy.history |
/// | GET | /console/keys | master-key versions, keys per version, re-wrap progress | console.view |
extension ConsoleController {
    func registerAdmin(on pages: RouterGroup<AppRequestContext>) {
        pages.get("/tokens") { _, context in try await tokensPage(context, created: nil) }
        pages.post("/tokens") { _, context in
            guard Self.isAdmin(context) else { return Self.adminOnly }
            let principal = (context.form["principal"] ?? "").trimmingCharacters(in: .whitespaces)
            let scope = context.form["scope"] ?? ""
            let kind: Principal.Kind
            if scope.hasPrefix("source:"), let source = SourceName(String(scope.dropFirst(7))) {
                kind = .ingest(source)
            } else if scope.hasPrefix("role:") {
                kind = .role(RoleName(String(scope.dropFirst(5))))
            } else {
                return ConsolePage.error(status: .badRequest, "Choose a role or a source for the token.")
            }
            do {
                let created = try await vault.tokens.create(principal: principal, kind: kind, caller: context.caller())
                return try await tokensPage(context, created: created.token.unsafeValue)
            } catch let error as TokenError {
                return ConsolePage.error(status: .unprocessableContent, "Not created: \(error.description)")
            }
        }
        pages.post("/tokens/{id}/revoke") { _, context in
            guard Self.isAdmin(context) else { return Self.adminOnly }
            guard let id = UUID(uuidString: try context.parameters.require("id")) else { return ConsolePage.error(status: .badRequest, "Not a token id.") }
            _ = try await vault.tokens.revoke(id, caller: context.caller())
            return ConsolePage.redirect(to: "/console/tokens")
        }
        pages.get("/policies") { _, context in
            guard Self.isAdmin(context) else { return Self.adminOnly }
            let versions = try await vault.policyService.history(caller: context.caller()).sorted { $0.version > $1.version }
            return ConsolePage.render("policies", title: "Policy versions", ["versions": versions.map { record -> [String: Any] in
                ["version": "v\(record.version)", "at": Timestamp.format(record.appliedAt), "by": record.appliedBy, "digest": String(record.digest.prefix(16)),
                 "files": record.diff.sorted { $0.key < $1.key }.map { ["file": $0.key, "lines": $0.value.joined(separator: "\n")] as [String: Any] }]
            }], context: context)
        }
        pages.get("/keys") { _, context in
            guard Self.isAdmin(context) else { return Self.adminOnly }
            let status = try await vault.rotation.status()
            try await vault.audit.record(context.caller().draft("console.view", detail: "keys"))
            return ConsolePage.render("keys", title: "Keys", [
                "active": status.activeVersion, "total": status.total, "pending": status.pending,
                "rate": status.ratePerSecond.map { String(format: "%.0f keys/s", $0) } ?? "idle",
                "eta": status.etaSeconds.map { String(format: "%.0f s", $0) } ?? "–",
                "versions": status.counts.sorted { $0.key < $1.key }.map { ["version": $0.key, "keys": $0.value, "active": $0.key == status.activeVersion] as [String: Any] },
            ], context: context)
        }
    }

    func tokensPage(_ context: AppRequestContext, created: String?) async throws -> Response {
        guard Self.isAdmin(context) else { return Self.adminOnly }
        let tokens = try await vault.tokens.list(caller: context.caller(), audit: vault.audit)
        let policy = vault.policies.current
        return ConsolePage.render("tokens", title: "Tokens", [
            "created": created as Any,
            "tokens": tokens.sorted { $0.createdAt > $1.createdAt }.map { t -> [String: Any] in
                ["id": t.id.uuidString.lowercased(), "principal": t.principal, "scope": t.role.map { "role \($0)" } ?? t.source.map { "source \($0)" } ?? "",
                 "created": Timestamp.format(t.createdAt), "revoked": t.revokedAt.map(Timestamp.format) ?? "", "live": t.revokedAt == nil]
            },
            "scopes": policy.roles.keys.map { "role:\($0)" }.sorted() + policy.catalog.sources.keys.map { "source:\($0)" }.sorted(),
        ], context: context)
    }

    static func isAdmin(_ context: AppRequestContext) -> Bool {
        if case .role(let role)? = context.principal?.kind { return role == .admin }
        return false
    }

    static var adminOnly: Response { ConsolePage.error(status: .forbidden, "This page is for the admin role.") }
}
