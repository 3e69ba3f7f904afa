import Logging
import ServiceLifecycle
import Vault

/// Re-wraps data keys left under an older master-key version, in batches, until none is
/// left; then checks again every few seconds. Resumes by itself after a restart because the
/// work left is read from the database.
struct KeyRewrapService: Service {
    let rotation: KeyRotation
    let batchSize: Int
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var rewrapped = 0
                await logFailure(of: { rewrapped = try await rotation.rewrapBatch(limit: batchSize) }, logger: logger, "key rewrap batch failed")
                if rewrapped > 0 { continue }
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }
}
