import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import Vault
import VaultAPI
import VaultModel

/// | method | path | who | purpose |
/// |---|---|---|---|
/// | POST | /v1/subjects/lookup | compliance, support, billing; by `source_record` compliance only | none (identifiers → ids) |
/// | GET | /v1/subjects/{id} | any role | X-Purpose, held by the role; `?explain=true` adds decisions |
/// | GET | /v1/subjects/{id}/timeline | any role | X-Purpose; `cursor`, `limit` (1–200) |
///
/// Identifiers travel in the body, never in the URL.
struct SubjectsController {
    let vault: ProfileVault
    let metrics: VaultMetrics
    let lookupLimiter: RateLimiter
    static let lookupRoles: Set<RoleName> = ["compliance", "support", "billing"]

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("/subjects/lookup") { request, context in
            _ = try context.requireRole(Self.lookupRoles)
            try Self.drawLookup(lookupLimiter, context)
            let body = try await JSONBody.decode(LookupRequest.self, from: request, context: context)
            let ids: [SubjectID]
            switch (body.identifiers, body.source_record) {
            case (let identifiers?, nil): ids = try await vault.lookup.lookup(identifiers, caller: context.caller())
            case (nil, let record?): ids = try await vault.lookup.lookup(source: record.source, key: record.key, caller: context.caller())
            default:
                throw Problem(.unprocessableContent, "invalid-value", "Invalid value", detail: "give exactly one of identifiers or source_record")
            }
            return try JSONBody.response(LookupResponse(subject_ids: ids.map(\.description)))
        }
        group.get("/subjects/{id}") { request, context in
            let role = try context.requireRole()
            guard let id = SubjectID(try context.parameters.require("id")) else { throw Problem.invalidID("subject id") }
            let purpose = try Self.purpose(of: request, in: vault.bundle.purposes)
            let view = try await vault.views.view(id, role: role, purpose: purpose, caller: context.caller(purpose: purpose))
            metrics.viewed(role: role.rawValue)
            let explain = request.uri.queryParameters["explain"].map { $0 == "true" || $0 == "1" } ?? false
            return try ViewJSON.response(Self.body(of: view, explain: explain))
        }
        group.get("/subjects/{id}/timeline") { request, context in
            let role = try context.requireRole()
            guard let id = SubjectID(try context.parameters.require("id")) else { throw Problem.invalidID("subject id") }
            let purpose = try Self.purpose(of: request, in: vault.bundle.purposes)
            let parameters = request.uri.queryParameters
            var limit = 50
            if let text = parameters["limit"] {
                guard let value = Int(text), (1...200).contains(value) else {
                    throw Problem(.badRequest, "invalid-parameter", "Invalid query parameter", detail: "limit must be 1 to 200")
                }
                limit = value
            }
            let page = try await vault.views.timeline(
                id, role: role, purpose: purpose, caller: context.caller(purpose: purpose),
                cursor: parameters["cursor"].map(String.init), limit: limit)
            return try JSONBody.response(
                TimelineBody(
                    subject_id: id.description,
                    events: page.entries.map {
                        TimelineEntryBody(
                            type: $0.type, source: $0.source.rawValue, occurred_at: Timestamp.format($0.occurredAt),
                            attributes: $0.attributes)
                    },
                    next_cursor: page.next))
        }
    }

    /// Takes one lookup from the caller's allowance, or 429.
    static func drawLookup(_ limiter: RateLimiter, _ context: AppRequestContext) throws {
        if let wait = limiter.take(for: context.principal?.tokenID.uuidString ?? "anonymous") {
            throw Problem(.tooManyRequests, "rate-limited", "Too many lookups", detail: "retry in \(wait) s", retryAfter: wait)
        }
    }

    /// The request's X-Purpose: one purpose that purposes.yaml defines. An invented
    /// sub-purpose (`essential.service.operations.support.zz_x`) would be covered by its
    /// parent's rules and audited under a name nobody defined.
    static func purpose(of request: Request, in catalog: PurposeCatalog) throws -> Purpose {
        let values = request.headers[values: .purpose]
        guard !values.isEmpty else { throw Problem.purposeRequired }
        guard values.count == 1, let purpose = Purpose(values[0].trimmingCharacters(in: .whitespaces)) else { throw Problem.invalidPurpose }
        guard catalog.contains(purpose) else { throw Problem.unknownPurpose }
        return purpose
    }

    static func body(of view: SubjectView, explain: Bool) -> SubjectViewBody {
        var fields: [String: String] = [:]
        for (name, value) in view.fields { fields[name.rawValue] = value.unsafeValue }
        let aggregates = view.aggregates.map {
            AggregatesBody(
                order_count: $0.orderCount, lifetime_value: $0.lifetimeValue, open_tickets: $0.openTickets,
                last_contact: $0.lastContact.map(Timestamp.format))
        }
        var decisions: [String: DecisionBody]?
        if explain {
            decisions = Dictionary(
                uniqueKeysWithValues: view.decisions.map {
                    (
                        $0.field.rawValue,
                        DecisionBody(action: $0.action.name, category: $0.decision.category.rawValue, rule: $0.decision.rule, reason: $0.reason)
                    )
                })
        }
        return SubjectViewBody(
            subject_id: view.subjectID.description, role: view.role.rawValue, purpose: view.purpose.rawValue,
            policy_version: view.policyVersion, restricted: view.restricted, fields: fields,
            aggregates: aggregates, sources: view.sources.map(\.rawValue), decisions: decisions)
    }
}
