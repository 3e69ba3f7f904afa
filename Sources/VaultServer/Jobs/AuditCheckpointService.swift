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
        await runPeriodically(every: interval) { await anchor() }
        await anchor() // the final anchor at shutdown
    }

    private func anchor() async {
        do {
            try await audit.anchor()
        } catch is CancellationError {
            return
        } catch {
            logger.error("audit anchor failed", metadata: ["error_type": .string(String(describing: type(of: error)))])
        }
    }
}
