import Foundation
import Hummingbird
import Identity
import Storage
import Vault
import VaultAPI
import VaultModel

/// Admin pages: tokens, policy versions, master keys. They call the services the API's
/// `TokensController`, `PoliciesController` and `KeysController` call, so they are audited
/// alike; none shows a personal value.
extension ConsoleController {
    func registerAdminPages(on group: RouterGroup<AppRequestContext>) {
        group.get("/tokens") { _, context in try await tokensPage(context, created: nil) }
        group.post("/tokens") { _, context in try await createToken(context) }
        group.post("/tokens/{id}/revoke") { _, context in
            guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw Problem.invalidID("token id") }
            guard try await vault.tokens.revoke(id, caller: context.caller()) else { throw Problem.notFound("no active token with this id") }
            return ConsolePage.redirect(to: "/console/tokens")
        }
        group.get("/policies") { _, context in try await policiesPage(context) }
        group.get("/keys") { _, context in try await keysPage(context) }
        group.post("/keys/rotate") { _, context in
            _ = try await vault.rotation.rotate(caller: context.caller())
            return ConsolePage.redirect(to: "/console/keys")
        }
    }

    // MARK: Tokens

    /// The token list; after a creation, the new token once, in the response to the POST
    /// (never in a URL, never again: the vault keeps only its hash).
    func tokensPage(_ context: AppRequestContext, created: TokenService.Created?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let tokens = try await vault.tokens.list(caller: context.caller(), audit: vault.audit)
            .sorted { ($0.revokedAt == nil ? 0 : 1, $0.createdAt) < ($1.revokedAt == nil ? 0 : 1, $1.createdAt) }
        let bundle = vault.bundle
        let scopes =
            bundle.roles.purposes.keys.map { "role:\($0.rawValue)" }.sorted()
            + bundle.catalog.sources.keys.filter { $0.rawValue != Survivorship.rectificationSource }.map { "source:\($0.rawValue)" }.sorted()
        var values: [String: Any] = [
            "tokens": tokens.map { t -> [String: Any] in
                [
                    "id": t.id.uuidString.lowercased(), "principal": t.principal,
                    "scope": t.role.map { "role \($0)" } ?? t.source.map { "source \($0)" } ?? "–",
                    "created": Timestamp.format(t.createdAt), "revoked": t.revokedAt.map(Timestamp.format) ?? "", "active": t.revokedAt == nil,
                    "own": t.id == context.principal?.tokenID,
                ]
            },
            "scopes": scopes.map { ["value": $0, "label": $0.replacingOccurrences(of: ":", with: " ")] },
            "activeCount": tokens.filter { $0.revokedAt == nil }.count,
        ]
        if let created {
            values["created"] =
                [
                    "token": created.token.unsafeValue, "principal": created.record.principal,
                    "scope": created.record.role.map { "role \($0)" } ?? "source \(created.record.source ?? "")",
                ] as [String: Any]
        }
        return ConsolePage.render("tokens", title: "Tokens", values, context: context, status: status)
    }

    func createToken(_ context: AppRequestContext) async throws -> Response {
        let principal = (context.form["principal"] ?? "").trimmingCharacters(in: .whitespaces)
        let scope = (context.form["scope"] ?? "").split(separator: ":", maxSplits: 1).map(String.init)
        let kind: Principal.Kind
        switch (scope.first, scope.count == 2 ? scope[1] : nil) {
        case ("role", let role?): kind = .role(RoleName(role))
        case ("source", let source?):
            guard let name = SourceName(source) else { return ConsolePage.error(status: .badRequest, "Unknown source.", context: context) }
            kind = .ingest(name)
        default: return ConsolePage.error(status: .badRequest, "Choose a role or a source for the token.", context: context)
        }
        let created = try await vault.tokens.create(principal: principal, kind: kind, caller: context.caller())
        metrics.tokenCreated(created)
        return try await tokensPage(context, created: created, status: .created)
    }

    // MARK: Policies

    func policiesPage(_ context: AppRequestContext) async throws -> Response {
        let (active, record) = try await vault.policyService.current(caller: context.caller())
        let versions = try await vault.policyService.history(caller: context.caller()).sorted { $0.version > $1.version }
        return ConsolePage.render(
            "policies", title: "Policies",
            [
                "label": active.label, "digest": active.policy.version,
                "appliedAt": record.map { Timestamp.format($0.appliedAt) } ?? "", "appliedBy": record?.appliedBy ?? "",
                "files": active.policy.files.keys.sorted().map {
                    ["name": $0, "lines": active.policy.files[$0]!.split(separator: "\n").count] as [String: Any]
                },
                "versions": versions.map { v -> [String: Any] in
                    let added = v.diff.values.reduce(0) { $0 + $1.filter { $0.hasPrefix("+") }.count }
                    let removed = v.diff.values.reduce(0) { $0 + $1.filter { $0.hasPrefix("-") }.count }
                    return [
                        "version": "v\(v.version)", "digest": v.digest, "appliedAt": Timestamp.format(v.appliedAt), "appliedBy": v.appliedBy,
                        "inForce": v.version == active.number, "openDiff": v.version == active.number && v.version > 1, "added": added, "removed": removed,
                        "first": v.version == 1,
                        "files": v.diff.keys.sorted().map { name -> [String: Any] in
                            [
                                "name": name,
                                "lines": v.diff[name]!.map { line -> [String: Any] in
                                    ["text": line, "added": line.hasPrefix("+"), "removed": line.hasPrefix("-")]
                                },
                            ]
                        },
                    ]
                },
            ], context: context)
    }

    // MARK: Keys

    /// Master-key versions and the rewrap progress of a rotation. Nothing secret: counts,
    /// states and the public signing key. `GET /v1/keys` is not audited; the page view is.
    func keysPage(_ context: AppRequestContext) async throws -> Response {
        let status = try await vault.rotation.status()
        let versions = try await vault.rotation.versions()
        try await vault.audit.record(context.caller().draft("console.view", detail: "keys"))
        let done = status.total - status.pending
        let percent = status.total == 0 ? 100 : Int((Double(done) / Double(status.total) * 100).rounded(.down))
        var values: [String: Any] = [
            "active": status.activeVersion, "next": (versions.map(\.version).max() ?? status.activeVersion) + 1,
            "publicKey": Data(vault.audit.publicKey.bytes).base64EncodedString(),
            "versions": versions.sorted { $0.version > $1.version }.map {
                [
                    "version": $0.version, "state": $0.state, "created": Timestamp.format($0.createdAt), "keys": status.counts[$0.version] ?? 0,
                    "isActive": $0.version == status.activeVersion,
                ] as [String: Any]
            },
            "total": status.total, "done": done, "pending": status.pending, "percent": percent, "complete": status.pending == 0,
        ]
        // Absent when unknown: a Mustache section renders for any present value.
        if let rate = status.ratePerSecond { values["rate"] = String(format: "%.0f", rate) }
        if let eta = status.etaSeconds { values["eta"] = String(format: "%.0f", eta.rounded(.up)) }
        return ConsolePage.render("keys", title: "Keys", values, context: context)
    }
}
