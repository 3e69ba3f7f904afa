import Synchronization
import VaultModel

/// Principals of recently authenticated tokens, by keyed token hash, for a short lifetime.
///
/// Every request authenticates; a database read for each costs more than the rest of a small
/// request. A revocation through this process empties the cache at once; a revocation through
/// another replica (PostgreSQL) takes effect here within `lifetime`. Only valid tokens are
/// kept (a miss always asks the store), and the map is bounded.
final class TokenCache: Sendable {
    private struct Entry {
        let principal: Principal
        let expires: ContinuousClock.Instant
    }
    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        /// Bumped by every `removeAll`: a lookup that started before a revocation must not
        /// cache what it read then.
        var generation = 0
    }
    private let state = Mutex(State())
    private let lifetime: Duration
    static let capacity = 4096

    init(lifetime: Duration) { self.lifetime = lifetime }

    func principal(forHash hash: [UInt8]) -> Principal? {
        guard lifetime > .zero else { return nil }
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[hash] else { return nil }
            guard entry.expires > now else {
                state.entries[hash] = nil
                return nil
            }
            return entry.principal
        }
    }

    /// The generation to pass to `remember` for a store read that starts now.
    var generation: Int { state.withLock { $0.generation } }

    func remember(_ principal: Principal, forHash hash: [UInt8], readAt generation: Int) {
        guard lifetime > .zero else { return }
        let entry = Entry(principal: principal, expires: ContinuousClock.now + lifetime)
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[hash] = entry
        }
    }

    var count: Int { state.withLock { $0.entries.count } }

    func removeAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.generation += 1
        }
    }
}
