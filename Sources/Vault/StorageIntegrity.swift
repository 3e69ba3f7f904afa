import Foundation
import Storage
import Synchronization

/// The result of the store's last page-level integrity check (`VaultStore.checkIntegrity`):
/// run at start and on a schedule, reported by `/readyz` and a metric. A corrupt page is
/// otherwise found only by the request that happens to read it.
public final class StorageIntegrity: Sendable {
    public struct State: Sendable {
        /// nil until the first check has run, and where the store has no check (PostgreSQL).
        public var intact: Bool?
        public var checkedAt: Date?
    }
    private let state = Mutex(State())
    public var current: State { state.withLock { $0 } }

    public init() {}

    /// Runs the check now and records its result; a check that fails to run counts as failed.
    /// False only when the pages are found damaged (or the check failed).
    @discardableResult
    public func check(_ store: any VaultStore, now: Date = Date()) async -> Bool {
        let intact: Bool?
        do { intact = try await store.checkIntegrity() } catch { intact = false }
        state.withLock { $0 = State(intact: intact, checkedAt: now) }
        return intact != false
    }
}
