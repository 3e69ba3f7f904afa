import Foundation
import Testing

/// A new user's first start: what goes wrong is said before anything is seeded or printed.
@Suite("first run with real processes", .serialized)
struct FirstRunProcessTests {
    @Test("a demo start on a busy port says so before seeding or printing any token; the next start prints them")
    func busyPortBeforeDemo() async throws {
        let occupant = VaultdProcess(dataDirectory: temporaryDirectory())
        try await occupant.start()
        defer { _ = occupant.terminate() }
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }

        let demo = VaultdProcess(dataDirectory: data, arguments: ["--demo", "--demo-people", "20", "--port", String(occupant.port)])
        do {
            try await demo.start(timeout: .seconds(60))
            Issue.record("vaultd started on a busy port")
            _ = demo.terminate()
        } catch let failure as VaultdProcess.StartFailure {
            #expect(failure.errors.contains("port \(occupant.port) on 127.0.0.1 is in use"), "\(failure.errors)")
            #expect(!failure.output.contains("Demo tokens") && !failure.output.contains("Admin token"), "nothing printed: \(failure.output)")
        }
        #expect(demo.waitForExit() != 0)

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
        let fresh = VaultdProcess(dataDirectory: data, arguments: ["--policies", missing])
        do {
            try await fresh.start(timeout: .seconds(60))
            Issue.record("vaultd started without any policy")
            _ = fresh.terminate()
        } catch let failure as VaultdProcess.StartFailure {
            #expect(failure.errors.contains("the policy directory \(missing) does not exist"), "\(failure.errors)")
        }
        #expect(fresh.waitForExit() != 0)

        let first = VaultdProcess(dataDirectory: data)
        try await first.start()
        #expect(first.terminate() == 0)
        let later = VaultdProcess(dataDirectory: data, arguments: ["--policies", missing])
        try await later.start()
        #expect(later.terminate() == 0)
    }
}
