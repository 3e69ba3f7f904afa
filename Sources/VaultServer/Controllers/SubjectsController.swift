import Foundation
import HTTPTypes
import Hummingbird
import Vault
import VaultAPI
import VaultModel

/// | method | path | who | purpose |
/// |---|---|---|---|
/// | POST | /v1/subjects/lookup | compliance, support, billing | none (identifiers → ids) |
/// | GET | /v1/subjects/{id} | any role | X-Purpose, held by the role |
///
/// Identifiers travel in the body, never in the URL.
struct SubjectsController {
    let vault: ProfileVault
    static let lookupRoles: Set<RoleName> = ["compliance", "support", "billing"]

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("/subjects/lookup") { request, context in
            _ = try context.requireRole(Self.lookupRoles)
            let body = try await JSONBody.decode(LookupRequest.self, from: request, context: context)
            let ids = try await vault.lookup.lookup(body.identifiers, caller: context.caller())
            return try JSONBody.response(LookupResponse(subject_ids: ids.map(\.description)))
        }
        group.get("/subjects/{id}") { request, context in
            let role = try context.requireRole()
            guard let id = SubjectID(try context.parameters.require("id")) else { throw Problem.invalidID("subject id") }
            let purpose = try Self.purpose(of: request)
            let view = try await vault.views.view(id, role: role, purpose: purpose, caller: context.caller(purpose: purpose))
            return try JSONBody.response(Self.body(of: view))
        }
    }

    static func purpose(of request: Request) throws -> Purpose {
        let values = request.headers[values: .purpose]
        guard !values.isEmpty else { throw Problem.purposeRequired }
        guard values.count == 1, let purpose = Purpose(values[0].trimmingCharacters(in: .whitespaces)) else { throw Problem.invalidPurpose }
        return purpose
    }

    static func body(of view: SubjectView) -> SubjectViewBody {
        var fields: [String: String] = [:]
        for (name, value) in view.fields { fields[name.rawValue] = value.unsafeValue }
        let aggregates = view.aggregates.map {
            AggregatesBody(order_count: $0.orderCount, lifetime_value: $0.lifetimeValue, open_tickets: $0.openTickets,
                           last_contact: $0.lastContact.map(Timestamp.format))
        }
        return SubjectViewBody(subject_id: view.subjectID.description, role: view.role.rawValue, purpose: view.purpose.rawValue,
                               policy_version: view.policyVersion, restricted: view.restricted, fields: fields,
                               aggregates: aggregates, sources: view.sources.map(\.rawValue))
    }
}
