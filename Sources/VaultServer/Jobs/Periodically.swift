import Logging
import ServiceLifecycle

/// Runs `body` every `interval` until graceful shutdown; a sleep cut short by shutdown does
/// not run `body` once more (services that want a last run do it after this returns). A
/// failed round is logged (`logFailure`) and the next one runs as planned.
func runPeriodically(
    every interval: Duration, logger: Logger, failure: Logger.Message, level: Logger.Level = .error,
    _ body: @escaping @Sendable () async throws -> Void
) async {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { break }
            await logFailure(of: body, logger: logger, failure, level: level)
        }
    }
}

/// Runs one round of a background job. A failure is logged by its error type only: an error's
/// description could quote stored data.
func logFailure(of body: () async throws -> Void, logger: Logger, _ failure: Logger.Message, level: Logger.Level = .error) async {
    do {
        try await body()
    } catch is CancellationError {
        return
    } catch {
        logger.log(level: level, failure, metadata: ["error_type": .string(String(describing: type(of: error)))])
    }
}
