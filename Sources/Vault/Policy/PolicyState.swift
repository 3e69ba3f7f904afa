import Catalog
import Policy
import Synchronization

/// A compiled bundle and the version number it was applied as (`v3`).
public struct ActivePolicy: Sendable {
    public let number: Int
    public let policy: CompiledPolicy
    /// What views record as `policy_version`.
    public var label: String { "v\(number)" }
}

/// The policy bundle in force. Applying a bundle swaps it atomically: a request that
/// already took its snapshot finishes under the old one, the next one sees the new one,
/// and no restart is needed.
public final class PolicyState: Sendable {
    private let state: Mutex<ActivePolicy>
    /// The last stored version a refresh refused (its tag failed): audited once, not every poll.
    private let refused = Mutex<Int?>(nil)

    public init(_ active: ActivePolicy) { state = Mutex(active) }

    public var active: ActivePolicy { state.withLock { $0 } }
    public var current: CompiledPolicy { active.policy }

    func replace(with active: ActivePolicy) { state.withLock { $0 = active } }

    /// Records `version` as refused; true the first time.
    func refuseOnce(_ version: Int) -> Bool {
        refused.withLock { last in
            guard last != version else { return false }
            last = version
            return true
        }
    }

    /// Takes `active` only if it is newer than the one in force (a refresh racing a local apply never goes back).
    func adopt(_ active: ActivePolicy) -> Bool {
        state.withLock { current in
            guard active.number > current.number else { return false }
            current = active
            return true
        }
    }
}
