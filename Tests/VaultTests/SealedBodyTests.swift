import Foundation
import Testing
import VaultModel

@testable import Vault

/// Sealed bodies are written with JSONEncoder and opened with JSONParser: the two must agree.
@Suite("Sealed bodies")
struct SealedBodyTests {
    @Test("consent bodies written by the encoder open to the same members, absent ones as nil")
    func consentBodies() throws {
        let decision = ConsentDecision.encode(
            status: "granted", lawfulBasis: "consent", jurisdiction: "EU", expiresAt: Date(timeIntervalSince1970: 1_800_000_000))
        for body in [
            ConsentBody(channel: "web", notice_version: "v3", evidence: "form #12 \"ok\" / é", decision: decision),
            ConsentBody(channel: nil, notice_version: "v1", evidence: nil, decision: nil),
            ConsentBody(channel: nil, notice_version: nil, evidence: nil, decision: nil),
        ] {
            let opened = try ConsentBody(opened: Array(try JSONEncoder().encode(body)))
            #expect(
                opened.channel == body.channel && opened.notice_version == body.notice_version && opened.evidence == body.evidence
                    && opened.decision == body.decision)
        }
        #expect(try ConsentBody(opened: Array(#"{"channel": null}"#.utf8)).channel == nil)
        #expect(throws: (any Error).self) { try ConsentBody(opened: Array(#"{"channel": 3}"#.utf8)) }
        #expect(throws: (any Error).self) { try ConsentBody(opened: Array("not json".utf8)) }
    }

    @Test("event bodies written by the encoder open to the same id and attributes")
    func eventBodies() throws {
        for time in [nil, Date(timeIntervalSince1970: 1_767_225_600.123)] {
            let body = EventBody(
                id: "ord-7", attributes: ["amount": .number(12.5), "status": .string("open"), "tags": .array([.bool(true), .null])], occurredAt: time)
            let opened = try EventBody(opened: Array(try JSONEncoder().encode(body)))
            #expect(opened.id == body.id && opened.attributes == body.attributes && opened.occurred_at == body.occurred_at)
        }
        #expect(throws: (any Error).self) { try EventBody(opened: Array(#"{"id": "a", "attributes": {}, "occurred_at": 1.5}"#.utf8)) }
        #expect(throws: (any Error).self) { try EventBody(opened: Array(#"{"id": 1, "attributes": {}}"#.utf8)) }
    }
}
