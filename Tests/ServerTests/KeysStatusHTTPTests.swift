import Foundation
import HummingbirdTesting
import Testing
import VaultAPI

/// `GET /v1/keys` says how each master-key version serves, and shows a rewrap rate only while
/// there is something to rewrap.
@Suite("HTTP: key versions as shown")
struct KeysStatusHTTPTests {
    @Test("after a rotation: the new version active, the old one decrypt-only until retired; no rate once the rewrap is done")
    func statesAndRate() async throws {
        let h = try await ServerHarness.make()
        try await h.run { client in
            let rotated = try await client.call(.post, "/v1/keys/rotate", token: h.admin).decode(KeysBody.self)
            #expect(rotated.versions.map(\.state) == ["decrypt-only", "active"], "\(rotated.versions.map(\.state))")
            var keys = rotated
            for _ in 0..<200 where (keys.rewrap?.pending ?? 0) > 0 {
                _ = try await h.temporary.vault.rotation.rewrapBatch(limit: 500)
                keys = try await client.call(.get, "/v1/keys", token: h.admin).decode(KeysBody.self)
            }
            #expect(keys.rewrap?.pending == 0)
            #expect(keys.rewrap?.rate_per_second == nil, "a finished rewrap has no rate")
            let retired = try await client.call(.post, "/v1/keys/1/retire", token: h.admin).decode(KeysBody.self)
            #expect(retired.versions.first { $0.version == 1 }?.state == "retired")
        }
    }
}
