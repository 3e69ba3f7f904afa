import Foundation
import SQLiteStorage

/// A path for a bare SQLite store file in a fresh temporary directory, for tests that open
/// `SQLiteVaultStore` (or write an older schema) directly instead of a whole `TemporaryVault`.
struct TemporaryStoreFile {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-test-\(UUID().uuidString)")
    var path: String { directory.appendingPathComponent("vault.sqlite").path }

    init() throws { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
