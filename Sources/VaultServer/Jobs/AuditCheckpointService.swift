import Logging
import ServiceLifecycle
import Vault

/// Signs the audit chain head into the anchors file periodically and once more at
/// shutdown, so that cutting off the newest entries is detected by `verify`.
struct AuditCheckpointService: Service {
    let audit: AuditLog
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await runPeriodically(every: interval, logger: logger, failure: "audit anchor failed") { try await audit.anchor() }
        await logFailure(of: { try await audit.anchor() }, logger: logger, "audit anchor failed")  // the final anchor at shutdown
    }
}
