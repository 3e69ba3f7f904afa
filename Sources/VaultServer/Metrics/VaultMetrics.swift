import Foundation
import Prometheus
import Storage
import Vault

/// Prometheus metrics of the server. Labels are route templates, methods, status codes,
/// roles and outcomes: never an identifier, a subject id or a value.
public final class VaultMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(1000), .milliseconds(5000),
    ]

    public init() {}

    func request(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            name: "profilevault_http_requests_total", labels: [("route", route), ("method", method), ("status", String(status))],
            help: "HTTP requests by route template, method and status"
        ).increment()
        registry.makeDurationHistogram(
            name: "profilevault_http_request_duration_seconds", labels: [("route", route)],
            buckets: Self.latencyBuckets, help: "HTTP request latency by route template"
        ).record(duration)
    }

    func ingested(_ outcome: String, count: Int = 1) {
        registry.makeCounter(
            name: "profilevault_ingest_records_total", labels: [("outcome", outcome)],
            help: "Ingested records by outcome"
        ).increment(by: Int64(count))
    }

    func auditAppended(_ duration: Duration) {
        registry.makeDurationHistogram(
            name: "profilevault_audit_append_seconds", buckets: Self.latencyBuckets,
            help: "Time to append (group-commit) an audit entry of a read"
        ).record(duration)
    }

    /// Counts a token created for a role that is shown personal values (`TokenService.privilegedAction`).
    func tokenCreated(_ created: TokenService.Created) {
        guard created.privileged, let role = created.record.role else { return }
        registry.makeCounter(
            name: "profilevault_privileged_grants_total", labels: [("role", role)],
            help: "Tokens created for a role that is shown personal values"
        ).increment()
    }

    func viewed(role: String) {
        registry.makeCounter(name: "profilevault_views_total", labels: [("role", role)], help: "Subject views served by role").increment()
    }

    /// The text exposition, with gauges read from the vault at scrape time.
    func exposition(vault: ProfileVault) async -> String {
        if let pending = try? await vault.requests.openRequestDueDates() {
            let now = Date()
            registry.makeGauge(name: "profilevault_dsr_open", help: "Data-subject requests not completed or rejected").set(Double(pending.count))
            registry.makeGauge(name: "profilevault_dsr_overdue", help: "Open data-subject requests past their due date")
                .set(Double(pending.filter { $0 < now }.count))
        }
        if let status = try? await vault.rotation.status() {
            registry.makeGauge(name: "profilevault_key_rewrap_pending", help: "Keys still wrapped under an older master-key version").set(
                Double(status.pending))
            registry.makeGauge(name: "profilevault_key_active_version", help: "Active master-key version").set(Double(status.activeVersion))
            registry.makeGauge(name: "profilevault_key_total", help: "Data keys and vault secrets").set(Double(status.total))
            registry.makeGauge(name: "profilevault_key_rewrap_rate", help: "Keys re-wrapped per second by this process (0 when idle)")
                .set(status.ratePerSecond ?? 0)
        }
        registry.makeGauge(name: "profilevault_audit_sink_healthy", help: "1 while the audit log can be written").set(vault.audit.isHealthy ? 1.0 : 0.0)
        if let intact = vault.integrity.current.intact {
            registry.makeGauge(name: "profilevault_storage_intact", help: "1 while the last integrity check of the database passed (PRAGMA quick_check)")
                .set(intact ? 1.0 : 0.0)
        }
        return registry.emitToString()
    }
}
