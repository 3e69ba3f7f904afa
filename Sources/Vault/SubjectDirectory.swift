import Storage
import VaultModel

/// What the vault knows of subjects without opening anything: how many there are, whether an
/// id exists, where a merged one went. No personal data, so nothing here is audited; callers
/// are the scans and tools that pick subjects (benchmarks, the console's figures).
public struct SubjectDirectory: Sendable {
    let store: any VaultStore

    public func count() async throws -> Int { try await store.subjectCount() }

    public func exists(_ id: SubjectID) async throws -> Bool { try await store.subjectExists(id) }

    /// Surviving subjects in id order after `after`.
    public func ids(after: SubjectID?, limit: Int) async throws -> [SubjectID] { try await store.subjectIDs(after: after, limit: limit) }

    /// The subject `id` is now (itself, or the one it was merged into); nil if it no longer exists.
    public func canonical(of id: SubjectID) async throws -> SubjectID? { try await store.canonicalSubject(of: id) }
}
