import ArgumentParser
import Foundation
import Testing

@testable import vaultd

/// vaultd's one configuration value, built from flags, an environment and a file without
/// starting anything.
@Suite("vaultd configuration")
struct VaultdConfigurationTests {
    static func resolve(_ arguments: [String], environment: [String: String] = [:], file: String? = nil) async throws -> VaultdConfiguration {
        var path: String?
        if let file {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("vaultd-\(UUID().uuidString).yaml")
            try file.write(to: url, atomically: true, encoding: .utf8)
            path = url.path
        }
        defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
        let flags = try VaultdCommand.parse(arguments)
        let settings = try await VaultdSettings.load(configPath: path, environment: environment)
        return try VaultdConfiguration.resolve(flags, settings: settings, environment: environment)
    }

    @Test("a setting resolves as flag > PROFILEVAULT_<KEY> > config file > default")
    func precedence() async throws {
        let environment = ["PROFILEVAULT_PORT": "9001"]
        let file = "port: 9002\nphone_region: GB\n"
        #expect(try await Self.resolve(["--port", "9000"], environment: environment, file: file).server.port == 9000)
        #expect(try await Self.resolve([], environment: environment, file: file).server.port == 9001)
        #expect(try await Self.resolve([], file: file).server.port == 9002)
        #expect(try await Self.resolve([]).server.port == 8420)
        #expect(try await Self.resolve([], file: file).phoneRegion == "GB")
        #expect(try await Self.resolve([]).postgres == nil, "SQLite in the data directory by default")
    }

    @Test(
        "bad settings are refused before anything opens, each with its reason",
        arguments: [
            (["--port", "70000"], [:], "the port must be a number from 0 to 65535"),
            (["--tls-cert", "cert.pem"], [:], "give both --tls-cert and --tls-key, or neither"),
            (["--database", "mysql://x"], [:], "--database takes postgres://"),
            ([], ["PROFILEVAULT_MAX_BATCH": "0"], "max_batch must be 1 to 10000"),
        ] as [([String], [String: String], String)])
    func refused(_ row: ([String], [String: String], String)) async throws {
        do {
            _ = try await Self.resolve(row.0, environment: row.1)
            Issue.record("accepted \(row.0) \(row.1)")
        } catch let error as ValidationError {
            #expect(error.message.contains(row.2), "\(error.message)")
        }
    }

    @Test("secrets come from the environment only")
    func secrets() async throws {
        let configured = try await Self.resolve([], environment: ["PROFILEVAULT_ROOT_TOKEN": "preset-token-0123456789"], file: "root_token: from-file\n")
        #expect(configured.presetRootToken == "preset-token-0123456789")
        #expect(try await Self.resolve([], file: "root_token: from-file\n").presetRootToken == nil)
    }
}
