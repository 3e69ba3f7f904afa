import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Outermost middleware: turns every error into problem+json, tags responses with the
/// request id, and logs one line per request.
///
/// An unknown error is logged by its type name only: `String(reflecting:)` of a database
/// error can contain the very value that caused it.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: VaultMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
            response.headers[.requestID] = context.requestID
        } catch {
            let problem: Problem
            if let known = Problem.from(error) {
                problem = known.titled(forRoute: context.endpointPath)
                if problem.status.kind == .serverError {
                    // The slug names what failed (integrity-error, storage-unavailable…); the error itself may quote data.
                    context.logger.error("request failed", metadata: ["problem": .string(problem.slug), "request_id": .string(context.requestID)])
                }
            } else {
                context.logger.error(
                    "unhandled error",
                    metadata: [
                        "error_type": .string(String(describing: type(of: error))),
                        "request_id": .string(context.requestID),
                    ])
                problem = .internalError
            }
            response = problem.response(requestID: context.requestID)
        }
        let elapsed = ContinuousClock.now - started
        metrics.request(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: Int(response.status.code), duration: elapsed)
        // The route template, not the URI: query strings are never logged.
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "route": .string(context.endpointPath ?? "unmatched"),
                "status": .stringConvertible(response.status.code),
                "ms": .string(String(format: "%.2f", Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)),
                "request_id": .string(context.requestID),
            ])
        return response
    }
}
