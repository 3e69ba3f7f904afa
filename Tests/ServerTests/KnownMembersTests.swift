import Foundation
import HummingbirdTesting
import Testing
import VaultAPI
import VaultModel

/// Request bodies refuse members they don't define (`KnownMembers`), and each type's list is
/// the one its encoding uses.
@Suite("Request bodies: unknown top-level members")
struct KnownMembersTests {
    static func keys(_ value: some Encodable) throws -> Set<String> {
        Set((try JSONSerialization.jsonObject(with: try JSONEncoder().encode(value)) as? [String: Any] ?? [:]).keys)
    }

    @Test("each list names exactly the members the type encodes, every optional one set")
    func listsMatchEncoding() throws {
        let one: [JSONValue] = [.null]
        #expect(try Self.keys(IngestRecordsRequest(records: one)) == IngestRecordsRequest.members)
        #expect(try Self.keys(IngestEventsRequest(events: one)) == IngestEventsRequest.members)
        #expect(try Self.keys(LookupRequest(identifiers: [:], source_record: SourceRecordReference(source: "s", key: "k"))) == LookupRequest.members)
        #expect(try Self.keys(CreateTokenRequest(principal: "p", role: "r", source: "s")) == CreateTokenRequest.members)
        #expect(try Self.keys(BulkConsentsRequest(consents: one)) == BulkConsentsRequest.members)
        #expect(try Self.keys(PolicyFilesBody(files: [:], forcedPastFailingTests: 1)) == PolicyFilesBody.members)
        #expect(
            try Self.keys(OpenRequestBody(kind: "k", regulation: "r", subject_id: "s", identifiers: [:], received_at: "t", purposes: [], fields: [:]))
                == OpenRequestBody.members)
        #expect(try Self.keys(VerifyRequestBody(method: "m", evidence: "e")) == VerifyRequestBody.members)
        #expect(try Self.keys(ReasonBody(reason: "r")) == ReasonBody.members)
        #expect(try Self.keys(RetentionRunBody(dry_run: true)) == RetentionRunBody.members)
    }

    @Test("a misspelt or invented top-level member is refused with 422, named only when it is a near miss")
    func unknownMembersRefused() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let misspelt = try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifers": {"email": "a@example.com"}}"#)
            #expect(misspelt.status == 422 && misspelt.text.contains("did you mean identifiers?"), "\(misspelt.status) \(misspelt.text)")
            let invented = try await client.call(
                .post, "/v1/subjects/lookup", token: h.compliance,
                json: #"{"identifiers": {"email": "a@example.com"}, "zq.canary@example.test": 1}"#)
            #expect(invented.status == 422 && invented.problem?.slug == "validation-failed" && !invented.text.contains("zq.canary"), "\(invented.text)")
            let ingest = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm,
                json: #"{"records": [{"key": "k-1", "fields": {"email": "b@example.com"}}], "dry_run": true}"#)
            #expect(ingest.status == 422, "a batch with a member it doesn't define is not stored as if it were understood")
            let found = try await client.call(.post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "b@example.com"}}"#)
            #expect(try found.decode(LookupResponse.self).subject_ids.isEmpty, "nothing was written")
        }
    }
}
