import Foundation
import Testing

/// A new user's first start: what goes wrong is said before anything is seeded or printed.
@Suite("first run with real processes", .serialized)
struct FirstRunProcessTests {
    /// What vaultd said when it refused to start (and exited non-zero); nil, recorded as an
    /// issue, when it started.
    static func refusedStart(_ vaultd: VaultdProcess) async throws -> VaultdProcess.StartFailure? {
        do {
            try await vaultd.start(timeout: .seconds(60))
            Issue.record("vaultd started")
            _ = vaultd.terminate()
            return nil
        } catch let failure as VaultdProcess.StartFailure {
            #expect(vaultd.waitForExit() != 0)
            return failure
        }
    }

    @Test("a demo start on a busy port says so before seeding or printing any token; the next start prints them")
    func busyPortBeforeDemo() async throws {
        let occupant = VaultdProcess(dataDirectory: temporaryDirectory())
        try await occupant.start()
        defer { _ = occupant.terminate() }
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }

        let demo = VaultdProcess(dataDirectory: data, arguments: ["--demo", "--demo-people", "20", "--port", String(occupant.port)])
        if let failure = try await Self.refusedStart(demo) {
            #expect(failure.errors.contains("port \(occupant.port) on 127.0.0.1 is in use"), "\(failure.errors)")
            #expect(!failure.output.contains("Demo tokens") && !failure.output.contains("Admin token"), "nothing printed: \(failure.output)")
        }

        let retry = VaultdProcess(dataDirectory: data, arguments: ["--demo", "--demo-people", "20"])
        try await retry.start()
        #expect(retry.output.contains("Demo tokens (shown once)"), "the tokens were not spent by the failed start")
        #expect(retry.terminate() == 0)
    }

    @Test("the policy directory is needed on the first start only; later starts use the stored versions")
    func policiesOnFirstStartOnly() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let missing = data.appendingPathComponent("no-such-policies").path
        if let failure = try await Self.refusedStart(VaultdProcess(dataDirectory: data, arguments: ["--policies", missing])) {
            #expect(failure.errors.contains("the policy directory \(missing) does not exist"), "\(failure.errors)")
        }

        let first = VaultdProcess(dataDirectory: data)
        try await first.start()
        #expect(first.terminate() == 0)
        let later = VaultdProcess(dataDirectory: data, arguments: ["--policies", missing])
        try await later.start()
        #expect(later.terminate() == 0)
    }
}
