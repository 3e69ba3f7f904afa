import Logging
import ServiceLifecycle
import Vault

/// Picks up policy versions applied through another replica: replicas share the database,
/// and each holds the compiled bundle in memory, so each polls for a newer version.
struct PolicyRefreshService: Service {
    let policies: PolicyService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await runPeriodically(every: interval, logger: logger, failure: "policy refresh failed", level: .warning) {
            if let adopted = try await policies.refresh() {
                logger.info("policy version adopted from the database", metadata: ["policy_version": .string(adopted.label)])
            }
        }
    }
}
