import Foundation
import Testing
import VaultAPI

/// The benchmark's routes (`vaultd --bench-routes`): absent by default; when on, the view's
/// steps are admin-only and answer a fixed body, never a subject's values.
@Suite("HTTP: benchmark routes")
struct BenchRoutesHTTPTests {
    @Test("without --bench-routes the bare route and the view's steps do not exist")
    func absentByDefault() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let bare = try await client.call(.get, "/bench/bare")
            #expect(bare.status == 404)
            for path in ["/v1/bench/authenticated", "/v1/bench/stored/\(UUID().uuidString.lowercased())"] {
                let reply = try await client.call(.get, path, token: h.admin)
                #expect(reply.status == 404)
            }
        }
    }

    @Test("the view's steps need an admin token, find the subject and disclose none of its values")
    func stepsAreAdminOnlyAndValueFree() async throws {
        let h = try await ServerHarness.make()
        try await h.run(benchRoutes: true) { client in
            let id = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: IngestAndViewHTTPTests.annRecord)
                .decode(IngestRecordsResponse.self).results[0].subject_id!
            let bare = try await client.call(.get, "/bench/bare")
            #expect(bare.status == 200)
            for path in ["/v1/bench/authenticated", "/v1/bench/stored/\(id)", "/v1/bench/opened/\(id)"] {
                let anonymous = try await client.call(.get, path)
                #expect(anonymous.status == 401)
                let support = try await client.call(.get, path, token: h.support)
                #expect(support.status == 403)
                let reply = try await client.call(.get, path, token: h.admin)
                #expect(reply.status == 200)
                #expect(reply.body == bare.body)
                #expect(!reply.text.contains("ann.lee") && !reply.text.contains("5550100"))
            }
            // The spread load's targets: ids only, admin only.
            #expect(try await client.call(.get, "/v1/bench/subject-ids?limit=10", token: h.support).status == 403)
            let ids = try await client.call(.get, "/v1/bench/subject-ids?limit=10", token: h.admin)
            #expect(ids.status == 200 && ids.text == "\(id)\n")
            #expect(try await client.call(.get, "/v1/bench/subject-ids?limit=0", token: h.admin).status == 400)
            let unknown = UUID().uuidString.lowercased()
            for step in ["stored", "opened"] {
                let missing = try await client.call(.get, "/v1/bench/\(step)/\(unknown)", token: h.admin)
                #expect(missing.status == 404)
                #expect(missing.problem?.type.hasSuffix("/not-found") == true)
                let invalid = try await client.call(.get, "/v1/bench/\(step)/not-an-id", token: h.admin)
                #expect(invalid.problem?.type.hasSuffix("/invalid-id") == true)
            }
        }
    }
}
