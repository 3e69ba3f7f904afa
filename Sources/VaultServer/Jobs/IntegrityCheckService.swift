import Logging
import ServiceLifecycle
import Vault

/// Checks the database's pages at an interval (`StorageIntegrity`); a failure is logged at
/// error level, turns `/readyz` to 503 and the metric to 0 until a check passes again.
struct IntegrityCheckService: Service {
    let vault: ProfileVault
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await runPeriodically(every: interval, logger: logger, failure: "integrity check failed to run") {
            if await !vault.checkStorageIntegrity() {
                logger.error("the database failed its integrity check (PRAGMA quick_check on SQLite): restore from a backup")
            }
            // The suppression set against the erasure ledger: a deleted entry is put back.
            let restored = try await vault.requests.restoreSuppressions()
            if restored > 0 {
                logger.error(
                    "suppression entries were missing from the database; restored from the erasure ledger",
                    metadata: ["restored": .stringConvertible(restored)])
            }
        }
    }
}
