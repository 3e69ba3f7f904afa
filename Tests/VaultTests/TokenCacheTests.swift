import Foundation
import Testing
import VaultModel

@testable import Vault

@Suite("Token cache")
struct TokenCacheTests {
    let principal = Principal(tokenID: UUID(), name: "agent", kind: .role(RoleName("support")))
    let hash: [UInt8] = Array(repeating: 7, count: 32)

    @Test("a remembered principal is served until its lifetime ends")
    func lifetime() async throws {
        let cache = TokenCache(lifetime: .milliseconds(200))
        #expect(cache.principal(forHash: hash) == nil)
        cache.remember(principal, forHash: hash, readAt: cache.generation)
        #expect(cache.principal(forHash: hash) == principal)
        #expect(cache.principal(forHash: Array(repeating: 8, count: 32)) == nil)
        try await Task.sleep(for: .milliseconds(250))
        #expect(cache.principal(forHash: hash) == nil)
    }

    @Test("a revocation empties the cache, and a read that began before it is not cached")
    func revocation() {
        let cache = TokenCache(lifetime: .seconds(60))
        cache.remember(principal, forHash: hash, readAt: cache.generation)
        let before = cache.generation
        cache.removeAll()
        #expect(cache.principal(forHash: hash) == nil)
        cache.remember(principal, forHash: hash, readAt: before)
        #expect(cache.principal(forHash: hash) == nil, "read before the revocation: not cached")
    }

    @Test("a zero lifetime caches nothing; the map stays bounded")
    func bounds() {
        let off = TokenCache(lifetime: .zero)
        off.remember(principal, forHash: hash, readAt: off.generation)
        #expect(off.principal(forHash: hash) == nil)
        let cache = TokenCache(lifetime: .seconds(60))
        for i in 0...TokenCache.capacity {
            cache.remember(principal, forHash: withUnsafeBytes(of: i, Array.init), readAt: cache.generation)
        }
        #expect(cache.count <= TokenCache.capacity)
    }
}
