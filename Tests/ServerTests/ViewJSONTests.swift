import Foundation
import Testing
import VaultAPI

@testable import VaultServer

/// The hand-written view JSON must mean exactly what `JSONEncoder` writes for the same body.
@Suite("View JSON writer")
struct ViewJSONTests {
    static let awkward = [
        "plain", "quote \" and \\ backslash", "slash / stays", "line\nbreak\ttab\rreturn", "\u{01}\u{1f} controls",
        "Müller Chloé 東京 🙂", "", "\u{7f} delete", "</script>",
    ]

    static func body(fields: [String: String], aggregates: AggregatesBody?) -> SubjectViewBody {
        SubjectViewBody(
            subject_id: "00000000-0000-0000-0000-000000000001", role: "support", purpose: "essential.service.operations.support",
            policy_version: "v3", restricted: false, fields: fields, aggregates: aggregates, sources: ["billing", "crm"])
    }

    @Test(
        "strings with quotes, backslashes, control characters and non-ASCII; every aggregate shape",
        arguments: [
            AggregatesBody(order_count: 3, lifetime_value: 1234.56, open_tickets: 1, last_contact: "2026-10-14T16:59:00Z"),
            AggregatesBody(order_count: 0, lifetime_value: 0, open_tickets: nil, last_contact: nil),
            AggregatesBody(order_count: nil, lifetime_value: 12.5, open_tickets: 0, last_contact: "x"),
            nil,
        ])
    func sameMeaning(_ aggregates: AggregatesBody?) throws {
        var fields: [String: String] = [:]
        for (i, text) in Self.awkward.enumerated() { fields["field_\(i)_\(text.prefix(3))"] = text }
        let body = Self.body(fields: fields, aggregates: aggregates)
        let written = try #require(ViewJSON.bytes(body))
        let encoded = try JSONBody.encoder.encode(body)
        let mine = try JSONSerialization.jsonObject(with: Data(written)) as! NSDictionary
        let reference = try JSONSerialization.jsonObject(with: encoded) as! NSDictionary
        #expect(mine == reference)
        #expect(!String(decoding: written, as: UTF8.self).contains("\\/"), "slashes are not escaped")
    }

    @Test("keys come out sorted, like the encoder's .sortedKeys")
    func sortedKeys() throws {
        let body = Self.body(fields: ["zip": "1", "age": "2", "Name": "3"], aggregates: nil)
        let text = String(decoding: try #require(ViewJSON.bytes(body)), as: UTF8.self)
        let order = ["\"fields\"", "\"policy_version\"", "\"purpose\"", "\"restricted\"", "\"role\"", "\"sources\"", "\"subject_id\""]
            .map { text.range(of: $0)!.lowerBound }
        #expect(order == order.sorted())
        #expect(text.contains(#""fields":{"Name":"3","age":"2","zip":"1"}"#))
    }
}
