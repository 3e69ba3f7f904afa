import Foundation
import Testing
import VaultAPI
import VaultClient
import VaultModel

@Suite("vaultd configuration", .serialized)
struct ConfigurationProcessTests {
    static let rootToken = "pv-test-root-token-config-0123"

    /// Sends a batch of `count` records; returns the HTTP status.
    static func batch(_ vaultd: VaultdProcess, token: String, count: Int) async throws -> Int {
        let client = VaultClient(baseURL: URL(string: vaultd.address + "/")!, token: token)
        let records = (0..<count).map { JSONValueRecord.make("k\($0)") }
        do {
            _ = try await client.raw("POST", "v1/sources/crm/records", body: IngestRecordsRequest(records: records))
            return 200
        } catch ClientError.problem(let problem) {
            return problem.status
        }
    }

    @Test("config file < environment < flag, for max_batch")
    func precedence() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let file = data.appendingPathComponent("vaultd.yaml")
        try "max_batch: 2\nlog_level: warning\n".write(to: file, atomically: true, encoding: .utf8)

        func run(_ arguments: [String], _ environment: [String: String], records: Int) async throws -> Int {
            let vaultd = VaultdProcess(
                dataDirectory: data, arguments: ["--config", file.path] + arguments,
                environment: environment.merging(["PROFILEVAULT_ROOT_TOKEN": Self.rootToken]) { a, _ in a })
            try await vaultd.start()
            defer { _ = vaultd.terminate() }
            let created = try vaultctl(
                ["token", "create", "--principal", "crm-\(UUID().uuidString.prefix(6))", "--source", "crm", "--json"],
                address: vaultd.address, token: Self.rootToken)
            let token = (try JSONSerialization.jsonObject(with: Data(created.out.utf8)) as! [String: Any])["token"] as! String
            return try await Self.batch(vaultd, token: token, count: records)
        }
        #expect(try await run([], [:], records: 3) == 413, "the file's max_batch applies")
        #expect(try await run([], ["PROFILEVAULT_MAX_BATCH": "5"], records: 3) == 200, "the environment wins over the file")
        #expect(try await run(["--max-batch", "1"], ["PROFILEVAULT_MAX_BATCH": "5"], records: 3) == 413, "a flag wins over the environment")
    }

    @Test("a missing config file or a bad value is a clear refusal; --help documents the settings")
    func refusals() async throws {
        let data = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        func failure(_ vaultd: VaultdProcess) async -> String {
            do {
                try await vaultd.start(timeout: .seconds(60))
                Issue.record("vaultd started")
                return ""
            } catch let failure as VaultdProcess.StartFailure {
                return failure.errors
            } catch {
                return "\(error)"
            }
        }
        let missing = await failure(VaultdProcess(dataDirectory: data, arguments: ["--config", "/nonexistent/vaultd.yaml"]))
        #expect(missing.contains("does not exist"), "\(missing)")
        let badBatch = await failure(VaultdProcess(dataDirectory: data, environment: ["PROFILEVAULT_MAX_BATCH": "lots"]))
        #expect(badBatch.contains("max_batch must be a whole number"), "\(badBatch)")

        let help = Process()
        help.executableURL = Binaries.vaultd
        help.arguments = ["--help"]
        let pipe = Pipe()
        help.standardOutput = pipe
        try help.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        help.waitUntilExit()
        for word in ["--config", "--data-dir", "--max-batch", "--max-body-bytes", "PROFILEVAULT_", "retention_interval", "--anchor-interval", "--tls-cert"] {
            #expect(text.contains(word), "\(word)")
        }
    }
}

enum JSONValueRecord {
    static func make(_ key: String) -> JSONValue { .object(["key": .string(key), "fields": .object(["email": .string("\(key)@example.com")])]) }
}
