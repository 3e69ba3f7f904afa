import Foundation
import Hummingbird
import Vault
import VaultModel

/// Pages of one duty: request pages are compliance's, token, policy and key pages admin's
/// (separation of duties, as on the API). Anyone else signed in gets a 403 page, audited as
/// `access.denied` like the API's refusals.
struct ConsoleRoleMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let roles: Set<RoleName>
    let audit: AuditLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = context.principal, case .role(let role) = principal.kind, roles.contains(role) else {
            try await audit.record(
                context.caller().draft(
                    "access.denied", outcome: "denied",
                    detail: "console \(request.method.rawValue) \(context.endpointPath ?? "page"): role not allowed"))
            let allowed = roles.map(\.rawValue).sorted().joined(separator: " and ")
            return ConsolePage.error(status: .forbidden, "This page is for the \(allowed) role; your token's role may not use it.", context: context)
        }
        return try await next(request, context)
    }
}

/// Errors of console pages as HTML pages with the status the API would answer (400 for a
/// malformed id, 404 for an unknown request, 409 for a refused step…). Problem details
/// name ids and fields, never values. Anything unknown goes on to `ProblemMiddleware`,
/// which logs it by type and answers 500.
struct ConsoleErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            guard let problem = Problem.from(error), (400..<500).contains(Int(problem.status.code)) else { throw error }
            let message = problem.title + (problem.detail.map { ": \($0)" } ?? "") + "."
            return ConsolePage.error(status: problem.status, message, context: context)
        }
    }
}
