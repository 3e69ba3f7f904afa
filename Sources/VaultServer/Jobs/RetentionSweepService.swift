import Logging
import ServiceLifecycle
import Vault

/// Runs the retention sweep at an interval (daily by default). The sweep is idempotent and
/// keeps no cursor: each run deletes what is expired at that moment.
struct RetentionSweepService: Service {
    let retention: RetentionService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await runPeriodically(every: interval, logger: logger, failure: "retention sweep failed") {
            let report = try await retention.run(dryRun: false, caller: .system("retention"))
            logger.info(
                "retention sweep",
                metadata: [
                    "fields": .stringConvertible(report.fields.values.reduce(0, +)),
                    "events": .stringConvertible(report.events.values.reduce(0, +)),
                    "held": .stringConvertible(report.held),
                ])
        }
    }
}
