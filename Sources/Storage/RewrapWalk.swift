import Synchronization
import VaultModel

/// The master-key rewrap's walk through `subjects` in key order, shared by both stores.
///
/// Each batch continues from the last subject id handed out. `WHERE kek_version != ?` from the
/// start of the table passed every key already re-wrapped on each call: a rotation of N keys
/// read on the order of N² / batch rows. A walk that reaches the end starts over once, so keys
/// it passed while they changed (a restart, a rotation to yet another version) are found; none
/// left means done.
public final class RewrapWalk: Sendable {
    private let position = Mutex<(version: Int, after: String)?>(nil)

    public init() {}

    /// The next batch under `version`; `fetch(after, limit)` reads keys not under it whose
    /// subject id sorts after `after`, in subject id order.
    public func next(
        notUnder version: Int, limit: Int,
        fetch: (_ after: String, _ limit: Int) async throws -> [(subject: SubjectID, key: WrappedKey)]
    )
        async throws -> [(subject: SubjectID, key: WrappedKey)]
    {
        let start = position.withLock { $0?.version == version ? $0!.after : "" }
        var batch = try await fetch(start, limit)
        if batch.isEmpty && !start.isEmpty { batch = try await fetch("", limit) }
        let next = batch.last.map { (version: version, after: $0.subject.description) }
        position.withLock { $0 = next }
        return batch
    }
}
