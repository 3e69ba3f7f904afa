import Foundation
import GRDB
import Testing

@Suite("audit with real processes", .serialized)
struct AuditProcessTests {
    static let rootToken = "pv-test-root-token-audit-0123"

    @Test("vaultctl audit verify passes, tail shows entries; cutting the tail after shutdown is caught by the anchor")
    func verifyTailTruncate() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = VaultdProcess(dataDirectory: data, arguments: ["--anchor-interval", "1"],
                                  environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken])
        try await first.start()
        for principal in ["a", "b", "c"] {
            let created = try vaultctl(["token", "create", "--principal", principal, "--role", "support"], address: first.address, token: Self.rootToken)
            #expect(created.status == 0)
        }
        let verify = try vaultctl(["audit", "verify"], address: first.address, token: Self.rootToken)
        #expect(verify.status == 0 && verify.out.contains("Audit chain valid"), "\(verify.out)\(verify.err)")
        let tail = try vaultctl(["audit", "tail", "--lines", "3"], address: first.address, token: Self.rootToken)
        #expect(tail.status == 0 && tail.out.contains("token.create") && tail.out.contains("SEQ"))
        let json = try vaultctl(["audit", "tail", "--json", "--action", "token.create"], address: first.address, token: Self.rootToken)
        #expect(json.out.split(separator: "\n").count == 4, "bootstrap admin token + three")
        #expect(first.terminate() == 0) // graceful stop anchors the head

        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("audit-anchors.jsonl").path))
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("audit-signing.pub").path))
        let pool = try DatabasePool(path: data.appendingPathComponent("vault.sqlite").path)
        try await pool.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) - 2 FROM audit_log)") }
        try pool.close()

        let second = VaultdProcess(dataDirectory: data, arguments: ["--anchor-interval", "3600"])
        try await second.start()
        let broken = try vaultctl(["audit", "verify", "--json"], address: second.address, token: Self.rootToken)
        #expect(broken.status == 1)
        #expect(broken.out.contains("\"problem\" : \"truncated\""), "\(broken.out)")
        #expect(second.terminate() == 0)
    }
}
