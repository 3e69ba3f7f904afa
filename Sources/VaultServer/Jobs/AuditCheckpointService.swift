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
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break } // shutting down: the final anchor below covers it
                await anchor()
            }
        }
        await anchor()
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
