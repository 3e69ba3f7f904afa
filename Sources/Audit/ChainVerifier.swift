import Foundation

/// Walks the chain in order and reports the first entry that doesn't hold.
public struct ChainVerifier: Sendable {
    public enum Problem: String, Sendable, Codable {
        case hashMismatch = "hash_mismatch"
        case brokenLink = "broken_link"
        case sequenceGap = "sequence_gap"
        case truncated = "truncated"
        case anchorMismatch = "anchor_mismatch"
        case anchorSignature = "anchor_signature"
    }

    public struct Report: Sendable, Equatable {
        public var entries: Int64 = 0
        public var firstInvalid: Int64?
        public var problem: Problem?
        public var anchoredSeq: Int64?
        public var valid: Bool { problem == nil }
        public init() {}
    }

    let chain: HashChain
    private(set) var report = Report()
    private var previousHash = HashChain.genesis
    private var expectedSeq: Int64 = 1
    private var anchor: AuditAnchor?
    private var anchorSeen = false

    public init(chain: HashChain, anchor: AuditAnchor?) {
        self.chain = chain
        self.anchor = anchor
        report.anchoredSeq = anchor?.seq
    }

    /// Feeds the next stored entry; returns false once a problem was found.
    public mutating func feed(_ entry: AuditEntry) -> Bool {
        guard report.valid else { return false }
        report.entries += 1
        func fail(_ problem: Problem) -> Bool {
            report.problem = problem
            report.firstInvalid = entry.seq
            return false
        }
        if entry.seq != expectedSeq { return fail(.sequenceGap) }
        if entry.previousHash != previousHash { return fail(.brokenLink) }
        if chain.hash(seq: entry.seq, draft: entry.draft, previous: previousHash) != entry.hash { return fail(.hashMismatch) }
        if let anchor, anchor.seq == entry.seq {
            anchorSeen = true
            if anchor.head != entry.hash.map({ String(format: "%02x", $0) }).joined() { return fail(.anchorMismatch) }
        }
        previousHash = entry.hash
        expectedSeq += 1
        return true
    }

    /// Ends the walk: an anchor beyond the last entry means the tail was cut off.
    public mutating func finish() -> Report {
        if report.valid, let anchor, !anchorSeen, anchor.seq > 0 {
            report.problem = .truncated
            report.firstInvalid = expectedSeq
        }
        return report
    }

    /// Records that the anchor's signature did not verify.
    public mutating func rejectAnchor() {
        report.problem = .anchorSignature
        report.firstInvalid = anchor?.seq
    }
}
