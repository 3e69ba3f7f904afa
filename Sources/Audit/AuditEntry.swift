import Foundation

/// What an audit entry records before it is placed in the chain.
///
/// Ids, names and counts only: field *names* are recorded, never values, so the audit
/// trail survives an erasure without holding anything of the erased person.
public struct AuditDraft: Sendable, Equatable {
    public var at: Date
    public var requestID: String
    public var principal: String
    public var role: String?
    public var source: String?
    public var purpose: String?
    public var action: String
    public var subjectIDs: [String]
    public var fields: [String]
    public var policyVersion: String?
    /// `ok`, `denied`, `refused` (bad input) or `failed`.
    public var outcome: String
    /// Counts and short facts ("3 records"), never values.
    public var detail: String?

    public init(
        at: Date, requestID: String, principal: String, role: String? = nil, source: String? = nil, purpose: String? = nil,
        action: String, subjectIDs: [String] = [], fields: [String] = [], policyVersion: String? = nil,
        outcome: String = "ok", detail: String? = nil
    ) {
        self.at = at
        self.requestID = requestID
        self.principal = principal
        self.role = role
        self.source = source
        self.purpose = purpose
        self.action = action
        self.subjectIDs = subjectIDs
        self.fields = fields
        self.policyVersion = policyVersion
        self.outcome = outcome
        self.detail = detail
    }
}

/// The audit chains of a vault. Writes are audited in the transaction that makes them, on the
/// store's chain; reads (views, lookups, audit queries, refusals) on a chain of their own, in a
/// file of its own where the backend allows (SQLite: `audit-reads.sqlite`), so the store's file
/// commits nothing per view. On PostgreSQL both are the store's one chain for now.
public enum AuditChainName: String, Sendable, Codable, CaseIterable {
    case store
    case reads
}

/// An entry in a chain: its sequence number, the previous entry's hash and its own.
public struct AuditEntry: Sendable, Equatable {
    public let chain: AuditChainName
    public let seq: Int64
    public let draft: AuditDraft
    public let previousHash: [UInt8]
    public let hash: [UInt8]

    public init(chain: AuditChainName = .store, seq: Int64, draft: AuditDraft, previousHash: [UInt8], hash: [UInt8]) {
        self.chain = chain
        self.seq = seq
        self.draft = draft
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The same entry, named as an entry of `chain`.
    public func on(_ chain: AuditChainName) -> AuditEntry {
        AuditEntry(chain: chain, seq: seq, draft: draft, previousHash: previousHash, hash: hash)
    }
}
