import Foundation
import GRDB
import Testing

@Suite("audit with real processes", .serialized)
struct AuditProcessTests {
    static let rootToken = "pv-test-root-token-audit-0123"

    @Test("vaultctl audit verify passes, tail shows entries; cutting the tail after shutdown makes vaultd refuse to start")
    func verifyTailTruncate() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = VaultdProcess(
            dataDirectory: data, arguments: ["--anchor-interval", "1"],
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
        #expect(json.out.split(separator: "\n").count == 1, "the bootstrap admin token")
        // A support token is shown personal values: a privileged grant, flagged in the table.
        let privileged = try vaultctl(["audit", "tail", "--json", "--action", "token.create.privileged"], address: first.address, token: Self.rootToken)
        #expect(privileged.out.split(separator: "\n").count == 3, "the three support tokens")
        let flagged = try vaultctl(["audit", "tail", "--action", "token.create.privileged"], address: first.address, token: Self.rootToken)
        #expect(flagged.out.split(separator: "\n").filter { $0.contains("⚑ privileged grant") }.count == 3, "\(flagged.out)")
        #expect(first.terminate() == 0)  // graceful stop anchors the head

        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("audit-anchors.jsonl").path))
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("audit-signing.pub").path))
        let pool = try DatabasePool(path: data.appendingPathComponent("vault.sqlite").path)
        try await pool.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) - 5 FROM audit_log)") }
        try pool.close()

        // The chain would go on from the shortened head and the next anchor sign over the cut:
        // vaultd refuses to serve instead, naming the anchor the chain no longer holds.
        let second = VaultdProcess(dataDirectory: data, arguments: ["--anchor-interval", "3600"])
        do {
            try await second.start()
            Issue.record("vaultd started over a chain cut behind its anchors")
            _ = second.terminate()
        } catch let failure as VaultdProcess.StartFailure {
            #expect(failure.errors.contains("no longer holds the entry anchored at sequence"), "\(failure)")
        }
        #expect(second.waitForExit() != 0)
        let anchors = try String(contentsOf: data.appendingPathComponent("audit-anchors.jsonl"), encoding: .utf8)
        let again = VaultdProcess(dataDirectory: data, arguments: ["--anchor-interval", "3600"])
        await #expect(throws: VaultdProcess.StartFailure.self) { try await again.start() }
        _ = again.waitForExit()
        #expect(try String(contentsOf: data.appendingPathComponent("audit-anchors.jsonl"), encoding: .utf8) == anchors, "no new anchor over the cut")
    }
}
