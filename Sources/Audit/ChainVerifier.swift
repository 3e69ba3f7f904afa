import Foundation

/// Walks the chain in order and reports the first entry that doesn't hold, checking it
/// against every anchor written: the newest alone is not enough, since a chain cut back and
/// continued (reusing the deleted sequence numbers) satisfies any anchor signed after the cut.
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
        /// The newest anchored sequence number, and how many anchors were checked.
        public var anchoredSeq: Int64?
        public var anchors: Int = 0
        public var valid: Bool { problem == nil }
        public init() {}
    }

    let chain: HashChain
    private(set) var report = Report()
    private var previousHash = HashChain.genesis
    private var expectedSeq: Int64 = 1
    /// Anchored head (hex) by sequence number; two anchors naming one sequence with different
    /// heads are a mismatch in themselves.
    private var anchoredHeads: [Int64: String] = [:]
    private var conflictingAnchorSeq: Int64?
    private var lastSeq: Int64 = 0

    /// Checks chain `name` against the heads the anchors name on it (an anchor of the empty
    /// chain, sequence 0, asks nothing of it).
    public init(chain: HashChain, anchors: [AuditAnchor], of name: AuditChainName = .store) {
        self.chain = chain
        let heads = anchors.compactMap { $0.anchoredHead(of: name) }.filter { $0.seq > 0 }
        for (seq, head) in heads {
            if let known = anchoredHeads[seq], known != head { conflictingAnchorSeq = min(conflictingAnchorSeq ?? seq, seq) }
            anchoredHeads[seq] = head
        }
        report.anchoredSeq = heads.map(\.seq).max()
        report.anchors = heads.count
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
        if entry.seq == conflictingAnchorSeq { return fail(.anchorMismatch) }
        if let head = anchoredHeads[entry.seq], head != HashChain.hex(entry.hash) { return fail(.anchorMismatch) }
        previousHash = entry.hash
        expectedSeq += 1
        lastSeq = entry.seq
        return true
    }

    /// Ends the walk: an anchor beyond the last entry means the tail was cut off.
    public mutating func finish() -> Report {
        if report.valid, let newest = report.anchoredSeq, newest > lastSeq {
            report.problem = .truncated
            report.firstInvalid = expectedSeq
        }
        return report
    }

    /// Records that an anchor's signature did not verify.
    public mutating func rejectAnchor(seq: Int64?) {
        report.problem = .anchorSignature
        report.firstInvalid = seq
    }
}
