import Foundation
import Hummingbird
import Storage
import Vault
import VaultAPI
import VaultModel

/// | method | path | who | what |
/// |---|---|---|---|
/// | POST | /v1/tokens | admin | create a role or ingest token (shown once) |
/// | GET | /v1/tokens | admin | list principals and tokens (never the tokens) |
/// | DELETE | /v1/tokens/{id} | admin | revoke; effective on the next request |
/// | POST | /v1/tokens/{id}/approve | compliance (admin while none exists), not the creator | dual control: the grant works from now on |
struct TokensController {
    let vault: ProfileVault
    let metrics: VaultMetrics

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("/tokens") { request, context in
            _ = try context.requireRole([.admin])
            let body = try await JSONBody.decode(CreateTokenRequest.self, from: request, context: context)
            let kind: Principal.Kind
            switch (body.role, body.source) {
            case (let role?, nil): kind = .role(RoleName(role))
            case (nil, let source?):
                guard let name = SourceName(source) else {
                    throw Problem(.unprocessableContent, "unknown-source", "Unknown source", detail: "not a valid source name")
                }
                kind = .ingest(name)
            default:
                throw Problem(.unprocessableContent, "invalid-value", "Invalid value", detail: "give exactly one of role or source")
            }
            let created = try await vault.tokens.create(principal: body.principal, kind: kind, caller: context.caller())
            metrics.tokenCreated(created)
            return try JSONBody.response(
                CreatedTokenBody(
                    id: created.record.id.uuidString.lowercased(), token: created.token.unsafeValue,
                    principal: created.record.principal, role: created.record.role,
                    source: created.record.source, privileged: created.privileged,
                    awaiting_approval: created.awaitingApproval ? true : nil), status: .created)
        }
        group.get("/tokens") { _, context in
            _ = try context.requireRole([.admin])
            let tokens = try await vault.tokens.list(caller: context.caller(), audit: vault.audit)
            return try JSONBody.response(TokenListBody(tokens: tokens.map(Self.body)))
        }
        group.post("/tokens/{id}/approve") { _, context in
            _ = try context.requireRole([.compliance, .admin])
            guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw Problem.invalidID("token id") }
            return try JSONBody.response(Self.body(try await vault.tokens.approve(id, caller: context.caller())))
        }
        group.delete("/tokens/{id}") { _, context in
            _ = try context.requireRole([.admin])
            guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw Problem.invalidID("token id") }
            guard try await vault.tokens.revoke(id, caller: context.caller()) else { throw Problem.notFound("no active token with this id") }
            return Response(status: .noContent)
        }
    }

    static func body(_ record: TokenRecord) -> TokenBody {
        TokenBody(
            id: record.id.uuidString.lowercased(), principal: record.principal, role: record.role, source: record.source,
            created_at: Timestamp.format(record.createdAt), revoked_at: record.revokedAt.map(Timestamp.format),
            awaiting_approval: record.awaitingApproval ? true : nil)
    }
}
