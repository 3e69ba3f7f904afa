import Foundation
import Testing

@Suite("vaultctl policy, offline")
struct PolicyCLITests {
    /// A copy of the shipped bundle to break.
    static func copyOfPolicies() throws -> URL {
        let copy = temporaryDirectory()
        try FileManager.default.copyItem(at: Binaries.policies, to: copy)
        return copy
    }

    @Test("policy test passes on the shipped bundle")
    func shipped() throws {
        let result = try vaultctl(["policy", "test", Binaries.policies.path], address: "http://127.0.0.1:1", token: "unused")
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(result.out.contains("0 failed") && result.out.contains("✔ support.yaml"))
    }

    @Test("policy test fails (exit 1) when a decision differs from what a test expects")
    func failingTest() throws {
        let copy = try Self.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        let roles = copy.appendingPathComponent("roles.yaml")
        // Support would now see bank details: the shipped test must catch it.
        let text = try String(contentsOf: roles, encoding: .utf8)
            .replacingOccurrences(
                of: "{ category: user.financial.bank_account, action: redact }", with: "{ category: user.financial.bank_account, action: show }")
        try text.write(to: roles, atomically: true, encoding: .utf8)
        let result = try vaultctl(["policy", "test", copy.path], address: "http://127.0.0.1:1", token: "unused")
        #expect(result.status == 1)
        #expect(result.out.contains("✘ support.yaml") && result.out.contains("iban: expected redact, got show"))
    }

    @Test("policy validate and test refuse an invalid bundle (exit 65), naming file, line and rule")
    func invalidBundle() throws {
        let copy = try Self.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        let roles = copy.appendingPathComponent("roles.yaml")
        var text = try String(contentsOf: roles, encoding: .utf8)
        text +=
            "  auditors:\n    purposes: [essential]\n    rules:\n      - { category: user.name, action: show }\n      - { category: user.name, action: redact }\n"
        try text.write(to: roles, atomically: true, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        for command in ["validate", "test"] {
            let result = try vaultctl(["policy", command, copy.path], address: "http://127.0.0.1:1", token: "unused")
            #expect(result.status == 65, "\(command)")
            #expect(
                result.out.contains("roles.yaml:\(lines) (user.name → redact): role 'auditors': contradicts the rule on line \(lines - 1)"), "\(result.out)")
        }
    }
}
