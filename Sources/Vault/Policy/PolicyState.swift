import Catalog
import Policy
import Synchronization

/// The policy bundle in force. Applying a bundle swaps it atomically: a request that
/// already took its snapshot finishes under the old one, the next one sees the new one,
/// and no restart is needed.
public final class PolicyState: Sendable {
    private let state: Mutex<CompiledPolicy>

    public init(_ policy: CompiledPolicy) { state = Mutex(policy) }

    public var current: CompiledPolicy { state.withLock { $0 } }

    public func replace(with policy: CompiledPolicy) { state.withLock { $0 = policy } }
}
