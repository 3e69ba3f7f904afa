import Foundation
import Vault

/// A vault on a fresh SQLite file in a temporary directory, for tests.
public struct TemporaryVault: Sendable {
    public let directory: URL
    public let vault: ProfileVault

    /// The repository's shipped policy bundle.
    public static let policies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("policies")

    public static func make(maximumBatch: Int = 1000) async throws -> TemporaryVault {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-test-\(UUID().uuidString)")
        let vault = try await ProfileVault.openSQLite(dataDirectory: directory, policies: policies, maximumBatch: maximumBatch)
        return TemporaryVault(directory: directory, vault: vault)
    }

    /// Opens the same directory again (a restart).
    public func reopen() async throws -> ProfileVault {
        try await ProfileVault.openSQLite(dataDirectory: directory, policies: Self.policies)
    }

    public var databasePath: String { directory.appendingPathComponent("vault.sqlite").path }

    public func remove() { try? FileManager.default.removeItem(at: directory) }
}
