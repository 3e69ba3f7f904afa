import Foundation
import HummingbirdTesting
import Testing
import VaultAPI

/// A source learns nothing of people other sources hold: its ingest answers say `accepted`
/// unless sources.yaml gives it `reveal_outcome: true`; compliance finds the person from a
/// source's record key instead.
@Suite("HTTP: what a source is told, and lookup by a source's record")
struct OutcomeDisclosureHTTPTests {
    static let crmRecord = #"{"records": [{"key": "crm-41", "fields": {"email": "held@example.com"}}]}"#
    static let billingRecord = #"{"records": [{"key": "b-77", "fields": {"email": "held@example.com"}}]}"#

    @Test("a source without reveal_outcome is told accepted, never linked or a subject id; with it, linked and the id")
    func acceptedUnlessRevealed() async throws {
        let h = try await ServerHarness.make()
        try await h.run(revealOutcomes: false) { client in
            let first = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: Self.crmRecord)
            #expect(first.status == 200)
            #expect(try first.decode(IngestRecordsResponse.self).results == [IngestRecordResult(key: "crm-41", subject_id: nil, outcome: "accepted")])
            // The person is already held (through crm): billing isn't told so.
            let second = try await client.call(.post, "/v1/sources/billing/records", token: h.billing, json: Self.billingRecord)
            #expect(try second.decode(IngestRecordsResponse.self).results == [IngestRecordResult(key: "b-77", subject_id: nil, outcome: "accepted")])
            #expect(!second.text.contains("linked") && !second.text.contains("subject_id"))

            let byEmail = try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "held@example.com"}}"#)
            let id = try #require(try byEmail.decode(LookupResponse.self).subject_ids.first)

            // An administrator lets billing see outcomes (sources.yaml): now it is told.
            let current = try await client.call(.get, "/v1/policies", token: h.admin).decode(PolicyBody.self)
            var files = current.files
            files["sources.yaml"] = files["sources.yaml"]!.replacingOccurrences(
                of: "billing: { trust_rank: 2 }", with: "billing: { trust_rank: 2, reveal_outcome: true }")
            #expect(files["sources.yaml"] != current.files["sources.yaml"])
            let body = String(decoding: try JSONEncoder().encode(PolicyFilesBody(files: files)), as: UTF8.self)
            #expect(try await client.call(.put, "/v1/policies", token: h.admin, json: body).status == 200)
            let again = try await client.call(.post, "/v1/sources/billing/records", token: h.billing, json: Self.billingRecord)
            #expect(try again.decode(IngestRecordsResponse.self).results == [IngestRecordResult(key: "b-77", subject_id: id, outcome: "linked")])
            let crmAgain = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: Self.crmRecord)
            #expect(try crmAgain.decode(IngestRecordsResponse.self).results[0].outcome == "accepted", "crm still isn't told")
        }
    }

    @Test("compliance finds a person by a source's record key; other roles may not; names and keys are not echoed")
    func lookupBySourceRecord() async throws {
        let h = try await ServerHarness.make()
        try await h.run(revealOutcomes: false) { client in
            _ = try await client.call(.post, "/v1/sources/crm/records", token: h.crm, json: Self.crmRecord)
            _ = try await client.call(.post, "/v1/sources/billing/records", token: h.billing, json: Self.billingRecord)
            let byEmail = try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "held@example.com"}}"#)
            let id = try #require(try byEmail.decode(LookupResponse.self).subject_ids.first)

            for (source, key) in [("crm", "crm-41"), ("billing", " b-77 ")] {
                let found = try await client.call(
                    .post, "/v1/subjects/lookup", token: h.compliance,
                    json: #"{"source_record": {"source": "\#(source)", "key": "\#(key)"}}"#)
                #expect(found.status == 200, "\(source) \(found.text)")
                #expect(try found.decode(LookupResponse.self).subject_ids == [id])
            }
            let missing = try await client.call(
                .post, "/v1/subjects/lookup", token: h.compliance,
                json: #"{"source_record": {"source": "crm", "key": "zq-secret-777"}}"#)
            #expect(missing.status == 200 && !missing.text.contains("zq-secret-777"))
            #expect(try missing.decode(LookupResponse.self).subject_ids.isEmpty)
            // A record key says which person a source's record is: compliance only.
            let support = try await client.call(.post, "/v1/subjects/lookup", token: h.support, json: #"{"source_record": {"source": "crm", "key": "crm-41"}}"#)
            #expect(support.status == 403)

            let nearMiss = try await client.call(
                .post, "/v1/subjects/lookup", token: h.compliance, json: #"{"source_record": {"source": "crmm", "key": "crm-41"}}"#)
            #expect(nearMiss.status == 422 && nearMiss.text.contains("did you mean crm?"), "\(nearMiss.text)")
            let far = try await client.call(
                .post, "/v1/subjects/lookup", token: h.compliance,
                json: #"{"source_record": {"source": "zq.canary@example.test", "key": "crm-41"}}"#)
            #expect(far.status == 422 && !far.text.contains("zq.canary"), "\(far.text)")
            let both = try await client.call(
                .post, "/v1/subjects/lookup", token: h.compliance,
                json: #"{"identifiers": {"email": "held@example.com"}, "source_record": {"source": "crm", "key": "crm-41"}}"#)
            #expect(both.status == 422)
            let neither = try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: "{}")
            #expect(neither.status == 422)
        }
    }
}
