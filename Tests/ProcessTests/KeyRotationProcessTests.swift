import Foundation
import Testing
import VaultAPI
import VaultClient

@Suite("key rotation with real processes", .serialized)
struct KeyRotationProcessTests {
    static let rootToken = "pv-test-root-token-rotation-1"

    @Test("views never fail during a rewrap; kill -9 mid-rewrap, restart, the rewrap completes and the old version retires")
    func rotateUnderLoad() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let environment = ["PROFILEVAULT_ROOT_TOKEN": Self.rootToken, "PROFILEVAULT_REWRAP_BATCH": "25"]
        let first = VaultdProcess(dataDirectory: data, environment: environment)
        try await first.start()
        func token(_ address: String, _ args: [String]) throws -> String {
            let out = try vaultctl(["token", "create", "--json"] + args, address: address, token: Self.rootToken).out
            return (try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any])["token"] as! String
        }
        let crm = try token(first.address, ["--principal", "crm", "--source", "crm"])
        let dpo = try token(first.address, ["--principal", "dpo", "--role", "compliance"])
        let file = data.appendingPathComponent("people.jsonl")
        try (0..<400).map { #"{"key": "crm-\#($0)", "fields": {"email": "p\#($0)@example.com", "first_name": "P\#($0)"}}"# }
            .joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        #expect(try vaultctl(["import", "--source", "crm", file.path], address: first.address, token: crm).status == 0)
        let ids =
            try
            (JSONSerialization.jsonObject(
                with: Data(try vaultctl(["lookup", "--email", "p1@example.com", "--json"], address: first.address, token: dpo).out.utf8))
            as! [String: Any])["subject_ids"] as! [String]

        // Rotate while a reader views continuously.
        let client = VaultClient(baseURL: URL(string: first.address + "/")!, token: dpo)
        let reader = Task { () -> (ok: Int, failed: Int) in
            var ok = 0
            var failed = 0
            for _ in 0..<150 {
                do {
                    let view: SubjectViewBody = try await client.send(
                        "GET", "v1/subjects/\(ids[0])", headers: ["X-Purpose": "essential"], as: SubjectViewBody.self)
                    if view.fields["email"] == "p1@example.com" { ok += 1 } else { failed += 1 }
                } catch { failed += 1 }
            }
            return (ok, failed)
        }
        let rotated = try vaultctl(["keys", "rotate", "--wait"], address: first.address, token: Self.rootToken)
        #expect(rotated.status == 0 && rotated.out.contains("Rewrap complete"), "\(rotated.out)\(rotated.err)")
        let reads = await reader.value
        #expect(reads.failed == 0 && reads.ok == 150)
        #expect(first.terminate() == 0)

        // Rotate again, and kill vaultd right after the first re-wrapped batch.
        let crashing = VaultdProcess(
            dataDirectory: data, environment: ["PROFILEVAULT_REWRAP_BATCH": "25", "PROFILEVAULT_FAULT_INJECTION": "rewrap-after-batch"])
        try await crashing.start()
        _ = try vaultctl(["keys", "rotate"], address: crashing.address, token: Self.rootToken)
        #expect(crashing.waitForExit() != 0, "killed at the fault point")

        let restarted = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_REWRAP_BATCH": "25"])
        try await restarted.start()
        var pending = -1
        for _ in 0..<100 {
            let status = try vaultctl(["keys", "status", "--json"], address: restarted.address, token: Self.rootToken)
            let keys = try JSONDecoder().decode(KeysBody.self, from: Data(status.out.utf8))
            #expect(keys.active_version == 3)
            pending = keys.rewrap?.pending ?? -1
            if pending == 0 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(pending == 0, "the rewrap resumed after the crash and completed")
        for version in [1, 2] {
            let retired = try vaultctl(["keys", "retire", "\(version)"], address: restarted.address, token: Self.rootToken)
            #expect(retired.status == 0, "\(retired.err)")
        }
        let view = try vaultctl(["view", ids[0], "--purpose", "essential", "--json"], address: restarted.address, token: dpo)
        #expect(view.out.contains("p1@example.com"))
        #expect(restarted.terminate() == 0)
        let keyFile = try String(contentsOf: data.appendingPathComponent("master.key"), encoding: .utf8)
        #expect(!keyFile.contains("\n1:") && !keyFile.contains("\n2:") && keyFile.contains("\n3:"))
    }
}
