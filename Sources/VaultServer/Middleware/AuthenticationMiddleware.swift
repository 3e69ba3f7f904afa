import Foundation
import Hummingbird
import Vault
import VaultModel

/// Resolves `Authorization: Bearer …` to a principal. Every `/v1` route requires one;
/// which principals a route admits is the controller's decision.
///
/// Denied requests (401, 403) are audited here, as `access.denied` with the route; a view
/// refused for its purpose is audited by the view itself. Refusals without a credential are
/// recorded up to a rate (`AnonymousDenials`). A request that met stored data failing its
/// integrity check (a tampered ciphertext or token row, a rewritten policy version) is
/// audited here as `integrity.error`, whatever route it took.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: TokenService
    let audit: AuditLog
    let anonymous: AnonymousDenials

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        do {
            let values = request.headers[values: .authorization]
            guard values.count == 1, let header = values.first, header.hasPrefix("Bearer ") else { throw Problem.unauthorized }
            let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
            guard let principal = try await tokens.authenticate(token) else { throw Problem.unauthorized }
            context.principal = principal
            return try await next(request, context)
        } catch {
            if let problem = Problem.from(error), problem.slug == Problem.integrityError.slug {
                let detail = "\(request.method.rawValue) \(context.endpointPath ?? "unmatched route"): \(problem.slug)"
                // `try?`: the request fails with integrity-error either way; an audit sink that
                // failed too refuses the next audited request by itself.
                try? await audit.record(context.caller().draft("integrity.error", outcome: "failed", detail: detail))
            }
            if error is ViewError { throw error }
            if let problem = Problem.from(error), problem.status == .unauthorized || problem.status == .forbidden {
                let detail = "\(request.method.rawValue) \(context.endpointPath ?? "unmatched route"): \(problem.slug)"
                if let principal = context.principal {
                    try await audit.record(Caller(requestID: context.requestID, principal: principal).draft("access.denied", outcome: "denied", detail: detail))
                } else if let unrecorded = anonymous.admit() {
                    try await audit.record(
                        Caller(requestID: context.requestID, principal: "anonymous")
                            .draft("access.denied", outcome: "denied", detail: AnonymousDenials.detail(detail, unrecorded: unrecorded)))
                }
            }
            throw error
        }
    }
}

extension AppRequestContext {
    /// The audit context of this request.
    func caller(purpose: Purpose? = nil) -> Caller {
        guard let principal else { return Caller(requestID: requestID, principal: "anonymous", purpose: purpose) }
        return Caller(requestID: requestID, principal: principal, purpose: purpose)
    }

    /// The caller's role, or 403 for ingest tokens and roles not in `allowed` (if given).
    func requireRole(_ allowed: Set<RoleName>? = nil) throws -> RoleName {
        guard let principal, case .role(let role) = principal.kind else { throw Problem.forbidden("this route needs a role token") }
        if let allowed, !allowed.contains(role) { throw Problem.forbidden("role \(role) may not use this route") }
        return role
    }

    /// The caller's source; 403 unless it is an ingest token of exactly `source`.
    func requireIngest(for source: String) throws -> SourceName {
        guard let principal, case .ingest(let own) = principal.kind else { throw Problem.forbidden("this route needs an ingest token") }
        guard own.rawValue == source else { throw Problem.forbidden("this token may only write source \(own)") }
        return own
    }
}
