import Foundation
import Testing

@Suite("consent and policy with real processes", .serialized)
struct ConsentPolicyProcessTests {
    static let rootToken = "pv-test-root-token-policy-0123"

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("vaultctl consent grant/withdraw/show drives a marketing view; policy apply/diff/history change decisions live")
    func consentAndPolicy() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let vaultd = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken])
        try await vaultd.start()
        defer { _ = vaultd.terminate() }
        func token(_ args: [String]) throws -> String {
            let created = try vaultctl(["token", "create", "--json"] + args, address: vaultd.address, token: Self.rootToken)
            return try Self.json(created.out)["token"] as! String
        }
        let crm = try token(["--principal", "crm", "--source", "crm"])
        let support = try token(["--principal", "desk", "--role", "support"])
        let marketing = try token(["--principal", "mail", "--role", "marketing"])

        let file = data.appendingPathComponent("one.jsonl")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try #"{"key": "crm-1", "fields": {"email": "ann@example.com", "first_name": "Ann", "iban": "DE89 3704 0044 0532 0130 00"}}"#
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(try vaultctl(["import", "--source", "crm", file.path], address: vaultd.address, token: crm).status == 0)
        let id = try
            (Self.json(try vaultctl(["lookup", "--email", "ann@example.com", "--json"], address: vaultd.address, token: support).out)["subject_ids"]
            as! [String])[0]

        func marketingEmail() throws -> String? {
            let view = try vaultctl(["view", id, "--purpose", "marketing.communications.email", "--json"], address: vaultd.address, token: marketing)
            return (try Self.json(view.out)["fields"] as? [String: String])?["email"]
        }
        #expect(try marketingEmail() == nil)
        let grant = try vaultctl(
            ["consent", "grant", id, "--purpose", "marketing.communications.email", "--channel", "phone", "--evidence", "rec-1"],
            address: vaultd.address, token: support)
        #expect(grant.status == 0 && grant.out.contains("Consent granted for"), "\(grant.err)")
        #expect(try marketingEmail() == "ann@example.com")
        #expect(try vaultctl(["consent", "withdraw", id, "--purpose", "marketing.communications.email"], address: vaultd.address, token: support).status == 0)
        #expect(try marketingEmail() == nil)
        let show = try vaultctl(["consent", "show", id], address: vaultd.address, token: support)
        #expect(show.out.contains("withdrawn") && show.out.contains("HISTORY"))
        let badPurpose = try vaultctl(["consent", "grant", id, "--purpose", "telepathy"], address: vaultd.address, token: support)
        #expect(badPurpose.status == 65)

        // Policy: let support see a masked IBAN, apply it live, see the diff and history.
        let bundle = data.appendingPathComponent("bundle")
        try FileManager.default.copyItem(at: Binaries.policies, to: bundle)
        let roles = bundle.appendingPathComponent("roles.yaml")
        try String(contentsOf: roles, encoding: .utf8)
            .replacingOccurrences(
                of: "{ category: user.financial.bank_account, action: redact }", with: "{ category: user.financial.bank_account, action: mask, mask: last4 }"
            )
            .write(to: roles, atomically: true, encoding: .utf8)
        let diff = try vaultctl(["policy", "diff", bundle.path], address: vaultd.address, token: Self.rootToken)
        #expect(diff.status == 0 && diff.out.contains("--- roles.yaml") && diff.out.contains("mask: last4"))
        // The bundle's own test still expects a redacted IBAN: not applied without --force.
        let refused = try vaultctl(["policy", "apply", bundle.path], address: vaultd.address, token: Self.rootToken)
        #expect(refused.status == 65 && refused.err.contains("policy tests fail") && refused.err.contains("nothing was applied"), "\(refused.err)")
        let apply = try vaultctl(["policy", "apply", "--force", bundle.path], address: vaultd.address, token: Self.rootToken)
        #expect(apply.status == 0 && apply.out.contains("Applied v2"), "\(apply.out)\(apply.err)")
        let audited = try vaultctl(["audit", "tail", "--action", "policy.apply", "--json"], address: vaultd.address, token: Self.rootToken)
        #expect(audited.out.contains("forced past 1 failing policy tests"), "\(audited.out)")
        let view = try vaultctl(["view", id, "--purpose", "essential.service.operations.support", "--json"], address: vaultd.address, token: support)
        #expect((try Self.json(view.out)["fields"] as? [String: String])?["iban"] == "••••3000")
        let history = try vaultctl(["policy", "history"], address: vaultd.address, token: Self.rootToken)
        #expect(history.out.contains("v1") && history.out.contains("v2") && history.out.contains("roles.yaml"))
        let denied = try vaultctl(["policy", "apply", "--force", bundle.path], address: vaultd.address, token: support)
        #expect(denied.status == 77)
    }
}
