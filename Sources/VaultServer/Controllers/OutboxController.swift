import Foundation
import Hummingbird
import Requests
import Storage
import Vault
import VaultAPI
import VaultModel

/// | method | path | who | audit action |
/// |---|---|---|---|
/// | GET | /v1/erasures/outbox | ingest token of a source | outbox.read (its own notices) |
/// | POST | /v1/erasures/outbox/{id}/ack | ingest token of the notice's source | outbox.ack |
/// | GET | /v1/keys | admin, compliance | none: public key and key versions, nothing secret |
struct OutboxController {
    let vault: ProfileVault

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("/erasures/outbox") { _, context in
            guard let source = context.principal?.source else { throw Problem.forbidden("this route needs an ingest token") }
            let notices = try await vault.requests.outbox(for: source, caller: context.caller())
            return try JSONBody.response(
                OutboxBody(
                    notices: notices.map {
                        OutboxNoticeBody(
                            id: $0.id.uuidString.lowercased(), request_id: $0.requestID.uuidString.lowercased(), kind: $0.kind.rawValue,
                            key: $0.sourceKey?.unsafeValue, created_at: Timestamp.format($0.createdAt))
                    }))
        }
        group.post("/erasures/outbox/{id}/ack") { _, context in
            guard let source = context.principal?.source else { throw Problem.forbidden("this route needs an ingest token") }
            guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw Problem.invalidID("notice id") }
            guard try await vault.requests.acknowledge(id, source: source, caller: context.caller()) else {
                throw Problem.notFound("no unacknowledged notice with this id for this source")
            }
            return Response(status: .noContent)
        }
        group.get("/keys") { _, context in
            _ = try context.requireRole([.admin, .compliance])
            return try JSONBody.response(try await KeysController.body(vault))
        }
    }
}
