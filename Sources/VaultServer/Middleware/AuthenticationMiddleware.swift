import Foundation
import Hummingbird
import Vault
import VaultModel

/// Resolves `Authorization: Bearer …` to a principal. Every `/v1` route requires one;
/// which principals a route admits is the controller's decision.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let tokens: TokenService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let values = request.headers[values: .authorization]
        guard values.count == 1, let header = values.first, header.hasPrefix("Bearer ") else { throw Problem.unauthorized }
        let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let principal = try await tokens.authenticate(token) else { throw Problem.unauthorized }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}

extension AppRequestContext {
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
