import Audit
import Foundation
import Synchronization

/// An audit entry to append in the same transaction as the change it records.
public struct AuditWrite: Sendable {
    public var draft: AuditDraft
    public let chain: HashChain
    public init(draft: AuditDraft, chain: HashChain) {
        self.draft = draft
        self.chain = chain
    }
}

/// Filters of `GET /v1/audit`. Entries come in sequence order after `afterSeq`.
public struct AuditQuery: Sendable {
    public var subjectID: String?
    public var principal: String?
    public var action: String?
    public var requestID: String?
    public var since: Date?
    public var until: Date?
    public var afterSeq: Int64 = 0
    public var limit: Int = 100
    public init() {}
}

/// Whether the audit sink can still be trusted.
///
/// Once an append fails (I/O error, full disk, injected fault) the sink stays failed: no
/// silent retry over pages that may be lost. Every audited request then answers 503 and
/// readiness reports not ready, until an operator restarts the vault.
public final class AuditSinkState: Sendable {
    private let failed = Mutex(false)
    public init() {}
    public var isFailed: Bool { failed.withLock { $0 } }
    public func markFailed() { failed.withLock { $0 = true } }

    /// Runs an append: refused once failed; any error fails the sink and surfaces as `auditUnavailable`.
    public func guarded<T>(_ append: () async throws -> T) async throws -> T {
        guard !isFailed else { throw StoreError.auditUnavailable }
        do {
            return try await append()
        } catch {
            markFailed()
            throw StoreError.auditUnavailable
        }
    }

    /// The same, for an append made on the caller's thread.
    public func guardedNow<T>(_ append: () throws -> T) throws -> T {
        guard !isFailed else { throw StoreError.auditUnavailable }
        do {
            return try append()
        } catch {
            markFailed()
            throw StoreError.auditUnavailable
        }
    }
}

/// A store that can append audit entries on the caller's thread.
///
/// The append of a read's audit entries is a short write (SQLite: tens of microseconds on the
/// writer connection); made through an `async` API it costs two thread hops, to the writer's
/// queue and back, more CPU than the write itself at thousands of views a second.
public protocol SynchronousAuditAppending: Sendable {
    /// Appends entries continuing the chain, in one transaction of their own, before returning.
    func appendAuditOnCallingThread(_ drafts: [AuditDraft], chain: HashChain) throws
}
