import Foundation
import Logging
import PostgresNIO
import PostgresStorage

#if canImport(Glibc)
import Glibc
#endif

/// The PostgreSQL server tests run against.
///
/// `scripts/test` starts a throwaway cluster (`scripts/postgres-cluster`) and passes its URL
/// in `PROFILEVAULT_TEST_POSTGRES`. A test process started another way (`swift test` alone)
/// starts its own cluster with the same script, once, and stops it when the process exits.
/// Each vault gets a database of its own on that server.
public enum TestPostgres {
    public static let environmentVariable = "PROFILEVAULT_TEST_POSTGRES"

    /// The server's location (its `postgres` database).
    public static func server() async throws -> PostgresLocation {
        try await Starter.shared.location()
    }

    /// A new, empty database on the server.
    public static func freshDatabase() async throws -> PostgresLocation {
        let server = try await server()
        let name = "pv_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let connection = try await connect(to: server)
        defer { Task { try? await connection.close() } }
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        return server.with(database: name)
    }

    /// A plain connection to `location` (the test cluster trusts loopback), for statements a
    /// test runs behind the store's back: creating databases, tampering, inspecting pages.
    public static func connect(to location: PostgresLocation) async throws -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username,
            password: nil, database: location.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
    }

    public static let logger = Logger(label: "test-postgres")

    /// The repository's `scripts/postgres-cluster`.
    static let clusterScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/postgres-cluster")

    private actor Starter {
        static let shared = Starter()
        private var started: PostgresLocation?

        func location() throws -> PostgresLocation {
            if let started { return started }
            let url: String
            if let given = ProcessInfo.processInfo.environment[TestPostgres.environmentVariable], !given.isEmpty {
                url = given
            } else {
                url = try startCluster()
            }
            let location = try PostgresLocation(url: url)
            started = location
            return location
        }

        private func startCluster() throws -> String {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-test-pg-\(UUID().uuidString)").path
            // The URL comes back through a file: a pipe's end can be inherited by the server's processes.
            let urlFile = directory + ".url"
            _ = FileManager.default.createFile(atPath: urlFile, contents: nil)
            defer { try? FileManager.default.removeItem(atPath: urlFile) }
            // system(3), not Foundation's Process: waitUntilExit parks a cooperative thread on a
            // run loop, which hung the test process here.
            let status = system("/bin/bash '\(TestPostgres.clusterScript.path)' start '\(directory)' > '\(urlFile)'")
            guard status == 0, let data = FileManager.default.contents(atPath: urlFile) else {
                throw TestPostgresError("scripts/postgres-cluster start failed (status \(status)); run `bash scripts/test`, which installs PostgreSQL")
            }
            clusterDirectory = directory
            atexit {
                guard let directory = clusterDirectory else { return }
                _ = system("/bin/bash '\(TestPostgres.clusterScript.path)' stop '\(directory)' >/dev/null 2>&1")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}

/// The cluster this process started, stopped at exit.
nonisolated(unsafe) private var clusterDirectory: String?

public struct TestPostgresError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
