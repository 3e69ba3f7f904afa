import Foundation
import Testing
import VaultAPI

/// Concurrent rotations and a kill -9 at every step of one, against real vaultd processes.
/// Two rotations at once used to re-wrap every data key under a version-2 key that only the
/// dead process held, while the key file held another: the vault then refused to start.
@Suite("key rotation: races and crashes with real processes", .serialized)
struct KeyRotationRaceProcessTests {
    static let rootToken = "pv-test-root-token-rotation-race-1"

    /// A vault with `people` subjects and a compliance token; returns the process and tokens.
    static func seeded(_ data: URL, people: Int, environment: [String: String]) async throws -> (VaultdProcess, dpo: String, id: String) {
        let vaultd = VaultdProcess(dataDirectory: data, environment: environment.merging(["PROFILEVAULT_ROOT_TOKEN": rootToken]) { $1 })
        try await vaultd.start()
        let crm = try createToken(["--principal", "crm", "--source", "crm"], address: vaultd.address, root: rootToken)
        let dpo = try createToken(["--principal", "dpo", "--role", "compliance"], address: vaultd.address, root: rootToken)
        let file = data.appendingPathComponent("people.jsonl")
        try (0..<people).map { #"{"key": "crm-\#($0)", "fields": {"email": "p\#($0)@example.com"}}"# }
            .joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        #expect(try vaultctl(["import", "--source", "crm", file.path], address: vaultd.address, token: crm).status == 0)
        let http = ProcessHTTP(address: vaultd.address)
        let found = try await http.object("POST", "/v1/subjects/lookup", token: dpo, json: #"{"identifiers": {"email": "p1@example.com"}}"#)
        let id = try #require((found["subject_ids"] as? [String])?.first)
        return (vaultd, dpo, id)
    }

    /// `GET /v1/keys`: the active version and the keys still to re-wrap.
    static func keys(_ address: String) async throws -> KeysBody {
        let (status, body) = try await ProcessHTTP(address: address).call("GET", "/v1/keys", token: rootToken)
        #expect(status == 200)
        return try JSONDecoder().decode(KeysBody.self, from: body)
    }

    static func waitForRewrap(_ address: String) async throws -> KeysBody {
        var keys = try await Self.keys(address)
        for _ in 0..<200 where (keys.rewrap?.pending ?? 0) > 0 {
            try await Task.sleep(for: .milliseconds(100))
            keys = try await Self.keys(address)
        }
        #expect(keys.rewrap?.pending == 0, "the rewrap completed")
        return keys
    }

    static func emailOf(_ id: String, _ address: String, dpo: String) async throws -> String? {
        let view = try await ProcessHTTP(address: address).object("GET", "/v1/subjects/\(id)", token: dpo, purpose: "essential")
        return (view["fields"] as? [String: Any])?["email"] as? String
    }

    /// Waits up to `seconds` for a process that should have died at its fault point; kills it
    /// (and reports the failure) if it is still running.
    static func expectCrash(_ vaultd: VaultdProcess, seconds: Int = 20) async throws {
        for _ in 0..<(seconds * 10) where vaultd.process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        let survived = vaultd.process.isRunning
        if survived { vaultd.kill() }
        #expect(!survived, "vaultd died at its fault point")
        _ = vaultd.waitForExit()
    }

    @Test("concurrent rotations: one is accepted, the others get 409 key-operation-in-progress; after a restart every key opens")
    func concurrentRotations() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        // Small rewrap batches keep the first rotation's rewrap running while the others arrive.
        let environment = ["PROFILEVAULT_REWRAP_BATCH": "10"]
        var (vaultd, dpo, id) = try await Self.seeded(data, people: 300, environment: environment)
        for round in 1...3 {
            let http = ProcessHTTP(address: vaultd.address)
            // Each answer's status and problem type.
            let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let (status, body) = try await http.call("POST", "/v1/keys/rotate", token: Self.rootToken)
                        let type = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["type"] as? String
                        return (status, type ?? "")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { $0.0 == 202 }.count == 1, "round \(round): \(answers.map(\.0))")
            for (status, type) in answers where status != 202 {
                #expect(status == 409 && type.hasSuffix("/key-operation-in-progress"), "round \(round): \(status) \(type)")
            }
            let keys = try await Self.waitForRewrap(vaultd.address)
            #expect(keys.active_version == round + 1)
            #expect(vaultd.terminate() == 0)
            // The key file and the database agree: the vault starts and every key opens.
            vaultd = VaultdProcess(dataDirectory: data, environment: environment)
            try await vaultd.start()
            #expect(try await Self.emailOf(id, vaultd.address, dpo: dpo) == "p1@example.com")
        }
        let keyFile = try String(contentsOf: data.appendingPathComponent("master.key"), encoding: .utf8)
        #expect(["1:", "2:", "3:", "4:"].allSatisfy { keyFile.contains("\n" + $0) } && !keyFile.contains("\n5:"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: data.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "no temporary key files left: \(leftovers)")
        #expect(vaultd.terminate() == 0)
    }

    @Test(
        "kill -9 at each step of a rotation: the vault restarts, every key opens, and the next rotation works",
        arguments: [("rotate-after-pending-row", false), ("rotate-after-key-file", true), ("rotate-after-activate-row", true)])
    func killedMidRotation(point: String, versionSurvives: Bool) async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let (first, dpo, id) = try await Self.seeded(data, people: 40, environment: [:])
        #expect(first.terminate() == 0)

        let crashing = VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_FAULT_INJECTION": point])
        try await crashing.start()
        _ = try? await ProcessHTTP(address: crashing.address).call("POST", "/v1/keys/rotate", token: Self.rootToken)
        try await Self.expectCrash(crashing)

        let restarted = VaultdProcess(dataDirectory: data)
        try await restarted.start()
        var keys = try await Self.waitForRewrap(restarted.address)
        // Before the key file was replaced the version is dropped; after, it is kept and active.
        #expect(keys.active_version == (versionSurvives ? 2 : 1), "\(point): active \(keys.active_version)")
        #expect(keys.versions.map(\.version) == (versionSurvives ? [1, 2] : [1]), "\(point): \(keys.versions.map(\.version))")
        #expect(try await Self.emailOf(id, restarted.address, dpo: dpo) == "p1@example.com")
        let (status, _) = try await ProcessHTTP(address: restarted.address).call("POST", "/v1/keys/rotate", token: Self.rootToken)
        #expect(status == 202, "\(point): a rotation after the crash is accepted (no lease left behind)")
        keys = try await Self.waitForRewrap(restarted.address)
        #expect(keys.active_version == (versionSurvives ? 3 : 2))
        #expect(restarted.terminate() == 0)

        let again = VaultdProcess(dataDirectory: data)
        try await again.start()
        #expect(try await Self.emailOf(id, again.address, dpo: dpo) == "p1@example.com")
        #expect(again.terminate() == 0)
    }
}
