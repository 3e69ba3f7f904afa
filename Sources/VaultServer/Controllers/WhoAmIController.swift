import Hummingbird
import Vault
import VaultAPI
import VaultModel

/// | method | path | who | audit action |
/// |---|---|---|---|
/// | GET | /v1/whoami | any token | none: the caller's own principal, role or source, and the purposes its role may read with |
struct WhoAmIController {
    let vault: ProfileVault

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("/whoami") { _, context in
            guard let principal = context.principal else { throw Problem.unauthorized }
            switch principal.kind {
            case .role(let role):
                let purposes = (vault.bundle.roles.purposes[role] ?? []).map(\.rawValue).sorted()
                return try JSONBody.response(
                    WhoAmIBody(principal: principal.name, token_id: principal.tokenID.uuidString.lowercased(), role: role.rawValue, purposes: purposes))
            case .ingest(let source):
                return try JSONBody.response(
                    WhoAmIBody(principal: principal.name, token_id: principal.tokenID.uuidString.lowercased(), source: source.rawValue))
            }
        }
    }
}
