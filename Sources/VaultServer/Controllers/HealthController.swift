import Hummingbird
import Vault
import VaultAPI

/// | method | path | who | audit |
/// |---|---|---|---|
/// | GET | /healthz | anyone | none: liveness |
/// | GET | /readyz | anyone | none: readiness (store and keys opened) |
struct HealthController {
    let audit: AuditLog

    func register(on router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in try JSONBody.response(HealthBody(status: "ok")) }
        router.get("/readyz") { _, _ in
            // A failed audit sink makes every audited request fail: not ready until restarted.
            guard audit.isHealthy else {
                throw Problem(.serviceUnavailable, "audit-unavailable", "Audit log unavailable", detail: "the audit sink failed; restart vaultd")
            }
            return try JSONBody.response(HealthBody(status: "ready"))
        }
    }
}
