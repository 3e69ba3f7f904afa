import ServiceLifecycle

/// Runs `body` every `interval` until graceful shutdown; a sleep cut short by shutdown does
/// not run `body` once more (services that want a last run do it after this returns).
func runPeriodically(every interval: Duration, _ body: @escaping @Sendable () async -> Void) async {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { break }
            await body()
        }
    }
}
