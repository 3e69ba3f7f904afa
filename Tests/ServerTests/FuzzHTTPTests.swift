import Foundation
import HTTPTypes
import PropertyBased
import Testing
import VaultAPI
import VaultTestSupport

/// Valid bodies mutated at random (bytes flipped, cut, repeated, Unicode and nesting
/// spliced in) against the write routes: never a 5xx, every refusal a problem+json, the
/// planted value never echoed, the server still ready afterwards.
@Suite("HTTP: property-based fuzzing of request bodies")
struct FuzzHTTPTests {
    static let marker = "fuzz.marker.5521@example.com"
    /// Valid bodies of the write routes, each carrying the marker.
    static let templates: [(path: String, compliance: Bool, body: String)] = [
        (
            "/v1/sources/crm/records", false,
            #"{"records": [{"key": "f-1", "observed_at": "2026-03-01T10:00:00Z", "fields": {"email": "\#(marker)", "phone": "(415) 555-0100", "first_name": "Fuzz", "birth_date": "1990-04-01"}}]}"#
        ),
        (
            "/v1/sources/crm/events", false,
            #"{"events": [{"id": "e-1", "key": "f-1", "type": "order", "occurred_at": "2026-03-02T10:00:00Z", "attributes": {"amount": 12.5, "note": "\#(marker)"}}]}"#
        ),
        (
            "/v1/sources/crm/consents", false,
            #"{"consents": [{"key": "f-1", "purpose": "marketing.communications.email", "status": "granted", "lawful_basis": "consent", "evidence": "\#(marker)"}]}"#
        ),
        ("/v1/subjects/lookup", true, #"{"identifiers": {"email": "\#(marker)", "phone": "+14155550100"}}"#),
        ("/v1/requests", true, #"{"kind": "access", "regulation": "gdpr", "identifiers": {"email": "\#(marker)"}}"#),
    ]

    @Test("mutated bodies never cause a 5xx or an echo")
    func mutatedBodies() async throws {
        let h = try await ServerHarness.make()
        try await h.run(lookupsPerMinute: 100_000) { client in
            let counter = Counter()
            // Input: which template, and the seed of its mutations.
            await propertyCheck(count: 2_000, input: Gen<Int>.value(in: 0...(Self.templates.count - 1)), Gen<UInt64>.value(in: 0...UInt64.max)) { index, seed in
                let template = Self.templates[index]
                let body = BodyMutator.mutate(template.body, seed: seed)
                let token = template.compliance ? h.compliance : h.crm
                let reply = try await client.send(
                    .post, template.path,
                    headers: [
                        ("Authorization", "Bearer \(token)"),
                        ("Content-Type", "application/json"),
                    ], body: body)
                await counter.add(reply.status)
                #expect(reply.status < 500, "\(template.path) answered \(reply.status): \(reply.text.prefix(200))")
                if reply.status >= 400 {
                    #expect(reply.contentType == "application/problem+json" && reply.problem != nil)
                    #expect(!reply.text.contains(Self.marker))
                }
            }
            let statuses = await counter.statuses
            #expect(statuses.values.reduce(0, +) == 2_000)
            let ready = try await client.call(.get, "/readyz")
            #expect(ready.status == 200)
            print("Fuzz: 2,000 mutated bodies; statuses \(statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))")
        }
    }

    actor Counter {
        var statuses: [Int: Int] = [:]
        func add(_ status: Int) { statuses[status, default: 0] += 1 }
    }
}
