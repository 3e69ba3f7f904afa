import Foundation
import Testing
import VaultAPI

@Suite("HTTP: metrics")
struct MetricsHTTPTests {
    @Test("/metrics counts requests by route template, ingest outcomes and views by role, and never carries ids or values")
    func metrics() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let id = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: IngestAndViewHTTPTests.annRecord)
                .decode(IngestRecordsResponse.self).results[0].subject_id!
            _ = try await client.call(.get, "/v1/subjects/\(id)", token: h.support, purpose: "essential.service.operations.support")
            _ = try await client.call(.get, "/v1/subjects/\(id)?explain=true", token: h.compliance, purpose: "essential")
            _ = try await client.call(
                .post, "/v1/requests", token: h.compliance,
                json: #"{"kind": "access", "regulation": "gdpr", "subject_id": "\#(id)", "received_at": "2026-01-01T00:00:00Z"}"#)
            let reply = try await client.call(.get, "/metrics")
            #expect(reply.status == 200)
            let text = reply.text
            #expect(text.contains(#"profilevault_http_requests_total{route="/v1/subjects/{id}",method="GET",status="200"} 2"#), "\(text.prefix(2000))")
            #expect(text.contains(#"profilevault_ingest_records_total{outcome="created"} 1"#))
            #expect(text.contains(#"profilevault_views_total{role="support"} 1"#))
            #expect(text.contains("profilevault_dsr_open 1") && text.contains("profilevault_dsr_overdue 1"))
            #expect(text.contains("profilevault_http_request_duration_seconds_bucket") && text.contains("profilevault_audit_append_seconds_bucket"))
            #expect(text.contains("profilevault_audit_sink_healthy 1") && text.contains("profilevault_key_rewrap_pending 0"))
            for secret in [id, "ann.lee@example.com", "Ann", "4155550100", "crm-0000042"] { #expect(!text.contains(secret), "\(secret)") }
        }
    }
}
