import Foundation
import HummingbirdTesting
import Testing
import VaultAPI
import VaultCrypto

@Suite("HTTP: data-subject requests")
struct RequestsHTTPTests {
    /// One person seen by four sources, with an order, a ticket and a consent.
    static let plaintexts = [
        "zelda.quist@example.com", "+14155550177", "Zelda", "Quist", "1988-07-14", "77 Harbor Lane", "Portland",
        "97201", "DE89370400440532013000", "Z-5544", "zq-device-991", "10.9.8.7", "crm-zq-1", "bill-zq-1", "sup-zq-1",
        "web-zq-1", "ord-zq-1", "tkt-zq-1", "Refund for order zq", "consent-evidence-zq",
    ]

    static func seedPerson(_ client: any TestClientProtocol, _ h: ServerHarness, tokens: [String: String]) async throws -> String {
        func post(_ path: String, _ token: String, _ json: String) async throws -> Reply {
            let reply = try await client.call(.post, path, token: token, json: json)
            #expect(reply.status == 200 || reply.status == 201, "\(path): \(reply.text)")
            return reply
        }
        let crm = try await post(
            "/v1/sources/crm/records", h.crm,
            """
            {"records": [{"key": "crm-zq-1", "fields": {"email": "Zelda.Quist@example.com", "first_name": "Zelda", "last_name": "Quist",
              "birth_date": "1988-07-14", "street_address": "77 Harbor Lane", "city": "Portland", "postal_code": "97201", "customer_id": "Z-5544"}}]}
            """)
        let id = try crm.decode(IngestRecordsResponse.self).results[0].subject_id!
        _ = try await post(
            "/v1/sources/billing/records", h.billing,
            #"{"records": [{"key": "bill-zq-1", "fields": {"customer_id": "Z-5544", "card_last4": "4242", "iban": "DE89 3704 0044 0532 0130 00"}}]}"#)
        _ = try await post(
            "/v1/sources/support/records", tokens["support-src"]!,
            #"{"records": [{"key": "sup-zq-1", "fields": {"phone": "(415) 555-0177", "email": "zelda.quist@example.com"}}]}"#)
        _ = try await post(
            "/v1/sources/web/records", tokens["web-src"]!,
            #"{"records": [{"key": "web-zq-1", "fields": {"device_id": "zq-device-991", "ip_address": "10.9.8.7", "phone": "+1 415 555 0177"}}]}"#)
        _ = try await post(
            "/v1/sources/billing/events", h.billing,
            #"{"events": [{"id": "ord-zq-1", "key": "bill-zq-1", "type": "order", "occurred_at": "2026-02-01T10:00:00Z", "attributes": {"amount": 31.5, "currency": "EUR"}}]}"#
        )
        _ = try await post(
            "/v1/sources/support/events", tokens["support-src"]!,
            #"{"events": [{"id": "tkt-zq-1", "key": "sup-zq-1", "type": "ticket", "occurred_at": "2026-02-02T10:00:00Z", "attributes": {"subject": "Refund for order zq", "status": "open"}}]}"#
        )
        _ = try await post(
            "/v1/subjects/\(id)/consents", h.compliance,
            #"{"purpose": "marketing.communications.email", "status": "granted", "lawful_basis": "consent", "evidence": "consent-evidence-zq"}"#)
        let view = try await client.call(.get, "/v1/subjects/\(id)", token: h.compliance, purpose: "essential").decode(SubjectViewBody.self)
        #expect(view.sources == ["billing", "crm", "support", "web"], "one subject merged from four sources")
        return id
    }

    static func open(_ client: any TestClientProtocol, _ h: ServerHarness, _ body: String) async throws -> SubjectRequestBody {
        let reply = try await client.call(.post, "/v1/requests", token: h.compliance, json: body)
        #expect(reply.status == 201, "\(reply.text)")
        return try reply.decode(SubjectRequestBody.self)
    }

    static func files(_ h: ServerHarness) -> [Data] {
        ["", "-wal"].compactMap { FileManager.default.contents(atPath: h.temporary.databasePath + $0) }
    }

    @Test("erasure of a person merged from four sources: nothing readable left, re-ingest suppressed, notices, a signed receipt")
    func erasure() async throws {
        let h = try await ServerHarness.make()
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src", "crm": "crm-src"])
        try await h.run { client in
            let id = try await Self.seedPerson(client, h, tokens: extra)
            // Ciphertexts of this person, to check none survives either.
            let pool = try GRDBProbe(path: h.temporary.databasePath)
            let ciphertexts =
                try pool.blobs("SELECT ciphertext FROM field_values WHERE subject_id = ?", id)
                + (try pool.blobs("SELECT wrapped_dek FROM subjects WHERE subject_id = ?", id))
            #expect(ciphertexts.count >= 12)

            let request = try await Self.open(client, h, #"{"kind": "erasure", "regulation": "gdpr", "identifiers": {"email": "ZELDA.QUIST@example.com"}}"#)
            #expect(request.subject_id == id && request.status == "received")
            let early = try await client.call(.post, "/v1/requests/\(request.id)/execute", token: h.compliance)
            #expect(early.status == 409 && early.problem?.slug == "invalid-transition", "execution refuses unverified requests")
            _ = try await client.call(.post, "/v1/requests/\(request.id)/verify", token: h.compliance, json: #"{"method": "email_link"}"#)
            let done = try await client.call(.post, "/v1/requests/\(request.id)/execute", token: h.compliance)
            #expect(done.status == 200, "\(done.text)")
            #expect(try done.decode(SubjectRequestBody.self).status == "completed")

            for data in Self.files(h) {
                for value in Self.plaintexts { #expect(data.range(of: Data(value.utf8)) == nil, "\(value) left on disk") }
                for value in ciphertexts { #expect(data.range(of: Data(value)) == nil, "a ciphertext of the subject left on disk") }
            }
            #expect(try await client.call(.get, "/v1/subjects/\(id)", token: h.compliance, purpose: "essential").status == 404)

            let again = try await client.call(
                .post, "/v1/sources/crm/records", token: extra["crm-src"]!,
                json: #"{"records": [{"key": "crm-new-9", "fields": {"email": "zelda.quist@example.com", "first_name": "Zelda"}}]}"#)
            let result = try again.decode(IngestRecordsResponse.self).results[0]
            #expect(result.outcome == "suppressed" && result.subject_id == nil)
            let lookup = try await client.call(
                .post, "/v1/subjects/lookup", token: h.compliance, json: #"{"identifiers": {"email": "zelda.quist@example.com"}}"#)
            #expect(try lookup.decode(LookupResponse.self).subject_ids.isEmpty, "nothing of the re-sent record was stored")

            let outbox = try await client.call(.get, "/v1/erasures/outbox", token: h.billing).decode(OutboxBody.self)
            #expect(outbox.notices.map(\.key) == ["bill-zq-1"] && outbox.notices[0].kind == "erasure")
            #expect(
                try await client.call(.post, "/v1/erasures/outbox/\(outbox.notices[0].id)/ack", token: extra["web-src"]!).status == 404,
                "a source acknowledges only its own notices")
            #expect(try await client.call(.post, "/v1/erasures/outbox/\(outbox.notices[0].id)/ack", token: h.billing).status == 204)
            #expect(try await client.call(.get, "/v1/erasures/outbox", token: h.billing).decode(OutboxBody.self).notices.isEmpty)

            let receipt = try await client.call(.get, "/v1/requests/\(request.id)/receipt", token: h.compliance).decode(ReceiptBody.self)
            let keys = try await client.call(.get, "/v1/keys", token: h.compliance).decode(KeysBody.self)
            #expect(receipt.public_key == keys.signing_public_key)
            let publicKey = Ed25519PublicKey(bytes: [UInt8](Data(base64Encoded: keys.signing_public_key)!))
            #expect(publicKey.isValidSignature([UInt8](Data(base64Encoded: receipt.signature)!), for: Array(receipt.signed.utf8)))
            #expect(
                !publicKey.isValidSignature(
                    [UInt8](Data(base64Encoded: receipt.signature)!), for: Array(receipt.signed.replacingOccurrences(of: "4", with: "5").utf8)))
            let signed = try #require(try JSONSerialization.jsonObject(with: Data(receipt.signed.utf8)) as? [String: Any])
            let erased = try #require(signed["erased"] as? [String: Any])
            #expect((erased["sources"] as? [String]) == ["billing", "crm", "support", "web"])
            #expect((erased["events"] as? Int) == 2 && (erased["consents"] as? Int) == 1)
            let held = try #require(signed["held"] as? [[String: Any]])
            #expect(held.map { $0["field"] as? String } == ["card_last4"], "card data kept under the configured legal hold")
            #expect(Set(receipt.notices.map(\.source)) == ["billing", "crm", "support", "web"])
            #expect(receipt.notices.first { $0.source == "billing" }?.acked_at != nil)
            #expect(signed["audit_head"] != nil)
            #expect(!receipt.signed.contains("zelda") && !receipt.signed.contains("4242"))

            let verify = try await client.call(.get, "/v1/audit/verify", token: h.compliance).decode(AuditVerifyBody.self)
            #expect(verify.valid)
        }
    }

    @Test("two concurrent executes produce one execution and one receipt")
    func concurrentExecute() async throws {
        let h = try await ServerHarness.make()
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src"])
        try await h.run { client in
            let id = try await Self.seedPerson(client, h, tokens: extra)
            let request = try await Self.open(client, h, #"{"kind": "erasure", "regulation": "ccpa", "subject_id": "\#(id)"}"#)
            _ = try await client.call(.post, "/v1/requests/\(request.id)/verify", token: h.compliance, json: #"{"method": "account_login"}"#)
            async let first = client.call(.post, "/v1/requests/\(request.id)/execute", token: h.compliance)
            async let second = client.call(.post, "/v1/requests/\(request.id)/execute", token: h.compliance)
            let statuses = try await [first.status, second.status].sorted()
            #expect(statuses == [200, 409])
            let completions = try await client.call(.get, "/v1/audit?action=request.complete", token: h.admin).decode(AuditPageBody.self)
            #expect(completions.entries.count == 1)
        }
    }

    @Test("access export is complete: values with provenance and alternatives, events, consents, recipients, rights")
    func accessExport() async throws {
        let h = try await ServerHarness.make()
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src"])
        try await h.run { client in
            let id = try await Self.seedPerson(client, h, tokens: extra)
            _ = try await client.call(.get, "/v1/subjects/\(id)", token: h.support, purpose: "essential.service.operations.support")
            let request = try await Self.open(client, h, #"{"kind": "access", "regulation": "gdpr", "subject_id": "\#(id)"}"#)
            #expect(try await client.call(.get, "/v1/requests/\(request.id)/export", token: h.compliance).status == 409, "not before completion")
            _ = try await client.call(.post, "/v1/requests/\(request.id)/verify", token: h.compliance, json: #"{"method": "id_document"}"#)
            _ = try await client.call(.post, "/v1/requests/\(request.id)/execute", token: h.compliance)
            let reply = try await client.call(.get, "/v1/requests/\(request.id)/export", token: h.compliance)
            let export = try #require(try JSONSerialization.jsonObject(with: reply.body) as? [String: Any])
            let fields = try #require(export["fields"] as? [[String: Any]])
            #expect(
                Set(fields.compactMap { $0["name"] as? String }) == [
                    "email", "phone", "first_name", "last_name", "birth_date", "street_address", "city",
                    "postal_code", "customer_id", "card_last4", "iban", "device_id", "ip_address",
                ])
            let email = try #require(fields.first { $0["name"] as? String == "email" })
            #expect(email["value"] as? String == "zelda.quist@example.com" && email["category"] as? String == "user.contact.email")
            #expect(email["source"] as? String == "crm" && email["observed_at"] != nil)
            let ip = try #require(fields.first { $0["name"] as? String == "ip_address" })
            #expect(ip["retention"] as? String == "90d")
            let device = try #require(fields.first { $0["name"] as? String == "device_id" })
            #expect(device["retention"] as? String == "365d", "its category's retention (retention.yaml), as the sweep applies it")
            #expect((export["events"] as? [[String: Any]])?.count == 2)
            #expect((export["consents"] as? [[String: Any]])?.first?["purpose"] as? String == "marketing.communications.email")
            let recipients = try #require(export["recipients"] as? [[String: Any]])
            #expect(recipients.contains { $0["role"] as? String == "support" && ($0["fields"] as? [String])?.contains("email") == true })
            #expect((export["rights"] as? [String])?.contains("erasure") == true)
            #expect(Set(export["sources"] as? [String] ?? []) == ["billing", "crm", "support", "web"])
        }
    }

    @Test("rectification outranks sources until a newer value; restriction hides from all but compliance until lifted")
    func rectificationAndRestriction() async throws {
        let h = try await ServerHarness.make()
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src"])
        try await h.run { client in
            let id = try await Self.seedPerson(client, h, tokens: extra)
            let rect = try await Self.open(
                client, h, #"{"kind": "rectification", "regulation": "gdpr", "subject_id": "\#(id)", "fields": {"last_name": "Quist-Berg"}}"#)
            _ = try await client.call(.post, "/v1/requests/\(rect.id)/verify", token: h.compliance, json: #"{"method": "id_document"}"#)
            let rectified = try await client.call(.post, "/v1/requests/\(rect.id)/execute", token: h.compliance)
            #expect(rectified.status == 200, "\(rectified.text)")
            var view = try await client.call(.get, "/v1/subjects/\(id)", token: h.compliance, purpose: "essential").decode(SubjectViewBody.self)
            #expect(view.fields["last_name"] == "Quist-Berg")
            #expect(try await client.call(.get, "/v1/erasures/outbox", token: h.crm).decode(OutboxBody.self).notices.map(\.kind) == ["rectification"])
            let future = ISO8601DateFormatter().string(from: Date().addingTimeInterval(60))
            _ = try await client.call(
                .post, "/v1/sources/crm/records", token: h.crm,
                json: #"{"records": [{"key": "crm-zq-1", "observed_at": "\#(future)", "fields": {"last_name": "Quist-Nilsson"}}]}"#)
            view = try await client.call(.get, "/v1/subjects/\(id)", token: h.compliance, purpose: "essential").decode(SubjectViewBody.self)
            #expect(view.fields["last_name"] == "Quist-Nilsson", "a newer source value wins over the rectified one")

            let restriction = try await Self.open(client, h, #"{"kind": "restriction", "regulation": "gdpr", "subject_id": "\#(id)"}"#)
            _ = try await client.call(.post, "/v1/requests/\(restriction.id)/verify", token: h.compliance, json: #"{"method": "id_document"}"#)
            _ = try await client.call(.post, "/v1/requests/\(restriction.id)/execute", token: h.compliance)
            #expect(try await client.call(.get, "/v1/subjects/\(id)", token: h.support, purpose: "essential.service.operations.support").status == 403)
            #expect(try await client.call(.get, "/v1/subjects/\(id)", token: h.compliance, purpose: "essential").status == 200)
            _ = try await client.call(.post, "/v1/requests/\(restriction.id)/lift", token: h.compliance)
            #expect(try await client.call(.get, "/v1/subjects/\(id)", token: h.support, purpose: "essential.service.operations.support").status == 200)
        }
    }

    @Test("objection and CCPA opt-out go through the consent ledger; opt-outs need no verification")
    func objectionAndOptOut() async throws {
        let h = try await ServerHarness.make()
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src"])
        try await h.run { client in
            let id = try await Self.seedPerson(client, h, tokens: extra)
            let optOut = try await Self.open(client, h, #"{"kind": "opt_out", "regulation": "ccpa", "subject_id": "\#(id)"}"#)
            let executed = try await client.call(.post, "/v1/requests/\(optOut.id)/execute", token: h.compliance)
            let executedBody = try executed.decode(SubjectRequestBody.self)
            #expect(executed.status == 200 && executedBody.status == "completed")
            let objection = try await Self.open(
                client, h, #"{"kind": "objection", "regulation": "gdpr", "subject_id": "\#(id)", "purposes": ["marketing.communications.email"]}"#)
            _ = try await client.call(.post, "/v1/requests/\(objection.id)/verify", token: h.compliance, json: #"{"method": "email_link"}"#)
            _ = try await client.call(.post, "/v1/requests/\(objection.id)/execute", token: h.compliance)
            let consents = try await client.call(.get, "/v1/subjects/\(id)/consents", token: h.compliance).decode(ConsentsBody.self)
            let current = Dictionary(uniqueKeysWithValues: consents.current.map { ($0.purpose, $0.status) })
            #expect(current["third_party_sharing"] == "denied" && current["marketing.advertising"] == "denied")
            #expect(current["marketing.communications.email"] == "denied")
        }
    }

    @Test("free text of a request (verification method, reasons) stays on the request, out of the audit chain")
    func freeTextStaysOutOfTheAuditChain() async throws {
        let h = try await ServerHarness.make()
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src"])
        try await h.run { client in
            let id = try await Self.seedPerson(client, h, tokens: extra)
            let rejected = try await Self.open(client, h, #"{"kind": "access", "regulation": "gdpr", "subject_id": "\#(id)"}"#)
            let extended = try await Self.open(client, h, #"{"kind": "erasure", "regulation": "gdpr", "subject_id": "\#(id)"}"#)
            let verified = try await client.call(
                .post, "/v1/requests/\(extended.id)/verify", token: h.compliance, json: #"{"method": "passport of Anne Leigh"}"#)
            #expect(verified.status == 200)
            let extending = try await client.call(
                .post, "/v1/requests/\(extended.id)/extend", token: h.compliance, json: #"{"reason": "waiting on anne.leigh@example.org"}"#)
            #expect(extending.status == 200)
            let rejection = try await client.call(
                .post, "/v1/requests/\(rejected.id)/reject", token: h.compliance,
                json: #"{"reason": "ID shows Anne Leigh, not the requester"}"#)
            #expect(rejection.status == 200 && rejection.text.contains("Anne Leigh"), "the request keeps its reason")
            let audit = try await client.call(.get, "/v1/audit?limit=500", token: h.admin)
            let page = try audit.decode(AuditPageBody.self)
            #expect(page.next_after == nil, "the whole log is on this page")
            let steps = page.entries.filter { ["request.verify", "request.extend", "request.reject"].contains($0.action) }
            #expect(steps.count == 3)
            #expect(!audit.text.contains("Anne") && !audit.text.contains("Leigh") && !audit.text.contains("anne.leigh"))
        }
    }

    @Test("deadlines, recorded receipt time, duplicates, extension and the overdue list")
    func deadlines() async throws {
        let h = try await ServerHarness.make()
        let extra = try await h.ingestTokens(["support": "support-src", "web": "web-src"])
        try await h.run { client in
            let id = try await Self.seedPerson(client, h, tokens: extra)
            let mailed = try await Self.open(
                client, h, #"{"kind": "access", "regulation": "gdpr", "subject_id": "\#(id)", "received_at": "2026-01-31T09:00:00Z"}"#)
            #expect(mailed.received_at == "2026-01-31T09:00:00Z" && mailed.due_at == "2026-02-28T09:00:00Z")
            #expect(mailed.overdue)
            let duplicate = try await Self.open(client, h, #"{"kind": "access", "regulation": "gdpr", "subject_id": "\#(id)"}"#)
            #expect(duplicate.duplicate_of == mailed.id && duplicate.status == "received", "flagged, and still to be verified")
            let late = try await client.call(.post, "/v1/requests/\(mailed.id)/extend", token: h.compliance, json: #"{"reason": "complex request"}"#)
            #expect(late.status == 409 && late.problem?.slug == "extension-not-allowed", "too late to extend")
            let extended = try await client.call(
                .post, "/v1/requests/\(duplicate.id)/extend", token: h.compliance, json: #"{"reason": "many sources to search"}"#)
            let extendedBody = try extended.decode(SubjectRequestBody.self)
            #expect(extended.status == 200 && extendedBody.extended_due_at != nil)
            #expect(try await client.call(.post, "/v1/requests/\(duplicate.id)/extend", token: h.compliance, json: #"{"reason": "again"}"#).status == 409)
            let overdue = try await client.call(.get, "/v1/requests?overdue=true", token: h.compliance).decode(SubjectRequestListBody.self)
            #expect(overdue.requests.map(\.id) == [mailed.id])
            let audit = try await client.call(.get, "/v1/audit?action=request.open", token: h.admin).decode(AuditPageBody.self)
            #expect(audit.entries.contains { $0.detail?.contains("received_at recorded by") == true })
            #expect(try await client.call(.get, "/v1/requests", token: h.support).status == 403)
            let bad = try await client.call(
                .post, "/v1/requests", token: h.compliance, json: #"{"kind": "forget-me", "regulation": "gdpr", "subject_id": "\#(id)"}"#)
            #expect(bad.status == 422)
        }
    }
}
