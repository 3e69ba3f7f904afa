import Hummingbird
import VaultAPI

/// | method | path | who | audit |
/// |---|---|---|---|
/// | GET | /healthz | anyone | none: liveness |
/// | GET | /readyz | anyone | none: readiness (store and keys opened) |
struct HealthController {
    func register(on router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in try JSONBody.response(HealthBody(status: "ok")) }
        router.get("/readyz") { _, _ in try JSONBody.response(HealthBody(status: "ready")) }
    }
}
