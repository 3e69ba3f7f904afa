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

/// A place in both audit chains (`AuditChainName`): the last sequence number already listed of
/// each. Written `S.R` (`S` alone: nothing listed of the reads chain yet).
public struct AuditCursor: Sendable, Equatable {
    public var store: Int64
    public var reads: Int64

    public init(store: Int64 = 0, reads: Int64 = 0) {
        self.store = store
        self.reads = reads
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0.count <= 18 }), let store = Int64(parts[0]), store >= 0 else { return nil }
        let reads = parts.count == 2 ? Int64(parts[1]) : 0
        guard let reads, reads >= 0 else { return nil }
        self.init(store: store, reads: reads)
    }

    public var text: String { reads == 0 ? String(store) : "\(store).\(reads)" }

    public subscript(_ chain: AuditChainName) -> Int64 {
        get { chain == .store ? store : reads }
        set { if chain == .store { store = newValue } else { reads = newValue } }
    }
}

/// One audit chain's storage: the store's own (write entries, appended in their transactions)
/// or a file of its own (the reads chain, `SynchronousAuditAppending`).
public protocol AuditChainStorage: Sendable {
    var auditSink: AuditSinkState { get }
    func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry]
    func auditHead() async throws -> (seq: Int64, hash: [UInt8])?
}

/// Filters of `GET /v1/audit`. A chain's entries come in sequence order after `afterSeq`.
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
