import Foundation
import GRDB
import Testing

/// Someone with write access to the database (a stopped vault's file put back) gives a
/// support token the compliance role: vaultd answers integrity-error, never the values, and
/// audits it.
@Suite("row tags with real processes", .serialized)
struct RowTagProcessTests {
    static let rootToken = "pv-test-root-token-row-tags-01"

    @Test("a token whose role was changed in the database file is refused with integrity-error and audited")
    func escalatedTokenRefused() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken])
        try await first.start()
        let created =
            try JSONSerialization.jsonObject(
                with: Data(
                    try vaultctl(
                        ["token", "create", "--json", "--principal", "agent", "--role", "support"],
                        address: first.address, token: Self.rootToken
                    ).out.utf8)) as? [String: Any]
        let support = try #require(created?["token"] as? String)
        let client = ProcessHTTP(address: first.address)
        #expect(try await client.call("GET", "/v1/requests", token: support).status == 403, "support may not read data-subject requests")
        #expect(first.terminate() == 0)

        let queue = try DatabaseQueue(path: data.appendingPathComponent("vault.sqlite").path)
        try await queue.write { try $0.execute(sql: "UPDATE tokens SET role = 'compliance' WHERE principal = 'agent'") }
        try queue.close()

        let second = VaultdProcess(dataDirectory: data)
        try await second.start()
        let refused = try await ProcessHTTP(address: second.address).call("GET", "/v1/requests", token: support)
        let problem = try JSONSerialization.jsonObject(with: refused.body) as? [String: Any]
        #expect(refused.status == 500 && (problem?["type"] as? String)?.hasSuffix("/integrity-error") == true, "\(refused.status) \(problem ?? [:])")
        let tail = try vaultctl(["audit", "tail", "--action", "integrity.error"], address: second.address, token: Self.rootToken)
        #expect(tail.out.contains("integrity.error"), "\(tail.out) \(tail.err)")
        #expect(second.terminate() == 0)
    }

    @Test("a restriction lifted in the database file: the view answers integrity-error, never the values, and is audited")
    func liftedRestrictionRefused() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken])
        try await first.start()
        func token(_ arguments: [String]) throws -> String {
            let created =
                try JSONSerialization.jsonObject(
                    with: Data(try vaultctl(["token", "create", "--json"] + arguments, address: first.address, token: Self.rootToken).out.utf8))
                as? [String: Any]
            return try #require(created?["token"] as? String)
        }
        let crm = try token(["--principal", "crm", "--source", "crm"])
        let dpo = try token(["--principal", "dpo", "--role", "compliance"])
        let agent = try token(["--principal", "agent", "--role", "support"])
        let client = ProcessHTTP(address: first.address)
        let ingested = try await client.call(
            "POST", "/v1/sources/crm/records", token: crm,
            json: #"{"records": [{"key": "crm-1", "fields": {"email": "held.back@example.com", "last_name": "Heldback"}}]}"#)
        #expect(ingested.status == 200)
        let subject = try #require(
            (try JSONSerialization.jsonObject(
                with: Data(try vaultctl(["lookup", "--email", "held.back@example.com", "--json"], address: first.address, token: dpo).out.utf8))
                as? [String: Any])?["subject_ids"] as? [String]
        ).first
        let id = try #require(subject)
        let opened =
            try JSONSerialization.jsonObject(
                with: Data(
                    try vaultctl(
                        ["request", "open", "--kind", "restriction", "--regulation", "gdpr", "--subject-id", id, "--json"], address: first.address, token: dpo
                    ).out.utf8)) as? [String: Any]
        let request = try #require(opened?["id"] as? String)
        _ = try vaultctl(["request", "verify", request, "--method", "email_link"], address: first.address, token: dpo)
        #expect(try vaultctl(["request", "execute", request], address: first.address, token: dpo).status == 0)
        let purpose = "essential.service.operations.support"
        #expect(try await client.call("GET", "/v1/subjects/\(id)", token: agent, purpose: purpose).status == 403, "restricted")
        #expect(first.terminate() == 0)

        let queue = try DatabaseQueue(path: data.appendingPathComponent("vault.sqlite").path)
        try await queue.write { try $0.execute(sql: "UPDATE subjects SET restricted = 0") }
        try queue.close()

        let second = VaultdProcess(dataDirectory: data)
        try await second.start()
        let refused = try await ProcessHTTP(address: second.address).call("GET", "/v1/subjects/\(id)", token: agent, purpose: purpose)
        let problem = try JSONSerialization.jsonObject(with: refused.body) as? [String: Any]
        #expect(refused.status == 500 && (problem?["type"] as? String)?.hasSuffix("/integrity-error") == true, "\(refused.status) \(problem ?? [:])")
        #expect(refused.body.range(of: Data("Heldback".utf8)) == nil)
        let tail = try vaultctl(["audit", "tail", "--action", "integrity.error"], address: second.address, token: Self.rootToken)
        #expect(tail.out.contains("integrity.error"), "\(tail.out) \(tail.err)")
        #expect(second.terminate() == 0)
    }
}
