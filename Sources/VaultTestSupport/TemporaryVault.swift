import Foundation
import PostgresStorage
import Storage
import Synchronization
import Vault

/// The storage backends the conformance suite runs every behaviour on.
public enum StorageBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres
    public var description: String { rawValue }
}

/// A vault on a fresh store (a SQLite file in a temporary directory, or a new PostgreSQL
/// database on the test server), for tests.
public struct TemporaryVault: Sendable {
    public let directory: URL
    public let vault: ProfileVault
    public let backend: StorageBackend
    /// The database, when the backend is PostgreSQL.
    public let postgres: PostgresLocation?
    private let opened: OpenStores

    /// The repository's shipped policy bundle.
    public static let policies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("policies")

    public static func make(_ backend: StorageBackend = .sqlite, maximumBatch: Int = 1000, dualControl: Bool = false) async throws -> TemporaryVault {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-test-\(UUID().uuidString)")
        let opened = OpenStores()
        switch backend {
        case .sqlite:
            let vault = try await ProfileVault.openSQLite(dataDirectory: directory, policies: policies, maximumBatch: maximumBatch, dualControl: dualControl)
            return TemporaryVault(directory: directory, vault: vault, backend: backend, postgres: nil, opened: opened)
        case .postgres:
            let location = try await TestPostgres.freshDatabase()
            let vault = try await open(location, directory: directory, maximumBatch: maximumBatch, dualControl: dualControl, opened: opened)
            return TemporaryVault(directory: directory, vault: vault, backend: backend, postgres: location, opened: opened)
        }
    }

    private static func open(
        _ location: PostgresLocation, directory: URL, maximumBatch: Int, dualControl: Bool = false,
        opened: OpenStores
    ) async throws -> ProfileVault {
        let store = try await PostgresVaultStore.connect(location: location, maximumConnections: 4)
        opened.add(store)
        return try await ProfileVault.open(store: store, dataDirectory: directory, policies: policies, maximumBatch: maximumBatch, dualControl: dualControl)
    }

    /// Opens the same store again (a restart).
    public func reopen() async throws -> ProfileVault {
        if let postgres { return try await Self.open(postgres, directory: directory, maximumBatch: 1000, opened: opened) }
        return try await ProfileVault.openSQLite(dataDirectory: directory, policies: Self.policies)
    }

    public var databasePath: String { directory.appendingPathComponent("vault.sqlite").path }

    /// Deletes the directory and closes PostgreSQL connections (the throwaway cluster keeps the database).
    public func remove() {
        opened.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// PostgreSQL stores a temporary vault opened, so `remove()` can close their pools.
private final class OpenStores: Sendable {
    private let stores = Mutex<[PostgresVaultStore]>([])
    func add(_ store: PostgresVaultStore) { stores.withLock { $0.append(store) } }
    func shutdown() { for store in stores.withLock({ $0 }) { store.shutdown() } }
}
