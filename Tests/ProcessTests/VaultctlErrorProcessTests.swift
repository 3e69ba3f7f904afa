import Foundation
import Glibc
import Testing

/// vaultctl says why the vault refused: each problem's field and reason, titled by what was
/// sent (a request, a consent), never only "Invalid batch: 1 problem(s)".
@Suite("vaultctl errors with real processes", .serialized)
struct VaultctlErrorProcessTests {
    static let rootToken = "pv-test-root-token-cli-errors-01"

    @Test("a refused request or consent names the field and the reason, exit 65")
    func reasonsPrinted() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let vaultd = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken])
        try await vaultd.start()
        defer { _ = vaultd.terminate() }
        let created =
            try JSONSerialization.jsonObject(
                with: Data(
                    try vaultctl(["token", "create", "--json", "--principal", "dpo", "--role", "compliance"], address: vaultd.address, token: Self.rootToken)
                        .out.utf8)) as? [String: Any]
        let dpo = try #require(created?["token"] as? String)

        let request = try vaultctl(
            ["request", "open", "--kind", "erasure", "--regulation", "hipaa", "--email", "ann@example.com"], address: vaultd.address, token: dpo)
        #expect(request.status == 65)
        #expect(request.err.contains("Invalid request: regulation: gdpr or ccpa"), "\(request.err)")

        let consent = try vaultctl(
            [
                "consent", "grant", "0b8c3d7e-1f2a-4b5c-8d9e-0f1a2b3c4d5e", "--purpose", "marketing.communications.email",
                "--expires-at", "2025-01-01T00:00:00Z",
            ], address: vaultd.address, token: dpo)
        #expect(consent.status == 65)
        #expect(consent.err.contains("Invalid consent") && consent.err.contains("expires_at: the expiry is not in the future"), "\(consent.err)")
        #expect(!consent.err.contains("Invalid batch"))

        let missing = try vaultctl(["import", "--source", "crm", data.appendingPathComponent("absent.jsonl").path], address: vaultd.address, token: dpo)
        #expect(missing.status == 66 && missing.err.contains("does not exist"), "\(missing.status) \(missing.err)")

        // A restore into a directory without the vault's master key is refused, not "Restored".
        let backup = data.appendingPathComponent("backup.sqlite")
        #expect(try vaultctl(["backup", backup.path], address: vaultd.address, token: Self.rootToken).status == 0)
        let empty = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        let restored = try vaultctl(["restore", backup.path, "--data-dir", empty.path], address: vaultd.address, token: "unused")
        #expect(restored.status == 65 && restored.err.contains("has no master key"), "\(restored.status) \(restored.err)")
        #expect(!FileManager.default.fileExists(atPath: empty.appendingPathComponent("vault.sqlite").path))
    }

    @Test("whoami names the token's principal, its role and purposes or its source")
    func whoami() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let vaultd = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken])
        try await vaultd.start()
        defer { _ = vaultd.terminate() }
        let support = try createToken(["--principal", "agent-7", "--role", "support"], address: vaultd.address, root: Self.rootToken)
        let crm = try createToken(["--principal", "crm-sync", "--source", "crm"], address: vaultd.address, root: Self.rootToken)
        let me = try vaultctl(["whoami"], address: vaultd.address, token: support)
        #expect(
            me.status == 0 && me.out.contains("agent-7") && me.out.contains("support") && me.out.contains("essential.service.operations.support"), "\(me.out)")
        let source =
            try JSONSerialization.jsonObject(with: Data(try vaultctl(["whoami", "--json"], address: vaultd.address, token: crm).out.utf8)) as? [String: Any]
        #expect(source?["principal"] as? String == "crm-sync" && source?["source"] as? String == "crm" && source?["role"] == nil)
        #expect(try vaultctl(["whoami"], address: vaultd.address, token: "pvt_not-a-token").status == 77)
        let none = try vaultctl(["lookup", "--email", "nobody@example.com", "--json"], address: vaultd.address, token: support)
        #expect(none.status == 0 && none.out.contains("[]") && !none.out.contains("[\n"), "an empty list prints as []: \(none.out)")
    }

    @Test("both executables print their version")
    func versions() throws {
        for binary in [Binaries.vaultd, Binaries.vaultctl] {
            let process = Process()
            let out = Pipe()
            process.executableURL = binary
            process.arguments = ["--version"]
            process.standardOutput = out
            try process.run()
            process.waitUntilExit()
            let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(
                process.terminationStatus == 0 && printed.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil,
                "\(binary.lastPathComponent): \(printed)")
        }
    }

    @Test("a vaultd that accepts but never answers is given up on after --timeout, exit 69, in one sentence")
    func silentServerTimesOut() throws {
        // A listening socket nobody accepts from: the kernel completes connections, nothing answers.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        #expect(bound == 0 && listen(listener, 16) == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))

        let result = try vaultctl(["whoami", "--timeout", "2"], address: "http://127.0.0.1:\(port)", token: "pvt_any")
        #expect(result.status == 69 && result.err.contains("did not answer within 2 s"), "\(result.status) \(result.err)")
    }
}
