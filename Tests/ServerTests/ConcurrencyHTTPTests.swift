import Foundation
import Testing
import VaultAPI

/// Three sources write the same people at once (one knows the email, one the phone, one
/// both, which merges the first two) while views run: no duplicate subjects, no lost
/// merges, and no view ever shows values of two people.
@Suite("HTTP: concurrency")
struct ConcurrencyHTTPTests {
    static let people = 120

    static func batch(_ source: String, _ range: Range<Int>) -> String {
        let records = range.map { i -> String in
            switch source {
            case "crm": #"{"key": "c-\#(i)", "fields": {"email": "person\#(i)@example.com", "first_name": "First\#(i)"}}"#
            case "billing": #"{"key": "b-\#(i)", "fields": {"phone": "+1415555\#(String(format: "%04d", i))", "last_name": "Last\#(i)"}}"#
            default:
                #"{"key": "s-\#(i)", "fields": {"email": "person\#(i)@example.com", "phone": "+1415555\#(String(format: "%04d", i))", "city": "City\#(i)"}}"#
            }
        }
        return #"{"records": [\#(records.joined(separator: ","))]}"#
    }

    @Test("concurrent ingest from three sources plus views during merges")
    func concurrentIngest() async throws {
        let h = try await ServerHarness.make()
        let extra = try await h.ingestTokens(["support": "support-src"])
        try await h.run(lookupsPerMinute: 1_000_000) { client in
            let mixed = MixedViews()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (source, token, order) in [("crm", h.crm, false), ("billing", h.billing, true), ("support", extra["support-src"]!, false)] {
                    group.addTask {
                        let starts = Array(stride(from: 0, to: Self.people, by: 10))
                        for start in order ? starts.reversed() : starts {
                            var reply = try await client.call(
                                .post, "/v1/sources/\(source)/records", token: token, json: Self.batch(source, start..<start + 10))
                            // 409/503 are "retry" answers under contention; nothing of the batch was applied.
                            for _ in 0..<20 where [409, 503].contains(reply.status) {
                                reply = try await client.call(
                                    .post, "/v1/sources/\(source)/records", token: token, json: Self.batch(source, start..<start + 10))
                            }
                            #expect(reply.status == 200, "\(source) \(start): \(reply.text.prefix(200))")
                        }
                    }
                }
                group.addTask {
                    // Views while merges happen: every value in one view belongs to one person.
                    for round in 0..<150 {
                        let i = (round * 7) % Self.people
                        let found = try await client.call(
                            .post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "person\#(i)@example.com"}}"#)
                        guard let id = try found.decode(LookupResponse.self).subject_ids.first else { continue }
                        let view = try await client.call(.get, "/v1/subjects/\(id)", token: h.compliance, purpose: "essential")
                        guard view.status == 200 else { continue }
                        let fields = try view.decode(SubjectViewBody.self).fields
                        let numbers = Set(
                            fields.values.compactMap { value in value.firstMatch(of: /(\d+)/).map { Int($0.1)! } }
                                .map { $0 > 10_000 ? $0 % 10_000 : $0 })
                        if numbers.count > 1 { await mixed.add(numbers) }
                        await mixed.viewed()
                    }
                }
                try await group.waitForAll()
            }
            let mixedViews = await mixed.found
            #expect(mixedViews.isEmpty, "views mixing people: \(mixedViews.prefix(3))")
            #expect(await mixed.views > 0)
            #expect(try await h.temporary.vault.subjects.count() == Self.people, "duplicate or lost subjects")
            for i in 0..<Self.people {
                let byEmail = try await client.call(
                    .post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "person\#(i)@example.com"}}"#
                ).decode(LookupResponse.self)
                let byPhone = try await client.call(
                    .post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"phone": "+1415555\#(String(format: "%04d", i))"}}"#
                ).decode(LookupResponse.self)
                #expect(
                    byEmail.subject_ids.count == 1 && byEmail.subject_ids == byPhone.subject_ids,
                    "person \(i): \(byEmail.subject_ids) vs \(byPhone.subject_ids)")
                let view = try await client.call(.get, "/v1/subjects/\(byEmail.subject_ids[0])", token: h.compliance, purpose: "essential").decode(
                    SubjectViewBody.self)
                #expect(
                    view.fields["first_name"] == "First\(i)" && view.fields["last_name"] == "Last\(i)" && view.fields["city"] == "City\(i)",
                    "person \(i) lost a merge")
            }
            print("Concurrency: \(Self.people) people from 3 sources at once, \(await mixed.views) views during merges, 0 mixed")
        }
    }

    actor MixedViews {
        var found: [Set<Int>] = []
        var views = 0
        func add(_ numbers: Set<Int>) { found.append(numbers) }
        func viewed() { views += 1 }
    }
}
