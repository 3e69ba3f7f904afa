import Audit
import Foundation
import GRDB
import Storage

extension SQLiteVaultStore: SynchronousAuditAppending {
    /// Appends entries in the caller's transaction, continuing the chain from its head.
    /// Any failure marks the sink failed and surfaces as `auditUnavailable`, which rolls
    /// back the whole transaction: nothing is changed that isn't audited.
    func appendAudit(_ db: Database, _ drafts: [AuditDraft], chain: HashChain) throws {
        guard !auditSink.isFailed else { throw StoreError.auditUnavailable }
        do {
            try SQLiteAuditTables.append(db, drafts, chain: chain)
        } catch {
            auditSink.markFailed()
            throw StoreError.auditUnavailable
        }
    }

    public func appendAudit(_ drafts: [AuditDraft], chain: HashChain) async throws {
        try await auditSink.guarded {
            try await pool.write { db in try self.appendAuditOnly(db, drafts, chain: chain) }
        }
    }

    /// Blocks the calling thread while the writer is busy: for a moment, as the reads of
    /// `readOnCallingThread` may; only one caller at a time appends (`AuditLog`'s group commit).
    public func appendAuditOnCallingThread(_ drafts: [AuditDraft], chain: HashChain) throws {
        try auditSink.guardedNow {
            try pool.write { db in try self.appendAuditOnly(db, drafts, chain: chain) }
        }
    }

    /// A transaction of audit entries alone, which pinned readers may read past.
    private func appendAuditOnly(_ db: Database, _ drafts: [AuditDraft], chain: HashChain) throws {
        try appendAudit(db, drafts, chain: chain)
        readers.nextCommitIsAuditOnly(db)
    }

    public func auditHead() async throws -> (seq: Int64, hash: [UInt8])? {
        try await pool.read { try SQLiteAuditTables.head($0) }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await pool.read { try SQLiteAuditTables.entries($0, query, chain: .store) }
    }
}

extension SQLiteVaultStore {
    static func jsonList(_ items: [String]) -> String { StoredList.encode(items) }
    static func list(_ text: String) -> [String] { StoredList.decode(text) }
}
