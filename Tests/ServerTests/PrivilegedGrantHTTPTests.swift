import Foundation
import HummingbirdTesting
import Testing
import VaultAPI

/// Separation of duties (PRODUCT.md §5): admin may create a token for a role that is shown
/// personal values, but never unseen — the grant is audited as privileged, counted in a
/// metric and listed on the console's overview; a token for a role shown nothing is not.
@Suite("HTTP: privileged grants")
struct PrivilegedGrantHTTPTests {
    @Test("a compliance or support token is a privileged grant: flagged in the answer, the audit log, the metric and the console overview")
    func privilegedGrantIsVisible() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            func create(_ principal: String, role: String) async throws -> CreatedTokenBody {
                let reply = try await client.call(.post, "/v1/tokens", token: h.admin, json: #"{"principal": "\#(principal)", "role": "\#(role)"}"#)
                #expect(reply.status == 201, "\(reply.text)")
                return try reply.decode(CreatedTokenBody.self)
            }
            #expect(try await create("officer-2", role: "compliance").privileged == true)
            #expect(try await create("desk-2", role: "support").privileged == true)
            #expect(try await create("ops-2", role: "admin").privileged == false, "admin is shown no personal value")

            // The harness made a compliance and a support token too (privileged), and admin and
            // two source tokens (not).
            let audit = try await client.call(.get, "/v1/audit?action=token.create.privileged", token: h.admin).decode(AuditPageBody.self)
            #expect(audit.entries.count == 4)
            let byAdmin = audit.entries.filter { $0.role == "admin" }
            #expect(byAdmin.count == 2 && byAdmin.allSatisfy { $0.outcome == "ok" })
            let plain = try await client.call(.get, "/v1/audit?action=token.create", token: h.admin).decode(AuditPageBody.self)
            #expect(plain.entries.count == 4, "admin and source tokens are ordinary creations")

            let metrics = try await client.call(.get, "/metrics")
            #expect(metrics.text.contains(#"profilevault_privileged_grants_total{role="compliance"} 1"#), "\(metrics.text.prefix(400))")
            #expect(metrics.text.contains(#"profilevault_privileged_grants_total{role="support"} 1"#))

            let cookie = try await ConsoleHTTPTests.signIn(client, token: h.compliance)
            let overview = try await ConsoleHTTPTests.send(client, .get, "/console", cookie: cookie)
            #expect(overview.status == 200)
            #expect(overview.text.contains("4 tokens created in the last 30 days for roles that are shown personal values"))
            #expect(overview.text.contains("for officer-2, role compliance (privileged"))
        }
    }
}
