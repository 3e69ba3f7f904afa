import Foundation
import Testing
import Vault
import VaultTestSupport

@Suite("Master key from the environment")
struct KeySourceTests {
    @Test("with the key in the environment, rotation is refused with instructions")
    func environmentSource() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pv-env-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        setenv("PV_ROTATION_TEST_KEY", "1:" + Data((0..<32).map { UInt8($0) }).base64EncodedString(), 1)
        let vault = try await ProfileVault.openSQLite(
            dataDirectory: directory, policies: TemporaryVault.policies,
            keySource: .environment(variable: "PV_ROTATION_TEST_KEY"))
        await #expect(throws: KeyRotationError.self) { try await vault.rotation.rotate(caller: tester) }
    }
}
