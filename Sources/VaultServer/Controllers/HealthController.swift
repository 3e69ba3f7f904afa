import Hummingbird
import Vault
import VaultAPI

/// | method | path | who | audit |
/// |---|---|---|---|
/// | GET | /healthz | anyone | none: liveness |
/// | GET | /readyz | anyone | none: readiness (store answering, audit sink healthy, pages intact) |
struct HealthController {
    let audit: AuditLog
    let integrity: StorageIntegrity

    func register(on router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in try JSONBody.response(HealthBody(status: "ok")) }
        router.get("/readyz") { _, _ in
            // A failed audit sink makes every audited request fail: not ready until restarted.
            guard audit.isHealthy else {
                throw Problem(.serviceUnavailable, "audit-unavailable", "Audit log unavailable", detail: "the audit sink failed; restart vaultd")
            }
            // The database answers (a replica that lost PostgreSQL leaves the load balancer's pool).
            _ = try await audit.head()
            // Its last page-level check found corruption: out of the pool until restored.
            guard integrity.current.intact != false else {
                throw Problem(
                    .serviceUnavailable, "storage-corrupt", "Storage corrupt",
                    detail: "the database failed its integrity check; restore it from a backup")
            }
            return try JSONBody.response(HealthBody(status: "ready"))
        }
    }
}
